import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { BatchResult, IngestInput } from '../../src/ingest/batch'
import { StorageUnavailableError, UnknownDatasetError } from '../../src/ingest/errors'
import { BodyTooLargeError, NotNdjsonError, SourceReadError, UndecodableBodyError } from '../../src/pipeline/errors'
import { ownershipChallenges } from '../../src/s3-endpoint/challenges-route'
import { s3Proxy, s3VirtualHost } from '../../src/s3-endpoint'
import { bucketChallengeStore } from '../../src/s3-endpoint/challenges'
import type { ObjectStore } from '../../src/s3-endpoint/object-store'
import { presignedRequest, signedRequest } from './signing'

// The route against in-memory stand-ins for ingest and the bucket: these tests are about the S3
// protocol. test/e2e-node runs the same requests through the real Worker and a real S3 server.

const BASE_ENV = {
  S3_ENDPOINT: 'http://127.0.0.1:9',
  S3_REGION: 'us-east-1',
  S3_BUCKET: 'out',
  S3_PREFIX: 'edge/',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
  INGEST_TOKEN: 'dev-token',
  PROXY_ACCESS_KEY_ID: 'logpush',
  PROXY_SECRET_ACCESS_KEY: 'logpush-secret',
}

class MemoryStore implements ObjectStore {
  objects = new Map<string, Uint8Array>()
  async put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, length: number) {
    const bytes = body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer())
    if (bytes.length !== length) throw new Error('length mismatch')
    this.objects.set(key, bytes)
  }
  async get(key: string) {
    const bytes = this.objects.get(key)
    return bytes ? new Response(bytes).body! : null
  }
  async delete(key: string) {
    this.objects.delete(key)
  }
  async list(prefix: string) {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort()
  }
}

function setup(envOverrides: Record<string, string | undefined> = {}, failWith?: Error) {
  const store = new MemoryStore()
  // `again`: the body read a second time, for a body the endpoint has stored already.
  const batches: { dataset: string; text: string; contentLength?: number; again?: string }[] = []
  const ingest = async (_env: Env, input: IngestInput): Promise<BatchResult> => {
    const text = await new Response(input.body).text()
    if (failWith) throw failWith
    const again = input.reopen && (await new Response(input.reopen()).text())
    batches.push({ dataset: input.dataset, text, contentLength: input.contentLength, again })
    return {
      batchId: 'b1',
      dataset: input.dataset,
      logType: 'Cloudflare.HttpRequest',
      events: 1,
      written: 1,
      quarantined: 0,
      objects: 1,
      keys: ['logs/x/b1.json.gz'],
      duplicate: false,
      bytesReceived: text.length,
      bytesDecompressed: text.length,
      maxEventTime: '',
    }
  }
  const challenges = () => bucketChallengeStore(store, 'edge/')
  const s3 = s3Proxy({ ingest, staging: () => store, challenges })
  const app = new Hono<{ Bindings: Env }>()
  app.use('*', s3VirtualHost(s3))
  app.route('/s3', s3)
  app.route('/ownership-challenges', ownershipChallenges({ challenges }))
  const env = { ...BASE_ENV, ...envOverrides } as unknown as Env
  return { store, batches, fetch: async (request: Request) => app.fetch(request, env) }
}

async function errorCode(response: Response) {
  const xml = await response.text()
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(xml)?.[1], xml }
}

const KEY = '/s3/cloudflare-logs/http_requests/20261125/20261125T101010Z_20261125T101110Z_abcd.log.gz'

