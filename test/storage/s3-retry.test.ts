import { describe, expect, it } from 'vitest'
import { S3Client } from '../../src/storage/s3/client'
import { StorageError } from '../../src/ports'
import { faultStats, faultyS3Options, injectFault, s3Options, uniquePrefix, untilFaulted } from './helpers'

const encoder = new TextEncoder()
// Short delays keep the suite quick; the logic is the same as with the defaults.
const quick = { baseDelayMs: 10, requestTimeoutMs: 2_000 }

describe('S3Client retries, through the fault proxy', () => {
  const s3 = new S3Client(faultyS3Options(quick))
  const direct = new S3Client(s3Options())

  it('retries 5xx and throttling until the call succeeds', async () => {
    const key = `${uniquePrefix('retry')}ok.json`
    await injectFault({ match: key, count: 1, status: 500, code: 'InternalError' })
    await injectFault({ match: key, count: 1, status: 503, code: 'SlowDown' })
    await injectFault({ match: key, count: 1, status: 429, code: 'TooManyRequests' })

    await s3.putObject(key, encoder.encode('{"ok":true}\n'))
    expect(await faultStats(key)).toEqual({ seen: 4, faulted: 3 })
    expect(await direct.headObject(key)).toMatchObject({ size: 12 })
  })

  it('sends a body refused as damaged on the way (400 BadDigest) again, whole', async () => {
    const key = `${uniquePrefix('retry')}digest.json`
    await injectFault({ match: key, count: 1, status: 400, code: 'BadDigest' })
    const body = encoder.encode('{"damaged":false}\n'.repeat(1000))

    await s3.putObject(key, body)
    expect(await faultStats(key)).toEqual({ seen: 2, faulted: 1 })
    const stored = await direct.getObject(key)
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(body)
  })

  it('gives up after the bounded attempts with a retryable StorageError', async () => {
    const key = `${uniquePrefix('retry')}down.json`
    await injectFault({ match: key, count: 100, status: 503, code: 'ServiceUnavailable' })

    const err = await s3.putObject(key, encoder.encode('x')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect(err).toMatchObject({ status: 503, code: 'ServiceUnavailable', retryable: true, attempts: 4 })
    expect((err as Error).message).toMatch(/^PutObject .*down\.json: 503 ServiceUnavailable: .*\(after 4 attempts\)$/)
    expect(await faultStats(key)).toEqual({ seen: 4, faulted: 4 })
  })

  it('does not retry a 4xx', async () => {
    const key = `${uniquePrefix('retry')}denied.json`
    await injectFault({ match: key, count: 100, status: 403, code: 'AccessDenied' })

    await expect(s3.putObject(key, encoder.encode('x'))).rejects.toMatchObject({ status: 403, code: 'AccessDenied', retryable: false, attempts: 1 })
    expect(await faultStats(key)).toMatchObject({ seen: 1 })
  })

  it('retries a dropped connection and a request that got no answer in time', async () => {
    const key = `${uniquePrefix('retry')}flaky.json`
    await injectFault({ match: key, count: 1, mode: 'reset' })
    await injectFault({ match: key, count: 1, mode: 'hang' })
    const patient = new S3Client(faultyS3Options({ baseDelayMs: 10, requestTimeoutMs: 300 }))

    await patient.putObject(key, encoder.encode('x'))
    expect(await faultStats(key)).toEqual({ seen: 3, faulted: 2 })
  })

  it('reports a timeout and a dropped connection as retryable StorageErrors', async () => {
    const key = `${uniquePrefix('retry')}never.json`
    await injectFault({ match: key, count: 100, mode: 'hang' })
    const once = new S3Client(faultyS3Options({ retries: 0, requestTimeoutMs: 200 }))
    await expect(once.putObject(key, encoder.encode('x'))).rejects.toMatchObject({ status: 0, code: 'TimeoutError', retryable: true })

    const reset = `${uniquePrefix('retry')}reset.json`
    await injectFault({ match: reset, count: 100, mode: 'reset' })
    await expect(once.putObject(reset, encoder.encode('x'))).rejects.toMatchObject({ status: 0, code: 'NetworkError', retryable: true })
  })

  it('retries a call whose answer was lost after S3 acted on it', async () => {
    const key = `${uniquePrefix('retry')}lost-answer.json`
    await injectFault({ match: key, count: 1, mode: 'after-forward', status: 502, code: 'BadGateway' })

    const etag = await s3.putObject(key, encoder.encode('same bytes twice'))
    expect(await direct.headObject(key)).toEqual({ size: 16, etag })
  })

  it('treats an error inside a 200 CompleteMultipartUpload answer as a failure to retry', async () => {
    const key = `${uniquePrefix('retry')}complete.bin`
    const uploadId = await s3.createMultipartUpload(key)
    const etag = await s3.uploadPart(key, uploadId, 1, encoder.encode('only part'))
    // Complete is the one call with just uploadId in its query.
    await injectFault({ match: `${key}?uploadId=`, count: 1, status: 200, code: 'InternalError' })

    await s3.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag }])
    expect(await faultStats(`${key}?uploadId=`)).toEqual({ seen: 2, faulted: 1 })
    expect(await direct.headObject(key)).toMatchObject({ size: 9 })
  })

  it('stops retrying when the deadline comes, well before the retry limit', async () => {
    const key = `${uniquePrefix('retry')}deadline.json`
    await injectFault({ match: key, count: 1000, status: 503, code: 'SlowDown' })
    const persistent = new S3Client(faultyS3Options({ retries: 50, baseDelayMs: 50 }))

    const started = Date.now()
    const err = await persistent.putObject(key, encoder.encode('x'), undefined, { deadline: started + 400 }).catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(err).toMatchObject({ code: 'SlowDown', retryable: true })
    expect(elapsed).toBeLessThan(400)
    expect((err as StorageError).attempts).toBeGreaterThan(1)
    expect((err as StorageError).attempts).toBeLessThan(10)
  })

  it('stops at once when the caller cancels, without retrying', async () => {
    const key = `${uniquePrefix('retry')}cancelled.json`
    await injectFault({ match: key, count: 100, mode: 'hold' })
    const controller = new AbortController()
    const put = s3.putObject(key, encoder.encode('x'), undefined, { signal: controller.signal })
    put.catch(() => {})
    // Cancel while the first attempt is held at the proxy.
    await untilFaulted(key)
    controller.abort()

    await expect(put).rejects.toMatchObject({ code: 'Aborted', retryable: false, attempts: 1 })
    expect(await faultStats(key)).toEqual({ seen: 1, faulted: 1 })
  })

  it('gives a retryable StorageError after the bounded attempts when nothing listens', async () => {
    const closed = new S3Client(s3Options({ endpoint: 'http://127.0.0.1:1', baseDelayMs: 10 }))
    const err = await closed.putObject('k', encoder.encode('x')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect(err).toMatchObject({ status: 0, code: 'NetworkError', retryable: true, attempts: 4 })
    expect((err as Error).message).not.toContain('local-secret')
  })
})
