// Security: the attempts of docs/reliability.md, each with its expected answer, through the real
// app. Secrets get distinctive values here so that any echo of one, in a body, a header or a
// log line, is found by a plain substring search.
import { env } from 'cloudflare:test'
import { timingSafeEqual } from 'hono/utils/buffer'
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import app from '../../src/index'
import { BodyTooLargeError } from '../../src/pipeline/errors'
import { runPipeline } from '../../src/pipeline/run'
import { schemas } from '../../src/schema/registry'
import { bucket } from '../helpers/bucket'
import { gzip } from '../helpers/streams'
import { signedRequest } from '../s3-endpoint/signing'

// The code path of constant-time comparison: every token and signature check must go through
// Hono's timingSafeEqual. The spy calls the real function.
vi.mock('hono/utils/buffer', async (importOriginal) => {
  const real = await importOriginal<typeof import('hono/utils/buffer')>()
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) }
})

const SECRETS = {
  INGEST_TOKEN: 'ingest-Q7x9w2LmZ4kTr8',
  STATS_TOKEN: 'stats-P3k8v1NnR6bHy5',
  AWS_SECRET_ACCESS_KEY: 'aws-H5j2c9TtY1pWq0',
  PROXY_SECRET_ACCESS_KEY: 'proxy-B8m4x6QqW3zLd7',
}
const PREFIX = `security/${crypto.randomUUID().slice(0, 8)}/`
const BASE = { ...SECRETS, S3_PREFIX: PREFIX }

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
const basic = (user: string, password: string) => ({ Authorization: `Basic ${btoa(`${user}:${password}`)}` })
const LINE = '{"RayID":"security","EdgeStartTimestamp":"2031-01-01T00:00:00Z"}\n'

async function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: BodyInit,
  settings: Record<string, string> = {},
): Promise<Response> {
  const req = new Request(`http://worker${path}`, { method, headers, body })
  return app.fetch(req, { ...env, ...BASE, ...settings } as unknown as Env)
}

/** Every string a response carries: status line, headers and body. */
async function everything(res: Response): Promise<string> {
  return [String(res.status), ...[...res.headers].map(([name, value]) => `${name}: ${value}`), await res.text()].join('\n')
}

function expectNoSecret(text: string, where: string): void {
  for (const [name, value] of Object.entries(SECRETS)) expect(text, `${name} in ${where}`).not.toContain(value)
}

// Everything the app writes to the console while a test runs, as text (errors with their causes).
let logged: string[] = []
const render = (value: unknown, depth = 0): string => {
  if (value instanceof Error) {
    const cause = depth < 5 && value.cause !== undefined ? `\ncaused by ${render(value.cause, depth + 1)}` : ''
    return `${value.name}: ${value.message}\n${value.stack ?? ''}${cause}`
  }
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value)
  } catch {
    return String(value)
  }
}
beforeEach(() => {
  logged = []
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => render(a)).join(' '))
    })
  }
})
afterEach(() => {
  vi.restoreAllMocks()
})

interface Attempt {
  name: string
  method: string
  path: string
  headers?: Record<string, string>
  /** The answer: status, and the error code of the JSON body when there is one. */
  status: number
  error?: string
  /** The WWW-Authenticate scheme a 401 names. */
  challenge?: 'Bearer' | 'Basic'
}

const INGEST = '/logpush/http_requests'
const TOKEN = SECRETS.INGEST_TOKEN

