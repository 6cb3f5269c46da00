import { timingSafeEqual } from '../utils/timing-safe-equal'

const ALGORITHM = 'AWS4-HMAC-SHA256'
const SIGV4A_ALGORITHM = 'AWS4-ECDSA-P256-SHA256'
const TERMINATOR = 'aws4_request'
const MAX_SKEW_MS = 15 * 60 * 1000
const MAX_EXPIRES_S = 7 * 24 * 60 * 60
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/
const HEX_SIGNATURE = /^[0-9a-f]{64}$/

/** The payload hash of a request whose body is not signed (a stream, a presigned URL). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

export type SigV4ErrorCode =
  | 'AccessDenied'
  | 'AuthorizationHeaderMalformed'
  | 'AuthorizationQueryParametersError'
  | 'InvalidAccessKeyId'
  | 'InvalidRequest'
  | 'RequestTimeTooSkewed'
  | 'SignatureDoesNotMatch'

/** The HTTP status S3 answers each verification failure with. */
export const SIGV4_ERROR_STATUS: Record<SigV4ErrorCode, number> = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  InvalidAccessKeyId: 403,
  InvalidRequest: 400,
  RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403,
}

/** A request that fails SigV4 verification; `code` and `status` are the S3 error's. */
export class SigV4Error extends Error {
  override name = 'SigV4Error'
  readonly status: number
  constructor(
    readonly code: SigV4ErrorCode,
    message: string,
    // Shown to a client that holds the right key id, to debug its signer, as S3 does.
    readonly detail: Record<string, string> = {},
  ) {
    super(message)
    this.status = SIGV4_ERROR_STATUS[code]
  }
}

export interface SigV4Credentials {
  accessKeyId: string
  secretAccessKey: string
}

export interface SigV4VerifyOptions {
  credentials: SigV4Credentials
  /** The service in the credential scope; S3 encodes the URI path once. */
  service?: string
  /** Milliseconds since the epoch; tests pin it. */
  now?: number
}

/** What a verified request proved, and what the payload still has to prove. */
export interface SigV4Verified {
  auth: 'header' | 'query'
  accessKeyId: string
  region: string
  /** `x-amz-date` form, the timestamp every chunk signature repeats. */
  amzDate: string
  /** `<yyyymmdd>/<region>/<service>/aws4_request` */
  scope: string
  signature: string
  /** The payload hash that was signed: a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* mode. */
  payloadHash: string
  /** Signs a string with this request's signing key (aws-chunked chunk and trailer signatures). */
  sign(stringToSign: string): Promise<string>
}

interface AuthParts {
  auth: 'header' | 'query'
  algorithm: string
  accessKeyId: string
  date8: string
  region: string
  service: string
  terminator: string
  signedHeaders: string[]
  signature: string
  amzDate: string
  expires?: number
  payloadHash: string
}

/**
 * Verifies an AWS Signature Version 4 request, header (`Authorization: AWS4-HMAC-SHA256 ...`) or
 * presigned (`X-Amz-Signature` in the query), as S3 does. The body is not read: the returned
 * `payloadHash` tells the caller what the payload must still be checked against.
 * @example const verified = await verifySigV4(c.req.raw, { credentials: { accessKeyId, secretAccessKey } })
 */