describe('PutObject', () => {
  it('feeds the body to ingest under the dataset named by the key and answers 200 with an ETag', async () => {
    const { fetch, batches } = setup()
    const response = await fetch(await signedRequest({ path: KEY, body: '{"a":1}\n' }))
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/)
    expect(response.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/)
    expect(response.headers.get('x-logpush-batch-id')).toBe('b1')
    expect(batches).toEqual([{ dataset: 'http_requests', text: '{"a":1}\n', contentLength: 8 }])
  })

  it('makes its own request id, on errors too, and never takes one the client sends', async () => {
    const { fetch } = setup()
    const sent = { 'x-amz-request-id': 'CLIENTCHOSEN0001', 'x-request-id': 'CLIENTCHOSEN0002' }
    const ok = await fetch(await signedRequest({ path: KEY, body: 'x', headers: sent }))
    const refused = await fetch(await signedRequest({ path: KEY, body: 'x', headers: sent, secret: 'wrong-secret' }))
    expect([ok.status, refused.status]).toEqual([200, 403])
    const ids = [ok, refused].map((response) => response.headers.get('x-amz-request-id'))
    for (const id of ids) expect(id).toMatch(/^[0-9A-F]{16}$/)
    expect(ids[0]).not.toBe(ids[1])
    expect(await refused.text()).toContain(`<RequestId>${ids[1]}</RequestId>`)
  })

  it('uses the configured prefix map before the first folder', async () => {
    const { fetch, batches } = setup({ S3_PROXY_DATASETS: '{"cf/fw/":"firewall_events","cf/":"audit_logs"}' })
    await fetch(await signedRequest({ path: '/s3/cloudflare-logs/cf/fw/20261125/x.log.gz', body: 'x' }))
    await fetch(await signedRequest({ path: '/s3/cloudflare-logs/cf/20261125/x.gz', body: 'y' }))
    expect(batches.map((b) => b.dataset)).toEqual(['firewall_events', 'audit_logs'])
  })

  it('refuses a tampered body with XAmzContentSHA256Mismatch and acknowledges nothing', async () => {
    const { fetch, batches, store } = setup()
    const signed = await signedRequest({ path: KEY, body: '{"a":1}\n' })
    const response = await fetch(new Request(signed, { body: '{"a":2}\n' }))
    expect(await errorCode(response)).toMatchObject({ status: 400, code: 'XAmzContentSHA256Mismatch' })
    expect(batches).toEqual([])
    expect([...store.objects.keys()]).toEqual([])
  })

  it('answers auth failures with S3 XML errors and never calls ingest', async () => {
    const { fetch, batches } = setup()
    const cases: [Request, number, string][] = [
      [await signedRequest({ path: KEY, body: 'x', secret: 'wrong' }), 403, 'SignatureDoesNotMatch'],
      [await signedRequest({ path: KEY, body: 'x', accessKeyId: 'AKIAOTHER' }), 403, 'InvalidAccessKeyId'],
      [await signedRequest({ path: KEY, body: 'x', date: new Date(Date.now() - 3600_000) }), 403, 'RequestTimeTooSkewed'],
      [await presignedRequest({ path: KEY, body: 'x', expiresIn: 1, date: new Date(Date.now() - 10_000) }), 403, 'AccessDenied'],
      [new Request(`http://edge.example.com${KEY}`, { method: 'PUT', body: 'x' }), 403, 'AccessDenied'],
    ]
    for (const [request, status, code] of cases) {
      const answer = await errorCode(await fetch(request))
      expect(answer).toMatchObject({ status, code })
      expect(answer.xml).toMatch(/<RequestId>[0-9A-F]{16}<\/RequestId>/)
      expect(answer.xml).not.toContain('logpush-secret')
    }
    expect(batches).toEqual([])
  })

  it('accepts a presigned PUT', async () => {
    const { fetch, batches } = setup()
    expect((await fetch(await presignedRequest({ path: KEY, body: 'line\n' }))).status).toBe(200)
    expect(batches[0]?.text).toBe('line\n')
  })

  it('maps ingest failures to S3 errors a sender understands', async () => {
    // The errors ingest really throws, so the test holds whatever way the route tells them apart.
    const cases: [Error, number, string][] = [
      [new UnknownDatasetError('x'), 400, 'InvalidArgument'],
      [new BodyTooLargeError('MAX_BODY_BYTES', 4), 400, 'EntityTooLarge'],
      [new UndecodableBodyError('not gzip'), 400, 'InvalidArgument'],
      [new NotNdjsonError('CSV'), 400, 'InvalidArgument'],
      [new SourceReadError(new Error('reset')), 400, 'IncompleteBody'],
      [new StorageUnavailableError(new Error('down')), 503, 'ServiceUnavailable'],
      [new Error('boom'), 500, 'InternalError'],
    ]
    for (const [error, status, code] of cases) {
      const { fetch } = setup({}, error)
      expect(await errorCode(await fetch(await signedRequest({ path: KEY, body: 'x' })))).toMatchObject({ status, code })
    }
  })

  it('refuses a key without a dataset folder, and an oversized body', async () => {
    const { fetch } = setup({ MAX_BODY_BYTES: '4' })
    expect(await errorCode(await fetch(await signedRequest({ path: '/s3/cloudflare-logs/x.log.gz', body: 'x' })))).toMatchObject({
      status: 400,
      code: 'InvalidArgument',
    })
    expect(await errorCode(await fetch(await signedRequest({ path: KEY, body: 'xxxxx' })))).toMatchObject({ status: 400, code: 'EntityTooLarge' })
  })
})

