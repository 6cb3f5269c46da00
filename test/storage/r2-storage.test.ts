// The R2 adapter against Miniflare's local R2 (the LOGS_BUCKET binding of wrangler.toml), and,
// for faults R2 cannot make on demand, against a double that fails chosen calls of that binding.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { StorageError } from '../../src/ports'
import { R2Storage } from '../../src/storage/r2/client'
import { r2Code, r2Failure } from '../../src/storage/r2/errors'
import { concatBytes } from '../../src/utils/bytes'
import { FailingBucket, r2Error } from '../helpers/failing-bucket'
import { firstDifference, noise, uniquePrefix } from './helpers'

const MiB = 1024 * 1024
const bytes = (text: string) => new TextEncoder().encode(text)
const quick = { baseDelayMs: 10, requestTimeoutMs: 2_000 }
const streamOf = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      controller.close()
    },
  })

describe('R2Storage over the local R2 binding', () => {
  const r2 = new R2Storage({ bucket: env.LOGS_BUCKET })

  it('puts, gets (bytes as stored, not decoded), heads and deletes an object', async () => {
    const key = `${uniquePrefix('r2')}a.json.gz`
    const gz = new Uint8Array(await new Response(streamOf(bytes('{"a":1}\n')).pipeThrough(new CompressionStream('gzip'))).arrayBuffer())
    const etag = await r2.putObject(key, gz, { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' })
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/)

    const res = await r2.getObject(key)
    expect(res!.headers.get('content-type')).toBe('application/x-ndjson')
    expect(res!.headers.get('content-encoding')).toBe('gzip')
    expect(res!.headers.get('etag')).toBe(etag)
    expect(new Uint8Array(await res!.arrayBuffer())).toEqual(gz)
    expect(await r2.headObject(key)).toEqual({ size: gz.byteLength, etag })

    await r2.deleteObject(key)
    expect(await r2.getObject(key)).toBeNull()
    expect(await r2.headObject(key)).toBeNull()
    await r2.deleteObject(key)
  })

  it('stores a stream of the declared length as it arrives', async () => {
    const key = `${uniquePrefix('r2')}stream`
    const body = noise(3 * MiB + 7)
    await r2.putObjectStream(key, streamOf(body.subarray(0, MiB), body.subarray(MiB)), body.byteLength)
    expect(firstDifference(new Uint8Array(await (await r2.getObject(key))!.arrayBuffer()), body)).toBe(-1)
    await r2.putObjectStream(`${key}-empty`, streamOf(), 0)
    expect(await r2.headObject(`${key}-empty`)).toMatchObject({ size: 0 })
  })

  it('refuses a stream that ends short, runs past its length or fails: IncompleteBody, not retried, nothing stored', async () => {
    const prefix = uniquePrefix('r2')
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes('abc'))
        controller.error(new Error('sender went away'))
      },
    })
    for (const [name, stream, length] of [
      ['short', streamOf(bytes('abc')), 5],
      ['long', streamOf(bytes('abcdefgh')), 5],
      ['broken', broken, 5],
    ] as const) {
      const err = await r2.putObjectStream(`${prefix}${name}`, stream, length).catch((e: unknown) => e)
      expect(err, name).toBeInstanceOf(StorageError)
      expect(err, name).toMatchObject({ operation: 'PutObject', code: 'IncompleteBody', retryable: false, attempts: 1 })
    }
    expect(await r2.listKeys(prefix)).toEqual([])
    await expect(r2.putObjectStream(`${prefix}x`, streamOf(), -1)).rejects.toThrow(TypeError)
  })

  it('lists every key under a prefix, page after page, in order', async () => {
    const prefix = uniquePrefix('r2-list')
    const keys = ['b/2', 'a', 'b/1', 'c', 'b/10'].map((k) => `${prefix}${k}`)
    for (const key of keys) await r2.putObject(key, bytes(key))
    await r2.putObject(`${prefix.slice(0, -1)}-other/x`, bytes('x'))
    expect(await r2.listKeys(prefix, { pageSize: 2 })).toEqual([...keys].sort())
    expect(await r2.listKeys(`${prefix}b/`)).toEqual([`${prefix}b/1`, `${prefix}b/10`, `${prefix}b/2`])
  })

  it('joins a multipart upload of equal 5 MiB parts and a shorter last one, with the object headers', async () => {
    const key = `${uniquePrefix('r2')}multi.json.gz`
    const body = noise(2 * 5 * MiB + 1000)
    const uploadId = await r2.createMultipartUpload(key, { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' })
    const parts = []
    for (let n = 1, at = 0; at < body.byteLength; n++, at += 5 * MiB) {
      parts.push({ partNumber: n, etag: await r2.uploadPart(key, uploadId, n, body.subarray(at, at + 5 * MiB)) })
    }
    const etag = await r2.completeMultipartUpload(key, uploadId, parts)
    expect(etag).toMatch(/-3"$/)
    const res = (await r2.getObject(key))!
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(firstDifference(new Uint8Array(await res.arrayBuffer()), body)).toBe(-1)
    // Gone once completed: aborting it again is a no-op, another part is refused.
    await r2.abortMultipartUpload(key, uploadId)
    await expect(r2.uploadPart(key, uploadId, 4, body.subarray(0, 10))).rejects.toMatchObject({ code: 'NoSuchUpload', status: 404, retryable: false })
  })

  it('stores a body of several arrays, whole or as a part, as their bytes in a row', async () => {
    const key = `${uniquePrefix('r2')}pieces`
    const pieces = [noise(1000), new Uint8Array(0), noise(5 * MiB - 1000)]
    const whole = concatBytes(pieces)
    await r2.putObject(key, pieces)
    expect(firstDifference(new Uint8Array(await (await r2.getObject(key))!.arrayBuffer()), whole)).toBe(-1)

    const multipart = `${key}-multipart`
    const uploadId = await r2.createMultipartUpload(multipart)
    const parts = [
      { partNumber: 1, etag: await r2.uploadPart(multipart, uploadId, 1, pieces) },
      { partNumber: 2, etag: await r2.uploadPart(multipart, uploadId, 2, [bytes('end'), bytes('.')]) },
    ]
    await r2.completeMultipartUpload(multipart, uploadId, parts)
    const stored = new Uint8Array(await (await r2.getObject(multipart))!.arrayBuffer())
    expect(firstDifference(stored, concatBytes([whole, bytes('end.')]))).toBe(-1)
  })

  it('aborts an upload: no object appears, and aborting it twice is fine', async () => {
    const key = `${uniquePrefix('r2')}aborted`
    const uploadId = await r2.createMultipartUpload(key)
    await r2.uploadPart(key, uploadId, 1, noise(5 * MiB))
    await r2.abortMultipartUpload(key, uploadId)
    await r2.abortMultipartUpload(key, uploadId)
    expect(await r2.headObject(key)).toBeNull()
  })

  it('refuses parts under 5 MiB, as R2 does: Miniflare enforces the same minimum', async () => {
    const key = `${uniquePrefix('r2')}small-parts`
    const uploadId = await r2.createMultipartUpload(key)
    const parts = [
      { partNumber: 1, etag: await r2.uploadPart(key, uploadId, 1, noise(64 * 1024)) },
      { partNumber: 2, etag: await r2.uploadPart(key, uploadId, 2, noise(10)) },
    ]
    await expect(r2.completeMultipartUpload(key, uploadId, parts)).rejects.toMatchObject({ code: 'EntityTooSmall', retryable: false, attempts: 1 })
    await r2.abortMultipartUpload(key, uploadId)
  })

  it('answers an R2 refusal with its code, not retried (an invalid key name)', async () => {
    const err = await r2.putObject('k'.repeat(2000), bytes('x')).catch((e: unknown) => e)
    expect(err).toMatchObject({ operation: 'PutObject', status: 400, code: 'InvalidObjectName', retryable: false, attempts: 1 })
    expect((err as Error).message).toMatch(/\(10020\)$/)
  })
})

describe('R2Storage retries, through a binding that fails on demand', () => {
  it('retries InternalError and ServiceUnavailable until the call succeeds', async () => {
    const key = `${uniquePrefix('r2-retry')}ok`
    const bucket = new FailingBucket(env.LOGS_BUCKET).fail({ call: 'put', count: 1 }).fail({ call: 'put', count: 1, code: 10043 })
    await new R2Storage({ bucket: bucket.binding, ...quick }).putObject(key, bytes('ok'))
    expect(bucket.seen.put).toBe(3)
    expect(await env.LOGS_BUCKET.head(key)).toMatchObject({ size: 2 })
  })

  it('gives up after 4 attempts with a retryable StorageError that says so', async () => {
    const key = `${uniquePrefix('r2-retry')}down`
    const bucket = new FailingBucket(env.LOGS_BUCKET).fail({ call: 'put', code: 10043 })
    const err = await new R2Storage({ bucket: bucket.binding, ...quick }).putObject(key, bytes('x')).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 503, code: 'ServiceUnavailable', retryable: true, attempts: 4 })
    expect((err as Error).message).toMatch(/^PutObject .*down: 503 ServiceUnavailable: put: .*\(10043\) \(after 4 attempts\)$/)
    expect(bucket.seen.put).toBe(4)
  })

  it('does not retry what R2 refuses for good', async () => {
    const bucket = new FailingBucket(env.LOGS_BUCKET).fail({ call: 'get', code: 10003 })
    await expect(new R2Storage({ bucket: bucket.binding, ...quick }).getObject('any')).rejects.toMatchObject({
      status: 403,
      code: 'AccessDenied',
      retryable: false,
      attempts: 1,
    })
    expect(bucket.seen.get).toBe(1)
  })

  it('waits the per-key write interval before retrying a throttled write (10058)', async () => {
    const key = `${uniquePrefix('r2-retry')}busy`
    const bucket = new FailingBucket(env.LOGS_BUCKET).fail({ call: 'put', count: 1, code: 10058 })
    const started = Date.now()
    await new R2Storage({ bucket: bucket.binding, ...quick }).putObject(key, bytes('x'))
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000)
    expect(bucket.seen.put).toBe(2)
  })

  it('gives up on a call that does not answer in time, and retries it', async () => {
    const key = `${uniquePrefix('r2-retry')}slow`
    const bucket = new FailingBucket(env.LOGS_BUCKET).fail({ call: 'head', count: 1, mode: 'hang' })
    await new R2Storage({ bucket: bucket.binding, baseDelayMs: 10, requestTimeoutMs: 100 }).headObject(key)
    expect(bucket.seen.head).toBe(2)
    const hanging = new FailingBucket(env.LOGS_BUCKET).fail({ call: 'head', mode: 'hang' })
    const err = await new R2Storage({ bucket: hanging.binding, baseDelayMs: 10, requestTimeoutMs: 50 })
      .headObject(key, { deadline: Date.now() + 400 })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'TimeoutError', retryable: true })
    expect((err as StorageError).attempts).toBeGreaterThan(1)
  })

  it('stops when the caller cancels: Aborted, not retried', async () => {
    const bucket = new FailingBucket(env.LOGS_BUCKET).fail({ call: 'head', mode: 'hang' })
    const cancel = new AbortController()
    const pending = new R2Storage({ bucket: bucket.binding, ...quick }).headObject('any', { signal: cancel.signal })
    setTimeout(() => cancel.abort(), 20)
    await expect(pending).rejects.toMatchObject({ code: 'Aborted', retryable: false, attempts: 1 })
  })

  it('does not retry a stream once the binding started reading it', async () => {
    const key = `${uniquePrefix('r2-retry')}stream`
    const bucket = new FailingBucket(env.LOGS_BUCKET).fail({ call: 'put', count: 1, mode: 'after' })
    const err = await new R2Storage({ bucket: bucket.binding, ...quick }).putObjectStream(key, streamOf(bytes('abc')), 3).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'InternalError', retryable: true, attempts: 1 })
    expect(bucket.seen.put).toBe(1)
  })
})