const ATTEMPTS: Attempt[] = [
  // Tokens on the Logpush route.
  { name: 'no Authorization header', method: 'POST', path: INGEST, status: 401, error: 'unauthorized', challenge: 'Bearer' },
  { name: 'empty Authorization header', method: 'POST', path: INGEST, headers: { Authorization: '' }, status: 401, error: 'unauthorized', challenge: 'Bearer' },
  {
    name: 'Bearer with a wrong token',
    method: 'POST',
    path: INGEST,
    headers: bearer('ingest-wrong-token-00'),
    status: 401,
    error: 'unauthorized',
    challenge: 'Bearer',
  },
  { name: 'Bearer with the token cut short', method: 'POST', path: INGEST, headers: bearer(TOKEN.slice(0, -1)), status: 401, error: 'unauthorized' },
  { name: 'Bearer with the token and more', method: 'POST', path: INGEST, headers: bearer(`${TOKEN}x`), status: 401, error: 'unauthorized' },
  { name: 'Bearer with no token', method: 'POST', path: INGEST, headers: { Authorization: 'Bearer ' }, status: 401, error: 'unauthorized' },
  {
    name: 'two Bearer tokens in one header',
    method: 'POST',
    path: INGEST,
    headers: { Authorization: `Bearer ${TOKEN}, Bearer x` },
    status: 401,
    error: 'unauthorized',
  },
  { name: 'the token with the Basic scheme', method: 'POST', path: INGEST, headers: basic('logpush', TOKEN), status: 401, error: 'unauthorized' },
  { name: 'the token as a bare header value', method: 'POST', path: INGEST, headers: { Authorization: TOKEN }, status: 401, error: 'unauthorized' },
  {
    name: 'the token in the query string (header_Authorization)',
    method: 'POST',
    path: `${INGEST}?header_Authorization=Bearer%20${TOKEN}`,
    status: 401,
    error: 'unauthorized',
  },
  { name: 'the stats token on the ingest route', method: 'POST', path: INGEST, headers: bearer(SECRETS.STATS_TOKEN), status: 401, error: 'unauthorized' },
  // Path tricks on the Logpush route: none reaches the handler without the token.
  { name: '//logpush/http_requests', method: 'POST', path: `/${INGEST}`, status: 404, error: 'not_found' },
  { name: '//logpush/http_requests, with the token', method: 'POST', path: `/${INGEST}`, headers: bearer(TOKEN), status: 404, error: 'not_found' },
  { name: '/logpush//http_requests', method: 'POST', path: '/logpush//http_requests', status: 401, error: 'unauthorized' },
  { name: '/LOGPUSH/http_requests', method: 'POST', path: '/LOGPUSH/http_requests', status: 404, error: 'not_found' },
  { name: '/LOGPUSH/http_requests, with the token', method: 'POST', path: '/LOGPUSH/http_requests', headers: bearer(TOKEN), status: 404, error: 'not_found' },
  {
    name: '/logpush/HTTP_REQUESTS, with the token',
    method: 'POST',
    path: '/logpush/HTTP_REQUESTS',
    headers: bearer(TOKEN),
    status: 404,
    error: 'unknown_dataset',
  },
  { name: '/logpush/http_requests/ (trailing slash)', method: 'POST', path: `${INGEST}/`, status: 401, error: 'unauthorized' },
  {
    name: '/logpush/http_requests/ (trailing slash), with the token',
    method: 'POST',
    path: `${INGEST}/`,
    headers: bearer(TOKEN),
    status: 404,
    error: 'not_found',
  },
  { name: '/logpush/http_requests%2f..', method: 'POST', path: `${INGEST}%2f..`, status: 401, error: 'unauthorized' },
  {
    name: '/logpush/http_requests%2f.., with the token',
    method: 'POST',
    path: `${INGEST}%2f..`,
    headers: bearer(TOKEN),
    status: 404,
    error: 'unknown_dataset',
  },
  { name: '/logpush/http_requests%2F..%2F..%2Fstats', method: 'POST', path: `${INGEST}%2F..%2F..%2Fstats`, status: 401, error: 'unauthorized' },
  { name: '/logpush/%2e%2e/stats (the URL resolves it to /stats)', method: 'POST', path: '/logpush/%2e%2e/stats', status: 401, error: 'unauthorized' },
  { name: '/logpush (no dataset)', method: 'POST', path: '/logpush', status: 401, error: 'unauthorized' },
  // Other methods on the Logpush route: the token first, then 405.
  { name: 'HEAD', method: 'HEAD', path: INGEST, status: 401, challenge: 'Bearer' },
  { name: 'OPTIONS', method: 'OPTIONS', path: INGEST, status: 401, error: 'unauthorized' },
  { name: 'GET', method: 'GET', path: INGEST, status: 401, error: 'unauthorized' },
  { name: 'PUT', method: 'PUT', path: INGEST, status: 401, error: 'unauthorized' },
  { name: 'DELETE', method: 'DELETE', path: INGEST, status: 401, error: 'unauthorized' },
  { name: 'HEAD, with the token', method: 'HEAD', path: INGEST, headers: bearer(TOKEN), status: 405 },
  { name: 'OPTIONS, with the token', method: 'OPTIONS', path: INGEST, headers: bearer(TOKEN), status: 405, error: 'method_not_allowed' },
  { name: 'GET, with the token', method: 'GET', path: INGEST, headers: bearer(TOKEN), status: 405, error: 'method_not_allowed' },
  { name: 'PUT, with the token', method: 'PUT', path: INGEST, headers: bearer(TOKEN), status: 405, error: 'method_not_allowed' },
  // Stats API, status page, ownership challenges.
  { name: 'GET /stats without auth', method: 'GET', path: '/stats', status: 401, error: 'unauthorized', challenge: 'Bearer' },
  { name: 'GET /stats/http_requests without auth', method: 'GET', path: '/stats/http_requests', status: 401, error: 'unauthorized' },
  { name: 'GET /stats/ without auth', method: 'GET', path: '/stats/', status: 401, error: 'unauthorized' },
  { name: 'GET /stats with a wrong token', method: 'GET', path: '/stats', headers: bearer('stats-wrong-token-00'), status: 401, error: 'unauthorized' },
  {
    name: 'GET /stats with the token as Basic password',
    method: 'GET',
    path: '/stats',
    headers: basic('x', SECRETS.STATS_TOKEN),
    status: 401,
    error: 'unauthorized',
  },
  { name: 'GET //stats', method: 'GET', path: '//stats', status: 404, error: 'not_found' },
  { name: 'GET /STATS', method: 'GET', path: '/STATS', status: 404, error: 'not_found' },
  { name: 'GET / (status page) without auth', method: 'GET', path: '/', status: 401, error: 'unauthorized', challenge: 'Basic' },
  {
    name: 'GET / with a wrong password',
    method: 'GET',
    path: '/',
    headers: basic('admin', 'stats-wrong-token-00'),
    status: 401,
    error: 'unauthorized',
    challenge: 'Basic',
  },
  { name: 'GET / with the token as Bearer', method: 'GET', path: '/', headers: bearer(SECRETS.STATS_TOKEN), status: 401, error: 'unauthorized' },
  { name: 'GET // (status page path trick)', method: 'GET', path: '//', status: 404, error: 'not_found' },
  { name: 'GET /ownership-challenges without auth', method: 'GET', path: '/ownership-challenges', status: 401, error: 'unauthorized', challenge: 'Bearer' },
  { name: 'GET /ownership-challenges/ without auth', method: 'GET', path: '/ownership-challenges/', status: 401, error: 'unauthorized' },
  {
    name: 'GET /ownership-challenges with the stats token',
    method: 'GET',
    path: '/ownership-challenges',
    headers: bearer(SECRETS.STATS_TOKEN),
    status: 401,
    error: 'unauthorized',
  },
  { name: 'GET /ownership-challenges with Basic', method: 'GET', path: '/ownership-challenges', headers: basic('x', TOKEN), status: 400, error: 'bad_request' },
  { name: 'GET //ownership-challenges', method: 'GET', path: '//ownership-challenges', status: 404, error: 'not_found' },
  // Liveness needs no auth and shows no secret.
  { name: 'GET /healthz', method: 'GET', path: '/healthz', status: 200 },
  // The S3 endpoint without a signature (signature, replay and skew: test/s3-protocol/sigv4-verify.test.ts).
  { name: 'PUT /s3/... unsigned', method: 'PUT', path: '/s3/cloudflare-logs/http_requests/20310101/x.log.gz', status: 403 },
  {
    name: 'PUT /s3/... with the ingest token',
    method: 'PUT',
    path: '/s3/cloudflare-logs/http_requests/20310101/x.log.gz',
    headers: bearer(TOKEN),
    status: 400,
  },
]