export async function verifySigV4(request: Request, options: SigV4VerifyOptions): Promise<SigV4Verified> {
  const service = options.service ?? 's3'
  const now = options.now ?? Date.now()
  const url = new URL(request.url)
  const parts = readAuth(request, url)

  if (parts.algorithm === SIGV4A_ALGORITHM) {
    throw new SigV4Error('InvalidRequest', 'SigV4a (AWS4-ECDSA-P256-SHA256) is not supported; sign with AWS4-HMAC-SHA256')
  }
  if (parts.algorithm !== ALGORITHM) {
    throw new SigV4Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.')
  }
  if (parts.accessKeyId !== options.credentials.accessKeyId) {
    throw new SigV4Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.')
  }
  const malformed = parts.auth === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError'
  if (parts.service !== service || parts.terminator !== TERMINATOR || !/^\d{8}$/.test(parts.date8) || !parts.region) {
    throw new SigV4Error(malformed, `The credential scope must be <yyyymmdd>/<region>/${service}/${TERMINATOR}`)
  }
  if (parts.amzDate.slice(0, 8) !== parts.date8) {
    throw new SigV4Error(malformed, 'The credential scope date does not match the request date')
  }
  if (!parts.signedHeaders.includes('host')) {
    throw new SigV4Error(malformed, 'SignedHeaders must include host')
  }

  const signedAt = parseAmzDate(parts.amzDate)
  if (signedAt === undefined) throw new SigV4Error('AccessDenied', 'The request date is not a valid date')
  if (parts.auth === 'query' && parts.expires !== undefined && now > signedAt + parts.expires * 1000) {
    throw new SigV4Error('AccessDenied', 'Request has expired')
  }
  if (Math.abs(now - signedAt) > MAX_SKEW_MS && !(parts.auth === 'query' && now > signedAt)) {
    throw new SigV4Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.')
  }

  const scope = `${parts.date8}/${parts.region}/${parts.service}/${TERMINATOR}`
  const canonicalRequest = [
    request.method,
    canonicalUri(url.pathname),
    canonicalQuery(url.search, parts.auth === 'query'),
    canonicalHeaders(request, url, parts.signedHeaders),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n')
  const stringToSign = [ALGORITHM, parts.amzDate, scope, await sha256Hex(canonicalRequest)].join('\n')
  const key = await signingKey(options.credentials.secretAccessKey, parts.date8, parts.region, parts.service)
  const expected = await hmacHex(key, stringToSign)
  if (!HEX_SIGNATURE.test(parts.signature) || !(await timingSafeEqual(expected, parts.signature))) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { StringToSign: stringToSign, CanonicalRequest: canonicalRequest },
    )
  }

  return {
    auth: parts.auth,
    accessKeyId: parts.accessKeyId,
    region: parts.region,
    amzDate: parts.amzDate,
    scope,
    signature: parts.signature,
    payloadHash: parts.payloadHash,
    sign: (text) => hmacHex(key, text),
  }
}

function readAuth(request: Request, url: URL): AuthParts {
  const header = request.headers.get('authorization')
  const query = url.searchParams
  if (header !== null && query.has('X-Amz-Signature')) {
    throw new SigV4Error(
      'InvalidRequest',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
    )
  }
  if (header !== null) return readAuthHeader(request, header)
  if (query.has('X-Amz-Signature') || query.has('X-Amz-Algorithm')) return readAuthQuery(request, query)
  throw new SigV4Error('AccessDenied', 'Anonymous access is not allowed: sign the request with SigV4')
}

function readAuthHeader(request: Request, header: string): AuthParts {
  const space = header.indexOf(' ')
  const algorithm = space < 0 ? header : header.slice(0, space)
  const fields = new Map<string, string>()
  for (const item of header.slice(space + 1).split(',')) {
    const eq = item.indexOf('=')
    if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim())
  }
  const credential = fields.get('Credential')
  const signedHeaders = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  if (algorithm === ALGORITHM && (!credential || !signedHeaders || !signature)) {
    throw new SigV4Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; it must hold Credential, SignedHeaders and Signature')
  }
  const amzDate = request.headers.get('x-amz-date') ?? httpDateToAmz(request.headers.get('date'))
  if (algorithm === ALGORITHM && !amzDate) {
    throw new SigV4Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header')
  }
  const payloadHash = request.headers.get('x-amz-content-sha256')
  if (algorithm === ALGORITHM && !payloadHash) {
    throw new SigV4Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256')
  }
  return {
    auth: 'header',
    algorithm,
    ...splitCredential(credential ?? ''),
    signedHeaders: (signedHeaders ?? '').split(';').map((name) => name.trim().toLowerCase()),
    signature: signature ?? '',
    amzDate: amzDate ?? '',
    payloadHash: payloadHash ?? '',
  }
}