describe('bucket operations and the rest', () => {
  it('answers HeadBucket, GetBucketLocation and an empty ListObjectsV2', async () => {
    const { fetch } = setup()
    const head = await fetch(await signedRequest({ method: 'HEAD', path: '/s3/cloudflare-logs', payloadHash: 'UNSIGNED-PAYLOAD' }))
    expect([head.status, head.headers.get('x-amz-bucket-region')]).toEqual([200, 'us-east-1'])
    const location = await fetch(await signedRequest({ method: 'GET', path: '/s3/cloudflare-logs', query: { location: '' }, payloadHash: 'UNSIGNED-PAYLOAD' }))
    expect(await location.text()).toContain('<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>')
    const list = await fetch(await signedRequest({ method: 'GET', path: '/s3/cloudflare-logs', query: { 'list-type': '2' }, payloadHash: 'UNSIGNED-PAYLOAD' }))
    const xml = await list.text()
    expect(xml).toContain('<KeyCount>0</KeyCount>')
    expect(xml).toContain('<IsTruncated>false</IsTruncated>')
  })

  it('answers NotImplemented (501) for anything else, never a silent 200', async () => {
    const { fetch } = setup()
    const requests = [
      await signedRequest({ method: 'GET', path: KEY, payloadHash: 'UNSIGNED-PAYLOAD' }),
      await signedRequest({ method: 'DELETE', path: KEY, payloadHash: 'UNSIGNED-PAYLOAD' }),
      await signedRequest({ method: 'PUT', path: KEY, query: { tagging: '' }, body: 'x' }),
      await signedRequest({ method: 'PUT', path: KEY, body: 'x', headers: { 'x-amz-copy-source': '/other/key' } }),
      await signedRequest({ method: 'GET', path: '/s3/cloudflare-logs', payloadHash: 'UNSIGNED-PAYLOAD' }),
      await signedRequest({ method: 'PUT', path: '/s3/cloudflare-logs', payloadHash: 'UNSIGNED-PAYLOAD' }),
    ]
    for (const request of requests) expect(await errorCode(await fetch(request))).toMatchObject({ status: 501, code: 'NotImplemented' })
  })

  it('knows only the configured buckets when S3_PROXY_BUCKETS is set', async () => {
    const { fetch } = setup({ S3_PROXY_BUCKETS: 'cloudflare-logs' })
    const other = await fetch(await signedRequest({ method: 'HEAD', path: '/s3/other-bucket', payloadHash: 'UNSIGNED-PAYLOAD' }))
    expect(other.status).toBe(404)
    expect(await errorCode(await fetch(await signedRequest({ path: '/s3/other-bucket/http_requests/x', body: 'x' })))).toMatchObject({
      status: 404,
      code: 'NoSuchBucket',
    })
  })

  it('serves virtual-host style requests on <bucket>.<S3_PROXY_HOST>', async () => {
    const { fetch, batches } = setup({ S3_PROXY_HOST: 's3.example.com' })
    const request = await signedRequest({ path: '/http_requests/20261125/a.log.gz', body: 'vh', headers: { host: 'cloudflare-logs.s3.example.com' } })
    const virtualHost = new Request(request.url.replace('edge.example.com', 'cloudflare-logs.s3.example.com'), request)
    expect((await fetch(virtualHost)).status).toBe(200)
    expect(batches).toEqual([{ dataset: 'http_requests', text: 'vh', contentLength: 2 }])
  })

  it('serves path style at the root of S3_PROXY_HOST itself, and leaves other hosts alone', async () => {
    const { fetch, batches } = setup({ S3_PROXY_HOST: 's3.example.com' })
    const request = await signedRequest({ path: '/cloudflare-logs/audit_logs/20261125/a.log.gz', body: 'root', headers: { host: 's3.example.com' } })
    expect((await fetch(new Request(request.url.replace('edge.example.com', 's3.example.com'), request))).status).toBe(200)
    expect(batches).toEqual([{ dataset: 'audit_logs', text: 'root', contentLength: 4 }])
    const elsewhere = await signedRequest({ path: '/cloudflare-logs/audit_logs/a.log.gz', body: 'x' })
    expect((await fetch(elsewhere)).status).toBe(404)
  })
})