describe('auth: each attempt and its answer', () => {
  for (const attempt of ATTEMPTS) {
    it(`${attempt.method} ${attempt.name} → ${attempt.status}${attempt.error ? ` ${attempt.error}` : ''}`, async () => {
      const body = ['POST', 'PUT'].includes(attempt.method) ? LINE : undefined
      const res = await call(attempt.method, attempt.path, attempt.headers, body)
      expect(res.status).toBe(attempt.status)
      if (attempt.challenge) expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`^${attempt.challenge} `))
      const all = await everything(res.clone())
      expectNoSecret(all, attempt.name)
      if (attempt.error) expect(JSON.parse(await res.text())).toMatchObject({ error: attempt.error, detail: expect.any(String) })
      if (attempt.status === 405) expect(res.headers.get('allow')).toBe('POST')
      expectNoSecret(logged.join('\n'), `the log of ${attempt.name}`)
    })
  }

  it('none of the refused attempts wrote anything', async () => {
    expect(await bucket.listKeys(PREFIX)).toEqual([])
  })

  it('the auth scheme is case-insensitive (RFC 9110) and the right token is accepted', async () => {
    const res = await call('POST', INGEST, { Authorization: `bearer ${TOKEN}` }, LINE, { S3_PREFIX: `${PREFIX}accepted/` })
    expect(res.status).toBe(200)
    expectNoSecret(await everything(res), 'the 200')
  })
})