describe('R2 errors as StorageErrors', () => {
  const name = { operation: 'PutObject', key: 'k' }

  it('reads the code from the message (Miniflare) or from `code` (R2 deployed)', () => {
    expect(r2Code(r2Error('put', 10001))).toBe(10001)
    expect(r2Code(Object.assign(new Error('put: Internal error'), { code: 10043 }))).toBe(10043)
    expect(r2Code(new Error('Network connection lost.'))).toBeUndefined()
  })

  it('maps transient codes to retryable errors and the rest to final ones', () => {
    const failure = (err: unknown) => {
      const { status, code, retryable } = r2Failure(name, err)
      return { status, code, retryable }
    }
    expect(failure(r2Error('put', 10001))).toEqual({ status: 500, code: 'InternalError', retryable: true })
    expect(failure(r2Error('put', 10043))).toEqual({ status: 503, code: 'ServiceUnavailable', retryable: true })
    expect(failure(r2Error('put', 10058))).toEqual({ status: 429, code: 'TooManyRequests', retryable: true })
    expect(failure(new Error('put: Client disconnected (10054)'))).toEqual({ status: 0, code: 'NetworkError', retryable: true })
    expect(failure(new Error('Network connection lost.'))).toEqual({ status: 0, code: 'NetworkError', retryable: true })
    expect(failure(new Error('uploadPart: The specified multipart upload does not exist. (10024)'))).toEqual({
      status: 404,
      code: 'NoSuchUpload',
      retryable: false,
    })
    expect(failure(new Error('completeMultipartUpload: There was a problem with the multipart upload. (10048)'))).toEqual({
      status: 400,
      code: 'InvalidPart',
      retryable: false,
    })
    expect(failure(new Error('put: Something new. (10999)'))).toEqual({ status: 0, code: 'R2Error10999', retryable: false })
    expect(failure(new TypeError('Provided readable stream must have a known length'))).toEqual({ status: 0, code: 'InvalidArgument', retryable: false })
  })
})
