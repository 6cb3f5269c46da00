// The log lines an operator reads (src/ingest/batch-log.ts), through the real app and the local S3
// server: one JSON line per batch request, one per failure with its phase, never a secret.
// Secrets get distinctive values here so that an echo of one is found by a substring search.
import { env } from 'cloudflare:test'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import app from '../../src/index'
import { bytes, gzip } from '../helpers/streams'
import { signedRequest } from '../s3-endpoint/signing'
import { uniquePrefix } from '../storage/helpers'

const SECRETS = {
  INGEST_TOKEN: 'ingest-logs-Vb4n7Qz2Kc9x',
  STATS_TOKEN: 'stats-logs-Jr5t8Wm1Hd3p',
  AWS_SECRET_ACCESS_KEY: 'aws-logs-Fy6u2Ls9Ne4k',
  PROXY_SECRET_ACCESS_KEY: 'proxy-logs-Tg1c7Xa5Mb8r',
}
const BROKEN_STORE = { S3_ENDPOINT: 'http://127.0.0.1:1', S3_RETRY_BASE_DELAY_MS: '1' }
const CF_RAY = '8f0c1d2e3a4b5c6d-ORD'
const S3_KEY = '/s3/cloudflare-logs/http_requests/20261125/20261125T101010Z_20261125T101110Z_logs.log.gz'

type Line = Record<string, unknown>

// What the app writes to the console during a test: every call, and the JSON lines parsed.
let written: string[] = []
let storageRequests: string[] = []
beforeEach(() => {
  written = []
  storageRequests = []
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      written.push(`${level} ${args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`)
    })
  }
  // Every request the S3 client sends, counted on its way out, to check the line's storageCalls.
  const realFetch = globalThis.fetch
  vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    storageRequests.push(url)
    return realFetch(input, init)
  })
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** The JSON lines written with `level`, whose msg is `msg`. */
function lines(level: 'log' | 'error', msg: string): Line[] {
  return written
    .filter((text) => text.startsWith(`${level} {`))
    .map((text) => JSON.parse(text.slice(level.length + 1)) as Line)
    .filter((line) => line.msg === msg)
}

function expectNoSecret(): void {
  const text = written.join('\n')
  for (const [name, value] of Object.entries(SECRETS)) expect(text, `${name} in the log`).not.toContain(value)
}

function post(dataset: string, body: BodyInit, settings: Record<string, string> = {}, token = SECRETS.INGEST_TOKEN): Promise<Response> {
  const req = new Request(`http://worker/logpush/${dataset}`, {
    method: 'POST',
    body,
    headers: { Authorization: `Bearer ${token}`, 'cf-ray': CF_RAY },
  })
  return Promise.resolve(app.fetch(req, { ...env, ...SECRETS, ...settings } as unknown as Env))
}

const event = (ray: string) => `{"RayID":"${ray}-${crypto.randomUUID()}","EdgeStartTimestamp":"2026-11-25T10:10:10Z","ClientIP":"192.0.2.7"}\n`