describe('secrets in answers and logs when things go wrong', () => {
  it('a failing S3 call: the 503 and the log name the S3 call, never a key or token', async () => {
    const res = await call('POST', INGEST, bearer(TOKEN), LINE, { S3_ENDPOINT: 'http://127.0.0.1:1', S3_RETRY_BASE_DELAY_MS: '1' })
    expect(res.status).toBe(503)
    expectNoSecret(await everything(res), 'the 503')
    const log = logged.join('\n')
    expect(log).toMatch(/"msg":"batch failed".*"phase":"store".*PutObject .*NetworkError/)
    expectNoSecret(log, 'the log of a failing S3 call')
  })

  it('S3 refusing the credentials: the 503 and the log hold S3 error code, not the secret', async () => {
    const proxy = inject('faultProxyUrl')
    const match = `${PREFIX}denied/`
    await fetch(`${proxy}/__faults`, { method: 'POST', body: JSON.stringify({ match, count: 100, status: 403, code: 'SignatureDoesNotMatch' }) })
    const res = await call('POST', INGEST, bearer(TOKEN), LINE, { S3_ENDPOINT: proxy, S3_PREFIX: match })
    expect(res.status).toBe(503)
    expectNoSecret(await everything(res), 'the 503')
    expect(logged.join('\n')).toMatch(/403 SignatureDoesNotMatch/)
    expectNoSecret(logged.join('\n'), 'the log')
  })

  it('the S3 endpoint, signed, with a failing store: 503 ServiceUnavailable, no secret anywhere', async () => {
    const req = await signedRequest({ path: '/s3/cloudflare-logs/http_requests/20310101/fail.log', body: LINE, secret: SECRETS.PROXY_SECRET_ACCESS_KEY })
    const res = await app.fetch(req, { ...env, ...BASE, S3_ENDPOINT: 'http://127.0.0.1:1', S3_RETRY_BASE_DELAY_MS: '1' } as unknown as Env)
    expect(res.status).toBe(503)
    expect(await res.clone().text()).toContain('<Code>ServiceUnavailable</Code>')
    expectNoSecret(await everything(res), 'the S3 error')
    expectNoSecret(logged.join('\n'), 'the log')
  })

  it('the S3 endpoint, signed with a wrong secret: SignatureDoesNotMatch shows the string to sign, not the secret', async () => {
    const req = await signedRequest({ path: '/s3/cloudflare-logs/http_requests/20310101/x.log', body: LINE, secret: 'wrong-secret' })
    const res = await app.fetch(req, { ...env, ...BASE } as unknown as Env)
    expect(res.status).toBe(403)
    const all = await everything(res)
    expect(all).toContain('SignatureDoesNotMatch')
    expectNoSecret(all, 'SignatureDoesNotMatch')
  })

  it('a misconfiguration: answers and logs name the settings, never a value', async () => {
    const broken = { INGEST_TOKEN: 'tiny7', S3_PART_BYTES: '1024', S3_ENDPOINT: 'https://s3.us-east-1.amazonaws.com' }
    const answers = [
      await call('POST', INGEST, bearer('tiny7'), LINE, broken),
      await call('GET', '/healthz', {}, undefined, broken),
      await call('GET', '/stats', bearer(SECRETS.STATS_TOKEN), undefined, broken),
      await app.fetch(await signedRequest({ path: '/s3/cloudflare-logs/http_requests/20310101/x.log', body: LINE, secret: SECRETS.PROXY_SECRET_ACCESS_KEY }), {
        ...env,
        ...BASE,
        ...broken,
      } as unknown as Env),
    ]
    expect(answers.map((r) => r.status)).toEqual([500, 503, 500, 500])
    const text = (await Promise.all(answers.map(everything))).join('\n')
    expect(text).toContain('INGEST_TOKEN')
    expect(text).toContain('S3_PART_BYTES')
    expect(text).not.toContain('tiny7')
    expectNoSecret(text, 'the answers')
    const log = logged.join('\n')
    expect(log).toContain('INGEST_TOKEN') // the S3 endpoint logs what its XML error cannot say
    expect(log).not.toContain('tiny7')
    expectNoSecret(log, 'the log')
  })
})

