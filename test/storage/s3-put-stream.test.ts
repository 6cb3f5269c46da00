import { describe, expect, it } from 'vitest'
import { S3Client } from '../../src/storage/s3/client'
import { StorageError } from '../../src/ports'
import { faultStats, faultyS3Options, firstDifference, injectFault, md5Hex, noise, s3Options, uniquePrefix, watch } from './helpers'

const CHUNK = 64 * 1024
const quick = { baseDelayMs: 10, requestTimeoutMs: 2_000 }

/**
 * `bytes` as a stream of 64 KiB chunks made on demand, noting how far it was read and why it was
 * cancelled. With `stallAt`, the pull that reaches it never settles, and `stalled` resolves.
 */
function source(bytes: Uint8Array, options: { failAt?: number; stallAt?: number } = {}) {
  let onStall!: () => void
  const stalled = new Promise<void>((resolve) => (onStall = resolve))
  const seen = { pulls: 0, cancelled: false, reason: undefined as unknown, stalled }
  let offset = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        seen.pulls++
        if (options.failAt !== undefined && offset >= options.failAt) return controller.error(new Error('sender went away'))
        if (options.stallAt !== undefined && offset >= options.stallAt) {
          onStall()
          return new Promise<void>(() => {})
        }
        if (offset >= bytes.byteLength) return controller.close()
        controller.enqueue(bytes.slice(offset, offset + CHUNK))
        offset += CHUNK
      },
      cancel(reason) {
        seen.cancelled = true
        seen.reason = reason
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, seen }
}

describe('S3Client.putObjectStream against the local S3 server', () => {
  const s3 = new S3Client(s3Options())

  it('uploads a stream of several MB with its headers, reading it only as it is sent', async () => {
    const key = `${uniquePrefix('stream')}big (1).bin`
    const bytes = noise(12 * 1024 * 1024 + 123)
    const { stream, seen } = source(bytes)

    const etag = await s3.putObjectStream(key, stream, bytes.byteLength, { 'Content-Type': 'application/octet-stream' })
    expect(etag).toBe(`"${await md5Hex(bytes)}"`)
    expect(seen.pulls).toBe(Math.ceil(bytes.byteLength / CHUNK) + 1)
    expect(seen.cancelled).toBe(false)

    const res = await s3.getObject(key)
    expect(res?.headers.get('Content-Type')).toBe('application/octet-stream')
    expect(firstDifference(new Uint8Array(await res!.arrayBuffer()), bytes)).toBe(-1)
  })

  it('uploads an empty stream', async () => {
    const key = `${uniquePrefix('stream')}empty`
    const etag = await s3.putObjectStream(key, source(new Uint8Array()).stream, 0)
    expect(await s3.headObject(key)).toEqual({ size: 0, etag })
  })

  it('fails with IncompleteBody, not retried, when the stream is shorter or longer than its length', async () => {
    const bytes = noise(200_000)
    for (const length of [bytes.byteLength + 1, bytes.byteLength - 1]) {
      const key = `${uniquePrefix('stream')}mismatch-${length}`
      const err = await s3.putObjectStream(key, source(bytes).stream, length).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(StorageError)
      expect(err).toMatchObject({ status: 0, code: 'IncompleteBody', retryable: false, attempts: 1 })
      expect((err as Error).message).toMatch(length > bytes.byteLength ? /ended after 200000 of 200001 bytes/ : /ran past its length/)
    }
  })

  it("fails with the sender's error as cause when the stream breaks off", async () => {
    const key = `${uniquePrefix('stream')}broken`
    const { stream } = source(noise(1024 * 1024), { failAt: 3 * CHUNK })
    const err = await s3.putObjectStream(key, stream, 1024 * 1024).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'IncompleteBody', retryable: false, attempts: 1 })
    expect(((err as Error).cause as Error).message).toBe('sender went away')
  })

  it('refuses a length that is not a byte count, and cancels the stream', async () => {
    const { stream, seen } = source(noise(10))
    await expect(s3.putObjectStream('k', stream, -1)).rejects.toThrow(TypeError)
    expect(seen.cancelled).toBe(true)
  })
})

