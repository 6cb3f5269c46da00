// Property test: random requests signed by the AWS SDK's own signer (@smithy/signature-v4), header
// and presigned, are accepted by verifySigV4; a one-character change of the signature, the secret
// or a signed header is refused. 200 runs; FUZZ_SEED replays a failure (fast-check prints it).
import { SignatureV4 } from '@smithy/signature-v4'
import fc from 'fast-check'
import { describe, expect, inject, it } from 'vitest'
import { SigV4Error, uriEncode, verifySigV4 } from '../../src/s3-protocol/sigv4'
import { WebCryptoSha256 } from '../s3-endpoint/signing'

const RUNS = 200
const SEED = inject('fuzzSeed')
const HOST = 'edge.example.com'
const MINUTE = 60_000
// Signing dates within a few years of now, to the second (an x-amz-date has no milliseconds).
const BASE_DATE = Date.UTC(2026, 10, 1)
const HEX = '0123456789abcdef'

// Characters a key may hold: unreserved, reserved and sub-delims, space, '%', and characters
// outside ASCII, from two-byte UTF-8 up to a four-byte emoji.
const KEY_CHARS = [...'aZ09-._~', ...":/?#[]@!$&'()*+,;= %", 'é', 'ß', '日', '本', '🎉', '\u00a0']
// Header values: printable ASCII, with runs of spaces and tabs that canonicalisation folds.
const VALUE_CHARS = [...'aZ09-_.:;,/=+!?"\'()<>@{}[]\\|~`^', ' ', '  ', '\t', ' \t ']

const chars = (set: string[], min: number, max: number) => fc.array(fc.constantFrom(...set), { minLength: min, maxLength: max }).map((a) => a.join(''))

/** A path segment as S3 clients send it: each character URI-encoded once, AWS style. */
const segment = chars(
  KEY_CHARS.filter((c) => c !== '/'),
  0,
  12,
).filter((s) => s !== '.' && s !== '..')

const queryName = chars([...'abcXYZ019-_.~ é&=+%'], 1, 8).filter((name) => !name.toLowerCase().startsWith('x-amz-'))
const queryValue = chars([...'abc019-_.~ é&=+%/?#'], 0, 10)

interface Params {
  method: string
  segments: string[]
  /** In the order the client sends them; a name may repeat, a value may be empty. */
  query: { name: string; value: string; bare: boolean }[]
  headers: { name: string; value: string }[]
  auth: 'header' | 'query'
  payload: 'UNSIGNED-PAYLOAD' | 'hex'
  payloadHex: string
  region: string
  accessKeyId: string
  secret: string
  signedAt: number
  /** now - signedAt, ms: within the allowed skew (and, presigned, before the URL expires). */
  skew: number
  expiresIn: number
  /** Picks which character a mutation changes, and into what. */
  pick: number
  replacement: string
}

const params: fc.Arbitrary<Params> = fc.record({
  method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'),
  segments: fc.array(segment, { minLength: 1, maxLength: 5 }),
  query: fc.array(fc.record({ name: queryName, value: queryValue, bare: fc.boolean() }), { maxLength: 5 }).chain((items) =>
    // Repeat some names, with other values, as a client may.
    fc
      .array(fc.record({ from: fc.nat(), value: queryValue }), { maxLength: items.length ? 2 : 0 })
      .map((repeats) => [...items, ...repeats.map(({ from, value }) => ({ ...items[from % items.length]!, value, bare: false }))]),
  ),
  // The first header always has a character to change.
  headers: fc
    .tuple(
      fc.record({ name: fc.constant('X-Test-Signed'), value: chars(VALUE_CHARS, 0, 12).map((v) => `${v}x${v}`) }),
      fc.uniqueArray(fc.record({ name: chars([...'abcxyzABCXYZ019-'], 1, 10).map((n) => `x-t-${n}`), value: chars(VALUE_CHARS, 0, 16) }), {
        maxLength: 4,
        selector: (h) => h.name.toLowerCase(),
      }),
    )
    .map(([first, rest]) => [first, ...rest]),
  auth: fc.constantFrom('header' as const, 'query' as const),
  payload: fc.constantFrom('UNSIGNED-PAYLOAD' as const, 'hex' as const),
  payloadHex: fc.array(fc.constantFrom(...HEX), { minLength: 64, maxLength: 64 }).map((a) => a.join('')),
  region: fc.constantFrom('us-east-1', 'eu-west-3', 'auto', 'weur'),
  accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/),
  secret: chars([...'abcXYZ0189+/=-_'], 20, 40),
  signedAt: fc.integer({ min: 0, max: 3 * 365 * 24 * 3600 }).map((s) => BASE_DATE + s * 1000),
  skew: fc.integer({ min: -14 * MINUTE, max: 14 * MINUTE }),
  expiresIn: fc.integer({ min: 15 * 60, max: 7 * 24 * 3600 }),
  pick: fc.nat(),
  replacement: fc.constantFrom(...'aZ09#!'),
})

function signer(p: Params, secret = p.secret): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region: p.region,
    credentials: { accessKeyId: p.accessKeyId, secretAccessKey: secret },
    sha256: WebCryptoSha256,
    uriEscapePath: false,
  })
}