function readAuthQuery(request: Request, query: URLSearchParams): AuthParts {
  const get = (name: string) => {
    const value = query.get(name)
    if (value === null) {
      throw new SigV4Error('AuthorizationQueryParametersError', `Query-string authentication requires ${name}`)
    }
    return value
  }
  const algorithm = get('X-Amz-Algorithm')
  const expiresText = get('X-Amz-Expires')
  const expires = Number(expiresText)
  if (!/^\d+$/.test(expiresText) || expires < 1 || expires > MAX_EXPIRES_S) {
    throw new SigV4Error('AuthorizationQueryParametersError', `X-Amz-Expires must be between 1 and ${MAX_EXPIRES_S} seconds`)
  }
  return {
    auth: 'query',
    algorithm,
    ...splitCredential(get('X-Amz-Credential')),
    signedHeaders: get('X-Amz-SignedHeaders')
      .split(';')
      .map((name) => name.trim().toLowerCase()),
    signature: get('X-Amz-Signature'),
    amzDate: get('X-Amz-Date'),
    expires,
    // A presigned URL signs no payload unless it names one.
    payloadHash: query.get('X-Amz-Content-Sha256') ?? request.headers.get('x-amz-content-sha256') ?? UNSIGNED_PAYLOAD,
  }
}

function splitCredential(credential: string) {
  // The key id may itself hold '/', so the scope is read from the right.
  const parts = credential.split('/')
  const tail = parts.splice(-4)
  return {
    accessKeyId: parts.join('/'),
    date8: tail[0] ?? '',
    region: tail[1] ?? '',
    service: tail[2] ?? '',
    terminator: tail[3] ?? '',
  }
}

function parseAmzDate(amzDate: string): number | undefined {
  const m = AMZ_DATE.exec(amzDate)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number]
  const time = Date.UTC(y, mo - 1, d, h, mi, s)
  return Number.isNaN(time) ? undefined : time
}

function httpDateToAmz(value: string | null): string | undefined {
  if (!value) return undefined
  const time = Date.parse(value)
  if (Number.isNaN(time)) return undefined
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
}

/** RFC 3986 encoding as AWS specifies it: unreserved characters stay, everything else is %XX. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** `decodeURIComponent`, or the text as it is where it is not valid percent-encoding. */
export function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * S3's canonical URI: each path segment encoded once. The path is decoded first so that a
 * client that sent `!` raw and one that sent `%21` both compare against what they signed.
 */
export function canonicalUri(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => uriEncode(decodeLenient(segment)))
    .join('/')
}

export function canonicalQuery(search: string, presigned: boolean): string {
  const pairs: [string, string][] = []
  for (const item of search.replace(/^\?/, '').split('&')) {
    if (!item) continue
    const eq = item.indexOf('=')
    const name = decodeLenient(eq < 0 ? item : item.slice(0, eq))
    if (presigned && name === 'X-Amz-Signature') continue
    const value = eq < 0 ? '' : decodeLenient(item.slice(eq + 1))
    pairs.push([uriEncode(name), uriEncode(value)])
  }
  pairs.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
  return pairs.map(([name, value]) => `${name}=${value}`).join('&')
}

function canonicalHeaders(request: Request, url: URL, signed: string[]): string {
  let text = ''
  for (const name of signed) {
    const raw = request.headers.get(name) ?? (name === 'host' ? url.host : '')
    text += `${name}:${raw.trim().replace(/\s+/g, ' ')}\n`
  }
  return text
}

const encoder = new TextEncoder()

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let hex = ''
  for (const byte of view) hex += byte.toString(16).padStart(2, '0')
  return hex
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  return toHex(await crypto.subtle.digest('SHA-256', bytes))
}

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data))
}

async function hmacHex(key: CryptoKey, data: string): Promise<string> {
  return toHex(await crypto.subtle.sign('HMAC', key, encoder.encode(data)))
}

// Derived keys are valid for a day and a region; chunked uploads sign every 64 KiB with one.
const keyCache = new Map<string, { secret: string; key: CryptoKey }>()
const KEY_CACHE_SIZE = 16

async function signingKey(secret: string, date8: string, region: string, service: string): Promise<CryptoKey> {
  const id = `${date8}/${region}/${service}`
  const cached = keyCache.get(id)
  if (cached && cached.secret === secret) return cached.key
  const kDate = await hmac(encoder.encode(`AWS4${secret}`), date8)
  const kRegion = await hmac(kDate, region)
  const kService = await hmac(kRegion, service)
  const kSigning = await hmac(kService, TERMINATOR)
  const key = await crypto.subtle.importKey('raw', kSigning, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.clear()
  keyCache.set(id, { secret, key })
  return key
}