describe('ownership challenges', () => {
  it('keeps an ownership-challenge object aside, never as log data, and lists it with the ingest token', async () => {
    const { fetch, batches, store } = setup()
    const response = await fetch(await signedRequest({ path: '/s3/cloudflare-logs/http_requests/ownership-challenge-1a2b.txt', body: 'token-123\n' }))
    expect(response.status).toBe(200)
    expect(batches).toEqual([])
    expect([...store.objects.keys()]).toEqual(['edge/ownership-challenges/cloudflare-logs/http_requests/ownership-challenge-1a2b.txt.json'])

    expect((await fetch(new Request('http://edge.example.com/ownership-challenges'))).status).toBe(401)
    const wrong = await fetch(new Request('http://edge.example.com/ownership-challenges', { headers: { authorization: 'Bearer nope-nope' } }))
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized' })
    const listed = await fetch(new Request('http://edge.example.com/ownership-challenges', { headers: { authorization: 'Bearer dev-token' } }))
    expect(await listed.json()).toEqual({
      challenges: [{ bucket: 'cloudflare-logs', key: 'http_requests/ownership-challenge-1a2b.txt', token: 'token-123', receivedAt: expect.any(String) }],
    })

    const list = await fetch(
      await signedRequest({
        method: 'GET',
        path: '/s3/cloudflare-logs',
        query: { 'list-type': '2', prefix: 'http_requests/' },
        payloadHash: 'UNSIGNED-PAYLOAD',
      }),
    )
    expect(await list.text()).toContain('<Key>http_requests/ownership-challenge-1a2b.txt</Key>')
  })
})

describe('ownership challenges, more than a page of them', () => {
  it('lists the newest 100, newest first, wherever their keys sort', async () => {
    const { store, fetch } = setup()
    const challenges = bucketChallengeStore(store, 'edge/')
    // Key order and time order disagree: the newest record has the key that sorts last.
    for (let i = 0; i < 150; i++) {
      const receivedAt = new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString()
      await challenges.put({ bucket: 'cloudflare-logs', key: `zone-${String(i).padStart(3, '0')}/ownership-challenge.txt`, token: `t${i}`, receivedAt })
    }
    const listed = await fetch(new Request('http://edge.example.com/ownership-challenges', { headers: { authorization: 'Bearer dev-token' } }))
    const { challenges: records } = (await listed.json()) as { challenges: { token: string; receivedAt: string }[] }
    expect(records).toHaveLength(100)
    expect(records[0]!.token).toBe('t149')
    expect(records[99]!.token).toBe('t50')
    expect(records.map((r) => r.receivedAt)).toEqual([...records.map((r) => r.receivedAt)].sort().reverse())
  })
})

describe('an endpoint without its keys', () => {
  it('answers 403 AccessDenied naming the settings, not a 503 that Logpush would retry forever', async () => {
    const { fetch, batches } = setup({ PROXY_ACCESS_KEY_ID: undefined, PROXY_SECRET_ACCESS_KEY: undefined })
    const { status, code, xml } = await errorCode(await fetch(await signedRequest({ path: KEY, body: 'x' })))
    expect({ status, code }).toEqual({ status: 403, code: 'AccessDenied' })
    expect(xml).toContain('PROXY_ACCESS_KEY_ID')
    expect(xml).not.toContain('logpush-secret')
    expect(batches).toEqual([])
  })
})