describe('size limits, enforced while streaming', () => {
  /** A body of `chunks` chunks of `size` bytes, made only as it is read; `pulled` counts them. */
  function endless(chunks: number, size: number, chunk: () => Uint8Array) {
    const state = { pulled: 0 }
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (state.pulled === chunks) return controller.close()
        state.pulled++
        controller.enqueue(chunk().slice(0, size))
      },
    })
    return { stream, state }
  }
  const lines = new TextEncoder().encode(LINE.repeat(2048)) // 128 KiB of NDJSON

  it('a chunked body (no Content-Length) over MAX_BODY_BYTES: 413 after reading just past the limit, nothing stored', async () => {
    const { stream, state } = endless(1000, 64 * 1024, () => lines) // 64 MiB on offer
    const req = new Request(`http://worker${INGEST}`, { method: 'POST', headers: bearer(TOKEN), body: stream })
    expect(req.headers.get('content-length'), 'the request the app is given declares no length').toBeNull()
    const prefix = `${PREFIX}chunked-413/`
    const res = await app.fetch(req, { ...env, ...BASE, MAX_BODY_BYTES: String(256 * 1024), S3_PREFIX: prefix } as unknown as Env)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ error: 'body_too_large' })
    expect(state.pulled).toBeLessThan(10) // 256 KiB is 4 chunks; the rest was never produced
    expect(await bucket.listKeys(prefix)).toEqual([])
  })

  it('a declared Content-Length over MAX_BODY_BYTES: 413 before the body is read', async () => {
    const { stream, state } = endless(1000, 64 * 1024, () => lines)
    const res = await call('POST', INGEST, { ...bearer(TOKEN), 'Content-Length': String(64 * 1024 * 1000) }, stream, { MAX_BODY_BYTES: String(256 * 1024) })
    expect(res.status).toBe(413)
    expect(state.pulled).toBeLessThan(3)
  })

  // 1 MiB of spaces as one gzip member (about 1 KiB); members may be concatenated, as Logpush may do.
  const member = gzip(new Uint8Array(1024 * 1024).fill(0x20))

  it('a gzip bomb: 413 at MAX_DECOMPRESSED_BYTES', async () => {
    const one = await member
    const bomb = new Uint8Array(one.byteLength * 200) // 200 MiB once inflated
    for (let i = 0; i < 200; i++) bomb.set(one, i * one.byteLength)
    const res = await call('POST', INGEST, bearer(TOKEN), bomb, { MAX_DECOMPRESSED_BYTES: String(4 * 1024 * 1024) })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { detail: string }).detail).toMatch(/MAX_DECOMPRESSED_BYTES/)
  })

  it('a gzip bomb is not read to its end: decoding stops at the limit', async () => {
    const one = await member
    const { stream, state } = endless(100_000, one.byteLength, () => one) // 100 GiB once inflated
    const schema = schemas().get('http_requests')!
    const output = { event: () => undefined, quarantine: () => undefined }
    const batch = { batchId: 'bomb', logType: schema.logType, parseTime: '2031-01-01 00:00:00.000000000', sourceId: 's', sourceLabel: 'l' }
    const err = await runPipeline(stream, schema, batch, { maxDecompressedBytes: 4 * 1024 * 1024, maxLineBytes: 1024 * 1024 }, output).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BodyTooLargeError)
    expect(err).toMatchObject({ limit: 'MAX_DECOMPRESSED_BYTES' })
    // 4 MiB is four members; a few more may be buffered ahead, never the hundred thousand.
    expect(state.pulled).toBeLessThan(20)
  })
})