describe('S3Client.putObjectStream against a failing endpoint', () => {
  const faulty = new S3Client(faultyS3Options(quick))

  it('does not retry a failure once the body started flowing', async () => {
    const key = `${uniquePrefix('stream')}down.bin`
    await injectFault({ match: key, count: 100, status: 503, code: 'SlowDown' })

    const err = await faulty.putObjectStream(key, source(noise(300_000)).stream, 300_000).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StorageError)
    // Retryable for the caller, who can send the bytes again; the client could not.
    expect(err).toMatchObject({ status: 503, code: 'SlowDown', retryable: true, attempts: 1 })
    expect(await faultStats(key)).toEqual({ seen: 1, faulted: 1 })
  })

  it('tries once when nothing listens (workerd reads the body before it connects), and cancels the stream', async () => {
    const closed = new S3Client(s3Options({ endpoint: 'http://127.0.0.1:1', baseDelayMs: 10 }))
    const { stream, seen } = source(noise(1024 * 1024))

    const err = await closed.putObjectStream('k', stream, 1024 * 1024).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 0, code: 'NetworkError', retryable: true, attempts: 1 })
    expect(seen.cancelled).toBe(true)
  })

  it('retries a failure that came before any byte was read', async () => {
    const key = `${uniquePrefix('stream')}refused-once.bin`
    let calls = 0
    // A fetch that connects before it reads the body (as Node's does), refused the first time.
    const connectFirst = async (request: Request) => {
      if (++calls === 1) throw new TypeError('connect ECONNREFUSED')
      return fetch(request)
    }
    const client = new S3Client(s3Options({ baseDelayMs: 10, fetch: connectFirst }))
    const bytes = noise(300_000)

    expect(await client.putObjectStream(key, source(bytes).stream, bytes.byteLength)).toBe(`"${await md5Hex(bytes)}"`)
    expect(calls).toBe(2)
  })

  it('answers a 4xx with a non-retryable StorageError', async () => {
    const key = `${uniquePrefix('stream')}denied.bin`
    const stranger = new S3Client(s3Options({ accessKeyId: 'stranger', secretAccessKey: 'very-secret-value' }))
    const err = await stranger.putObjectStream(key, source(noise(1000)).stream, 1000).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 403, code: 'InvalidAccessKeyId', retryable: false, attempts: 1 })
    expect((err as Error).message).not.toContain('very-secret-value')
  })

  it('times out a body that stops arriving, without a retry', async () => {
    const key = `${uniquePrefix('stream')}stalled.bin`
    await watch(key)
    const { stream, seen } = source(noise(1024 * 1024), { stallAt: 2 * CHUNK })
    const patient = new S3Client(faultyS3Options({ baseDelayMs: 10, requestTimeoutMs: 500 }))

    const err = await patient.putObjectStream(key, stream, 1024 * 1024).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 0, code: 'TimeoutError', attempts: 1 })
    expect(await faultStats(key)).toMatchObject({ seen: 1 })
    expect(seen.cancelled).toBe(true)
  })

  it('stops when the caller cancels, and cancels the stream', async () => {
    const key = `${uniquePrefix('stream')}cancelled.bin`
    const controller = new AbortController()
    const { stream, seen } = source(noise(1000), { stallAt: 0 })
    const put = faulty.putObjectStream(key, stream, 1000, undefined, { signal: controller.signal })
    put.catch(() => {})
    // Cancel once the upload waits on a body that has stopped coming.
    await seen.stalled
    controller.abort()

    await expect(put).rejects.toMatchObject({ code: 'Aborted', retryable: false })
    expect(seen.cancelled).toBe(true)
  })
})