describe('multipart upload', () => {
  const path = '/s3/cloudflare-logs/firewall_events/20261125/big.log.gz'
  const xmlOf = (parts: [number, string][]) =>
    `<CompleteMultipartUpload>${parts.map(([n, etag]) => `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`

  async function start(fetch: (r: Request) => Promise<Response>) {
    const created = await fetch(await signedRequest({ method: 'POST', path, query: { uploads: '' }, payloadHash: 'UNSIGNED-PAYLOAD' }))
    expect(created.status).toBe(200)
    return /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())![1]!
  }
  const part = async (fetch: (r: Request) => Promise<Response>, uploadId: string, partNumber: number, body: string) => {
    const response = await fetch(await signedRequest({ path, query: { partNumber: String(partNumber), uploadId }, body }))
    expect(response.status).toBe(200)
    return response.headers.get('etag')!
  }

  it('stages parts in the bucket, streams them in order into one batch on Complete (twice: hash, then pipeline; no copy staged), then removes them', async () => {
    const { fetch, batches, store } = setup()
    const uploadId = await start(fetch)
    const etag2 = await part(fetch, uploadId, 2, 'second\n')
    const etag1 = await part(fetch, uploadId, 1, 'first\n')
    expect([...store.objects.keys()].every((key) => key.startsWith(`edge/staging/s3-proxy/${uploadId}/`))).toBe(true)
    const complete = await fetch(
      await signedRequest({
        method: 'POST',
        path,
        query: { uploadId },
        body: xmlOf([
          [1, etag1],
          [2, etag2],
        ]),
      }),
    )
    expect(complete.status).toBe(200)
    expect(await complete.text()).toMatch(/<ETag>&quot;[0-9a-f]{32}-2&quot;<\/ETag>/)
    expect(batches).toEqual([{ dataset: 'firewall_events', text: 'first\nsecond\n', contentLength: 13, again: 'first\nsecond\n' }])
    expect(store.objects.size).toBe(0)
  })

  it('refuses a wrong ETag, a missing part, parts out of order, bad XML and unknown uploads', async () => {
    const { fetch, batches } = setup()
    const uploadId = await start(fetch)
    const etag1 = await part(fetch, uploadId, 1, 'first\n')
    const complete = async (body: string, id = uploadId) => errorCode(await fetch(await signedRequest({ method: 'POST', path, query: { uploadId: id }, body })))
    expect(await complete(xmlOf([[1, '"00000000000000000000000000000000"']]))).toMatchObject({ status: 400, code: 'InvalidPart' })
    expect(
      await complete(
        xmlOf([
          [1, etag1],
          [2, etag1],
        ]),
      ),
    ).toMatchObject({ status: 400, code: 'InvalidPart' })
    expect(
      await complete(
        xmlOf([
          [2, etag1],
          [1, etag1],
        ]),
      ),
    ).toMatchObject({ status: 400, code: 'InvalidPartOrder' })
    expect(await complete('<nope/>')).toMatchObject({ status: 400, code: 'MalformedXML' })
    expect(await complete(xmlOf([[1, etag1]]), 'f'.repeat(32))).toMatchObject({ status: 404, code: 'NoSuchUpload' })
    const stray = await fetch(await signedRequest({ path, query: { partNumber: '1', uploadId: 'f'.repeat(32) }, body: 'x' }))
    expect(await errorCode(stray)).toMatchObject({ status: 404, code: 'NoSuchUpload' })
    expect(batches).toEqual([])
  })

  it('keeps a re-sent part only once, and Abort removes everything', async () => {
    const { fetch, store } = setup()
    const uploadId = await start(fetch)
    await part(fetch, uploadId, 1, 'old\n')
    const fresh = await part(fetch, uploadId, 1, 'new\n')
    const receipts = [...store.objects.keys()].filter((key) => key.includes('.etag-'))
    expect(receipts).toEqual([`edge/staging/s3-proxy/${uploadId}/part-00001.etag-${fresh.replace(/"/g, '')}-4`])
    const abort = await fetch(await signedRequest({ method: 'DELETE', path, query: { uploadId }, payloadHash: 'UNSIGNED-PAYLOAD' }))
    expect(abort.status).toBe(204)
    expect(store.objects.size).toBe(0)
  })

  it('stages nothing from a part whose body does not match its signed hash', async () => {
    const { fetch, store } = setup()
    const uploadId = await start(fetch)
    const signed = await signedRequest({ path, query: { partNumber: '1', uploadId }, body: 'good\n' })
    expect(await errorCode(await fetch(new Request(signed, { body: 'evil\n' })))).toMatchObject({ status: 400, code: 'XAmzContentSHA256Mismatch' })
    expect([...store.objects.keys()].some((key) => key.includes('part-00001'))).toBe(false)
  })
})
