import { describe, expect, it, vi } from 'vitest'
import { BatchLog } from '../../src/ingest/batch-log'
import { StorageUnavailableError } from '../../src/ingest/errors'
import { BodyTooLargeError, NotNdjsonError } from '../../src/pipeline/errors'
import { StorageError } from '../../src/ports'

const ENV = { INGEST_TOKEN: 'ingest-unit-Rw2k9Lp4', AWS_SECRET_ACCESS_KEY: 'aws-unit-Zc7m3Vq1', PROXY_SECRET_ACCESS_KEY: 'proxy-unit-Hs5t8Bn6' }

/** The lines `log.end(...)` writes, parsed: [failure lines, request line]. */
function ended(log: BatchLog, ...args: Parameters<BatchLog['end']>) {
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
  const logs = vi.spyOn(console, 'log').mockImplementation(() => {})
  log.end(...args)
  vi.restoreAllMocks()
  return {
    failures: errors.mock.calls.map(([line]) => JSON.parse(line as string) as Record<string, unknown>),
    lines: logs.mock.calls.map(([line]) => JSON.parse(line as string) as Record<string, unknown>),
  }
}

describe('BatchLog', () => {
  it('strips configured secrets and credential-shaped text from messages', () => {
    const log = new BatchLog('s3', ENV, new Request('http://worker/'))
    const cause = new Error(
      `GET https://user:${ENV.AWS_SECRET_ACCESS_KEY}@s3.test/logs/a?X-Amz-Credential=AKID%2F20261125&X-Amz-Signature=abc123 failed; ` +
        `Authorization: Bearer ${ENV.INGEST_TOKEN}; AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/s3/aws4_request, Signature=0f0f; ${ENV.PROXY_SECRET_ACCESS_KEY}`,
    )
    const { failures } = ended(log, 500, { code: 'InternalError', cause })
    const message = String(failures[0]!.message)
    for (const secret of Object.values(ENV)) expect(message).not.toContain(secret)
    expect(message).not.toMatch(/AKID|abc123|0f0f/)
    expect(message).toContain('s3.test/logs/a')
  })

  it('takes the phase from the error where it names one, else from where the batch was', () => {
    const phases = [
      [new BodyTooLargeError('MAX_BODY_BYTES', 1), 'read'],
      [new BodyTooLargeError('MAX_DECOMPRESSED_BYTES', 1), 'decode'],
      [new NotNdjsonError('csv'), 'parse'],
      [new StorageUnavailableError(new StorageError({ operation: 'PutObject', status: 500, code: 'InternalError' })), 'store'],
      [new Error('a bug'), 'parse'],
    ] as const
    for (const [cause, phase] of phases) {
      const log = new BatchLog('logpush', ENV, new Request('http://worker/'))
      log.phase = 'parse'
      const { failures, lines } = ended(log, 500, { code: 'x', cause })
      expect([failures[0]!.phase, lines[0]!.phase], cause.message).toEqual([phase, phase])
    }
  })

  it('a counters outage on a stored batch: a phase-count failure line, and a 200 line without error', () => {
    const log = new BatchLog('logpush', ENV, new Request('http://worker/', { headers: { 'cf-ray': 'ray-1' } }))
    log.failed('count', 'counters_unavailable', new Error('Durable Object reset'))
    const { failures, lines } = ended(log, 200)
    expect(failures).toMatchObject([{ status: 200, phase: 'count', error: 'counters_unavailable', message: 'Durable Object reset', cfRay: 'ray-1' }])
    expect(lines[0]).not.toHaveProperty('error')
    expect(lines[0]).toMatchObject({ status: 200, cfRay: 'ray-1' })
  })
})
