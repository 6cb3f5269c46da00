import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { BatchResult, IngestInput } from '../../src/ingest/batch'
import { s3Proxy } from '../../src/s3-endpoint'
import { bucketChallengeStore } from '../../src/s3-endpoint/challenges'
import { objectStoreFrom } from '../../src/s3-endpoint/object-store'
import { S3Client } from '../../src/storage/s3/client'
import { faultyS3Options, firstDifference, injectFault, noise, s3Options, uniquePrefix } from '../storage/helpers'
import { signedRequest } from './signing'

// The route's ObjectStore over the sink's S3Client, against the local S3 server: what
// test/s3-endpoint/s3-proxy.test.ts checks against an in-memory store, here with the real bucket.

const bytesOf = async (stream: ReadableStream<Uint8Array> | null) => new Uint8Array(await new Response(stream).arrayBuffer())

describe('objectStoreFrom', () => {
  const store = objectStoreFrom(new S3Client(s3Options()))

  it('puts bytes and streams, gets, lists and deletes them', async () => {
    const prefix = uniquePrefix('object-store')
    const small = new TextEncoder().encode('{"bucket":"b"}')
    const large = noise(3 * 1024 * 1024 + 7)
    await store.put(`${prefix}marker.json`, small, small.byteLength)
    await store.put(`${prefix}part-00001`, new Blob([large]).stream(), large.byteLength)
    await store.put(`${prefix}part-00001.etag-0-0`, new Uint8Array(), 0)

    expect(await store.list(prefix)).toEqual([`${prefix}marker.json`, `${prefix}part-00001`, `${prefix}part-00001.etag-0-0`])
    expect(await bytesOf(await store.get(`${prefix}marker.json`))).toEqual(small)
    expect(firstDifference(await bytesOf(await store.get(`${prefix}part-00001`)), large)).toBe(-1)
    expect(await bytesOf(await store.get(`${prefix}part-00001.etag-0-0`))).toEqual(new Uint8Array())

    for (const key of await store.list(prefix)) await store.delete(key)
    expect(await store.list(prefix)).toEqual([])
    expect(await store.get(`${prefix}marker.json`)).toBeNull()
    await store.delete(`${prefix}marker.json`)
  })

  it('refuses bytes whose length is not the one given', async () => {
    await expect(store.put(`${uniquePrefix('object-store')}x`, new Uint8Array(3), 4)).rejects.toThrow(RangeError)
  })
})

describe('the S3 route with the real bucket as its staging store', () => {
  const path = '/s3/cloudflare-logs/firewall_events/20261125/big.log.gz'

  function setup(client: S3Client) {
    const prefix = uniquePrefix('s3-route')
    const batches: string[] = []
    const ingest = async (_env: Env, input: IngestInput): Promise<BatchResult> => {
      const text = await new Response(input.body).text()
      batches.push(text)
      return {
        batchId: 'b1',
        dataset: input.dataset,
        logType: 'Cloudflare.Firewall',
        events: 1,
        written: 1,
        quarantined: 0,
        objects: 1,
        keys: [],
        duplicate: false,
        bytesReceived: text.length,
        bytesDecompressed: text.length,
        maxEventTime: '',
      }
    }
    const store = objectStoreFrom(client)
    const app = new Hono<{ Bindings: Env }>()
    app.route('/s3', s3Proxy({ ingest, staging: () => store, challenges: () => bucketChallengeStore(store, prefix) }))
    // The route reads its settings from env; its bucket is the staging store given above.
    const env = {
      S3_ENDPOINT: 'http://127.0.0.1:9',
      S3_BUCKET: 'cloudflare-logs',
      S3_REGION: 'us-east-1',
      S3_PREFIX: prefix,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local-secret',
      INGEST_TOKEN: 'dev-token',
      PROXY_ACCESS_KEY_ID: 'logpush',
      PROXY_SECRET_ACCESS_KEY: 'logpush-secret',
    } as unknown as Env
    return { prefix, batches, fetch: (request: Request) => app.fetch(request, env) }
  }

  it('stages streamed parts in the bucket and feeds them to ingest in order', async () => {
    const { prefix, batches, fetch } = setup(new S3Client(s3Options()))
    const created = await fetch(await signedRequest({ method: 'POST', path, query: { uploads: '' }, payloadHash: 'UNSIGNED-PAYLOAD' }))
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())![1]!
    const lines = ['a'.repeat(300_000), 'b'.repeat(1000)].map((line) => `{"x":"${line}"}\n`)
    const etags: string[] = []
    for (const [i, body] of lines.entries()) {
      const response = await fetch(await signedRequest({ path, query: { partNumber: String(i + 1), uploadId }, body }))
      expect(response.status).toBe(200)
      etags.push(response.headers.get('etag')!)
    }
    const xml = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`
    const complete = await fetch(await signedRequest({ method: 'POST', path, query: { uploadId }, body: xml }))
    expect(complete.status).toBe(200)
    expect(batches).toEqual([lines.join('')])
    expect(await new S3Client(s3Options()).listKeys(prefix)).toEqual([])
  })

  it('answers 503 ServiceUnavailable when the bucket fails, so the sender retries', async () => {
    const { prefix, fetch } = setup(new S3Client(faultyS3Options({ baseDelayMs: 10 })))
    await injectFault({ match: `${prefix}staging/`, count: 100, status: 500, code: 'InternalError' })
    const response = await fetch(await signedRequest({ method: 'POST', path, query: { uploads: '' }, payloadHash: 'UNSIGNED-PAYLOAD' }))
    expect(response.status).toBe(503)
    expect(await response.text()).toMatch(/<Code>ServiceUnavailable<\/Code>.*<RequestId>[0-9A-F]{16}<\/RequestId>/)
  })
})