describe('security headers', () => {
  const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

  it('every kind of answer carries them: JSON, the status page and its 401, S3 XML', async () => {
    const answers = {
      'a JSON 401': await call('POST', INGEST, bearer('ingest-wrong-token-00'), LINE),
      'JSON stats': await call('GET', '/stats', bearer(SECRETS.STATS_TOKEN)),
      'a JSON 404': await call('GET', '/nowhere'),
      'the status page': await call('GET', '/', basic('x', SECRETS.STATS_TOKEN)),
      'the status page 401': await call('GET', '/', basic('x', 'stats-wrong-token-00')),
      'an S3 XML 403': await call('PUT', '/s3/cloudflare-logs/http_requests/20310101/x.log.gz', {}, LINE),
    }
    for (const [what, res] of Object.entries(answers)) {
      expect(res.headers.get('content-security-policy'), what).toBe(PAGE_CSP)
      expect(res.headers.get('x-content-type-options'), what).toBe('nosniff')
      expect(res.headers.get('x-frame-options'), what).toBe('DENY')
      expect(res.headers.get('referrer-policy'), what).toBe('no-referrer')
      // HSTS is the zone's setting, not the Worker's.
      expect(res.headers.get('strict-transport-security'), what).toBeNull()
    }
    expect(answers['the status page'].status).toBe(200)
    expect(answers['the status page'].headers.get('cache-control')).toBe('no-store')
  })
})

describe('constant-time comparison', () => {
  const spy = vi.mocked(timingSafeEqual)

  it('the ingest token is compared with Hono timingSafeEqual', async () => {
    spy.mockClear()
    const res = await call('POST', INGEST, bearer('ingest-wrong-token-00'), LINE)
    expect(res.status).toBe(401)
    expect(spy).toHaveBeenCalledWith(TOKEN, 'ingest-wrong-token-00')
  })

  it('readers of stats: every accepted token is compared, with no early exit', async () => {
    spy.mockClear()
    const res = await call('GET', '/stats', bearer(SECRETS.STATS_TOKEN))
    expect(res.status).toBe(200)
    // STATS_TOKEN matched first, and INGEST_TOKEN was compared all the same.
    expect(spy).toHaveBeenCalledWith(SECRETS.STATS_TOKEN, SECRETS.STATS_TOKEN)
    expect(spy).toHaveBeenCalledWith(TOKEN, SECRETS.STATS_TOKEN)
  })

  it('the status page password and the ownership-challenges token too', async () => {
    spy.mockClear()
    expect((await call('GET', '/', basic('x', 'stats-wrong-token-00'))).status).toBe(401)
    expect(spy).toHaveBeenCalledWith(SECRETS.STATS_TOKEN, 'stats-wrong-token-00')
    spy.mockClear()
    expect((await call('GET', '/ownership-challenges', bearer('ingest-wrong-token-00'))).status).toBe(401)
    expect(spy).toHaveBeenCalledWith('ingest-wrong-token-00', TOKEN)
  })

  it('the SigV4 signature of the S3 endpoint too', async () => {
    spy.mockClear()
    const req = await signedRequest({ path: '/s3/cloudflare-logs/http_requests/20310101/x.log', body: LINE, secret: 'wrong-secret' })
    const signature = /Signature=([0-9a-f]{64})/.exec(req.headers.get('authorization') ?? '')![1]
    expect((await app.fetch(req, { ...env, ...BASE } as unknown as Env)).status).toBe(403)
    expect(spy).toHaveBeenCalledWith(expect.stringMatching(/^[0-9a-f]{64}$/), signature)
  })
})