describe('POST /logpush/:dataset: one line per request, one per failure', () => {
  it('200: the batch line holds the ack, the bytes received and the storage requests made', async () => {
    const prefix = uniquePrefix('batch-log-ok')
    const body = await gzip(bytes(event('log-ok') + event('log-ok')))
    const res = await post('http_requests', body, { S3_PREFIX: prefix })
    expect(res.status).toBe(200)
    const ack = (await res.json()) as { batchId: string }

    const [line, ...more] = lines('log', 'batch')
    expect(more).toEqual([])
    expect(line).toEqual({
      msg: 'batch',
      route: 'logpush',
      dataset: 'http_requests',
      batchId: ack.batchId,
      status: 200,
      events: 2,
      written: 2,
      quarantined: 0,
      objects: 1,
      duplicate: false,
      bytesIn: body.byteLength,
      durationMs: expect.any(Number),
      storageCalls: 1,
      cfRay: CF_RAY,
    })
    expect(storageRequests.filter((url) => url.startsWith((env as unknown as { S3_ENDPOINT: string }).S3_ENDPOINT))).toHaveLength(1)
    expect(lines('error', 'batch failed')).toEqual([])
    expectNoSecret()
  })

  it('400: an undecodable body fails in phase decode, with the batch id and the reason', async () => {
    const body = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05])
    const res = await post('http_requests', body)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'undecodable_body' })

    const [line] = lines('log', 'batch')
    expect(line).toMatchObject({
      route: 'logpush',
      dataset: 'http_requests',
      batchId: expect.stringMatching(/^[0-9a-f]{32}$/),
      status: 400,
      events: null,
      bytesIn: body.byteLength,
      storageCalls: 0,
      cfRay: CF_RAY,
      error: 'undecodable_body',
      phase: 'decode',
    })
    const failures = lines('error', 'batch failed')
    expect(failures).toEqual([
      {
        level: 'error',
        msg: 'batch failed',
        route: 'logpush',
        dataset: 'http_requests',
        batchId: line!.batchId,
        status: 400,
        phase: 'decode',
        error: 'undecodable_body',
        message: expect.stringContaining('gzip'),
        cfRay: CF_RAY,
      },
    ])
    expectNoSecret()
  })

  it('503: a store that does not answer fails in phase store; storageCalls counts every attempt', async () => {
    const res = await post('http_requests', bytes(event('log-503')), BROKEN_STORE)
    expect(res.status).toBe(503)

    const attempts = storageRequests.filter((url) => url.startsWith(BROKEN_STORE.S3_ENDPOINT))
    // The PUT and its 3 retries at least; cleaning up after them is counted as well.
    expect(attempts.length).toBeGreaterThanOrEqual(4)
    const [line] = lines('log', 'batch')
    expect(line).toMatchObject({ status: 503, error: 'storage_unavailable', phase: 'store', storageCalls: attempts.length, written: null })
    const [failure, ...more] = lines('error', 'batch failed')
    expect(more).toEqual([])
    expect(failure).toMatchObject({ status: 503, phase: 'store', error: 'storage_unavailable', batchId: line!.batchId })
    expect(failure!.message).toMatch(/^storage unavailable: PutObject logs\/cloudflare_httprequest\/.*NetworkError.*\(after 4 attempts\)/)
    expectNoSecret()
  })

  it('401 and 404 are logged too, in phase request, with no batch id', async () => {
    expect((await post('http_requests', bytes(event('log-401')), {}, 'not-the-ingest-token')).status).toBe(401)
    expect((await post('no_such_dataset', bytes(event('log-404')))).status).toBe(404)
    expect(lines('log', 'batch')).toMatchObject([
      { dataset: 'http_requests', batchId: null, status: 401, error: 'unauthorized', phase: 'request', storageCalls: 0 },
      { dataset: 'no_such_dataset', batchId: null, status: 404, error: 'unknown_dataset', phase: 'request', storageCalls: 0 },
    ])
    expect(lines('error', 'batch failed').map((line) => [line.status, line.phase])).toEqual([
      [401, 'request'],
      [404, 'request'],
    ])
    expectNoSecret()
  })
})

describe('the S3 endpoint: PutObject of a batch logs the same lines', () => {
  function putObject(body: Uint8Array, settings: Record<string, string> = {}): Promise<Response> {
    return signedRequest({ path: S3_KEY, body, secret: SECRETS.PROXY_SECRET_ACCESS_KEY, headers: { 'cf-ray': CF_RAY } }).then((req) =>
      app.fetch(req, { ...env, ...SECRETS, ...settings } as unknown as Env),
    )
  }

  it('200: route s3, the batch id of the answer, one storage request', async () => {
    const body = await gzip(bytes(event('s3-log-ok')))
    const res = await putObject(body, { S3_PREFIX: uniquePrefix('batch-log-s3') })
    expect(res.status).toBe(200)
    expect(lines('log', 'batch')).toEqual([
      {
        msg: 'batch',
        route: 's3',
        dataset: 'http_requests',
        batchId: res.headers.get('x-logpush-batch-id'),
        status: 200,
        events: 1,
        written: 1,
        quarantined: 0,
        objects: 1,
        duplicate: false,
        bytesIn: body.byteLength,
        durationMs: expect.any(Number),
        storageCalls: 1,
        cfRay: CF_RAY,
      },
    ])
    expect(lines('error', 'batch failed')).toEqual([])
    expectNoSecret()
  })

  it('503: ServiceUnavailable in phase store, the failure line naming the S3 call, no secret anywhere', async () => {
    const res = await putObject(bytes(event('s3-log-503')), BROKEN_STORE)
    expect(res.status).toBe(503)
    const attempts = storageRequests.filter((url) => url.startsWith(BROKEN_STORE.S3_ENDPOINT))
    expect(lines('log', 'batch')).toMatchObject([{ route: 's3', status: 503, error: 'ServiceUnavailable', phase: 'store', storageCalls: attempts.length }])
    const [failure] = lines('error', 'batch failed')
    expect(failure).toMatchObject({ route: 's3', status: 503, phase: 'store', error: 'ServiceUnavailable' })
    expect(failure!.message).toMatch(/PutObject .*NetworkError/)
    // The batch's failure line is the only log of it: no second, ad-hoc line.
    expect(written.filter((text) => text.startsWith('error '))).toHaveLength(1)
    expectNoSecret()
  })
})
