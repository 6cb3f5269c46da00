// Requests signed by the AWS SDK's own signer (@smithy/signature-v4), so the verifier is checked
// against an independent implementation rather than against itself.
import { SignatureV4 } from '@smithy/signature-v4'

export const ACCESS_KEY_ID = 'logpush'
export const SECRET = 'logpush-secret'
export const REGION = 'us-east-1'
export const HOST = 'edge.example.com'

type SourceData = string | ArrayBuffer | ArrayBufferView

const encoder = new TextEncoder()
const bytesOf = (data: SourceData) =>
  typeof data === 'string'
    ? encoder.encode(data)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)

/** smithy's hash constructor, over Web Crypto: SHA-256, or HMAC-SHA256 when given a secret. */
export class WebCryptoSha256 {
  private parts: Uint8Array[] = []
  constructor(private readonly secret?: SourceData) {}
  update(data: SourceData) {
    this.parts.push(bytesOf(data))
  }
  async digest(): Promise<Uint8Array> {
    const data = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0))
    let offset = 0
    for (const part of this.parts) {
      data.set(part, offset)
      offset += part.length
    }
    if (this.secret === undefined) return new Uint8Array(await crypto.subtle.digest('SHA-256', data))
    const key = await crypto.subtle.importKey('raw', bytesOf(this.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, data))
  }
  reset() {
    this.parts = []
  }
}

export function signer(secret = SECRET, accessKeyId = ACCESS_KEY_ID) {
  return new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: WebCryptoSha256,
    uriEscapePath: false,
  })
}

export interface SignOptions {
  method?: string
  /** Already URI-encoded, as an S3 client sends it. */
  path: string
  query?: Record<string, string>
  headers?: Record<string, string>
  body?: Uint8Array | string
  secret?: string
  accessKeyId?: string
  date?: Date
  /** Sets x-amz-content-sha256 instead of letting the signer hash the body. */
  payloadHash?: string
}

/** A header-signed request, as the AWS SDK would send it. */
export async function signedRequest(options: SignOptions): Promise<Request> {
  const body = typeof options.body === 'string' ? encoder.encode(options.body) : options.body
  const headers: Record<string, string> = { host: HOST, ...options.headers }
  if (body) headers['content-length'] = String(body.length)
  if (options.payloadHash) headers['x-amz-content-sha256'] = options.payloadHash
  const signed = await signer(options.secret, options.accessKeyId).sign(
    { method: options.method ?? 'PUT', protocol: 'http:', hostname: HOST, path: options.path, query: options.query ?? {}, headers, body },
    { signingDate: options.date ?? new Date() },
  )
  return toRequest(signed, body)
}

/** A presigned URL request (query auth). */
export async function presignedRequest(options: SignOptions & { expiresIn?: number }): Promise<Request> {
  const body = typeof options.body === 'string' ? encoder.encode(options.body) : options.body
  const headers: Record<string, string> = { host: HOST, ...options.headers }
  const signed = await signer(options.secret, options.accessKeyId).presign(
    {
      method: options.method ?? 'PUT',
      protocol: 'http:',
      hostname: HOST,
      path: options.path,
      query: options.query ?? {},
      headers: { ...headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { signingDate: options.date ?? new Date(), expiresIn: options.expiresIn ?? 900 },
  )
  if (body) signed.headers['content-length'] = String(body.length)
  return toRequest(signed, body)
}

interface Signed {
  method: string
  path: string
  query?: Record<string, string | string[] | null>
  headers: Record<string, string>
}

function toRequest(signed: Signed, body: Uint8Array | undefined): Request {
  const url = new URL(`http://${HOST}${signed.path}`)
  const search = Object.entries(signed.query ?? {})
    .map(([key, value]) => `${encodeURIComponent(key)}${value === null ? '' : `=${encodeURIComponent(String(value))}`}`)
    .join('&')
  url.search = search
  return new Request(url, { method: signed.method, headers: signed.headers, body: body && body.length ? body : undefined })
}

/** Signs a string with the request's key, as a client signs its chunks. */
export function signString(stringToSign: string, date: Date, secret = SECRET): Promise<string> {
  return signer(secret).sign(stringToSign, { signingDate: date, signingRegion: REGION, signingService: 's3' })
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data)
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