/** The request as smithy's signer takes it: path already encoded, query as name -> value(s). */
function toSign(p: Params) {
  const query: Record<string, string | string[]> = {}
  for (const { name, value } of p.query) {
    const had = query[name]
    query[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value]
  }
  const headers: Record<string, string> = { host: HOST }
  for (const { name, value } of p.headers) headers[name] = value
  // The S3 presigner names the payload hash this way; the signer hoists it into the query.
  if (p.auth === 'query') headers['X-Amz-Content-Sha256'] = p.payload === 'hex' ? p.payloadHex : 'UNSIGNED-PAYLOAD'
  else headers['x-amz-content-sha256'] = p.payload === 'hex' ? p.payloadHex : 'UNSIGNED-PAYLOAD'
  return { method: p.method, protocol: 'http:', hostname: HOST, path: `/${p.segments.map(uriEncode).join('/')}`, query, headers }
}

/** smithy's signed request as a client puts it on the wire: the query in the order it was given. */
function toRequest(p: Params, signed: { path: string; query?: Record<string, unknown>; headers: Record<string, string> }): Request {
  const pairs = p.query.map(({ name, value, bare }) => (bare && value === '' ? uriEncode(name) : `${uriEncode(name)}=${uriEncode(value)}`))
  const own = new Set(p.query.map((q) => q.name))
  // What the signer added (the X-Amz-* auth parameters of a presigned URL).
  for (const [name, value] of Object.entries(signed.query ?? {})) if (!own.has(name)) pairs.push(`${uriEncode(name)}=${uriEncode(String(value))}`)
  const url = `http://${HOST}${signed.path}${pairs.length ? `?${pairs.join('&')}` : ''}`
  return new Request(url, { method: p.method, headers: signed.headers })
}

async function signedRequest(p: Params, secret = p.secret): Promise<Request> {
  const s = signer(p, secret)
  const signingDate = new Date(p.signedAt)
  const signed = p.auth === 'header' ? await s.sign(toSign(p), { signingDate }) : await s.presign(toSign(p), { signingDate, expiresIn: p.expiresIn })
  return toRequest(p, signed as { path: string; query?: Record<string, unknown>; headers: Record<string, string> })
}

/** The request with one character of its signature changed to another hex digit. */
function withSignatureChanged(request: Request, p: Params): Request {
  const change = (sig: string) => {
    const i = p.pick % sig.length
    const other = HEX[(HEX.indexOf(sig[i]!) + 1 + (p.pick % 15)) % 16]!
    return sig.slice(0, i) + other + sig.slice(i + 1)
  }
  if (p.auth === 'header') {
    const headers = new Headers(request.headers)
    headers.set(
      'authorization',
      headers.get('authorization')!.replace(/Signature=([0-9a-f]{64})/, (_, sig: string) => `Signature=${change(sig)}`),
    )
    return new Request(request.url, { method: request.method, headers })
  }
  return new Request(
    request.url.replace(/X-Amz-Signature=([0-9a-f]{64})/, (_, sig: string) => `X-Amz-Signature=${change(sig)}`),
    request,
  )
}

/** The request with one character of a signed header's value changed (to one that canonicalisation keeps apart). */
function withSignedHeaderChanged(request: Request, p: Params): Request {
  const header = p.headers[p.pick % p.headers.length]!
  const value = request.headers.get(header.name) ?? ''
  let changed: string
  if (value === '') changed = p.replacement
  else {
    const i = p.pick % value.length
    const other = value[i] === p.replacement ? 'Q' : p.replacement
    changed = value.slice(0, i) + other + value.slice(i + 1)
  }
  const headers = new Headers(request.headers)
  headers.set(header.name, changed)
  return new Request(request.url, { method: request.method, headers })
}

const codeOf = (request: Request, p: Params, secretAccessKey = p.secret) =>
  verifySigV4(request, { credentials: { accessKeyId: p.accessKeyId, secretAccessKey }, now: p.signedAt + skewOf(p) }).then(
    () => 'accepted',
    (e: unknown) => (e instanceof SigV4Error ? e.code : `unexpected ${String(e)}`),
  )

// A presigned URL is good from 15 minutes before its date until it expires.
const skewOf = (p: Params) => (p.auth === 'query' && p.skew > 0 ? Math.min(p.skew * 30, p.expiresIn * 1000 - 1000) : p.skew)

describe('verifySigV4 against @smithy/signature-v4, on random requests', () => {
  it(`accepts what the AWS SDK signs, and refuses a one-character change of signature, secret or signed header (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        const request = await signedRequest(p)
        const verified = await verifySigV4(request, { credentials: { accessKeyId: p.accessKeyId, secretAccessKey: p.secret }, now: p.signedAt + skewOf(p) })
        expect(verified).toMatchObject({
          auth: p.auth,
          region: p.region,
          accessKeyId: p.accessKeyId,
          payloadHash: p.payload === 'hex' ? p.payloadHex : 'UNSIGNED-PAYLOAD',
        })

        expect(await codeOf(withSignatureChanged(request, p), p), 'signature changed').toBe('SignatureDoesNotMatch')
        const i = p.pick % p.secret.length
        const otherSecret = p.secret.slice(0, i) + (p.secret[i] === 'a' ? 'b' : 'a') + p.secret.slice(i + 1)
        expect(await codeOf(await signedRequest(p, otherSecret), p), 'signed with another secret').toBe('SignatureDoesNotMatch')
        expect(await codeOf(request, p, otherSecret), 'verified with another secret').toBe('SignatureDoesNotMatch')
        expect(await codeOf(withSignedHeaderChanged(request, p), p), 'signed header changed').toBe('SignatureDoesNotMatch')
      }),
      { numRuns: RUNS, seed: SEED },
    )
  })
})
