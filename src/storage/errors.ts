// S3 error codes worth another attempt even though some come with a 4xx status
// (RequestTimeout is a 400: S3 gave up waiting for the request body; BadDigest is a 400 for a
// body that no longer matched its Content-MD5 when it arrived, and a retry sends it again).
const RETRYABLE_CODES = new Set([
  'BadDigest',
  'InternalError',
  'RequestTimeout',
  'ServiceUnavailable',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'NetworkError',
  'TimeoutError',
])

export type S3ErrorInit = {
  operation: string
  status: number
  code: string
  /** What the server (or the network layer) said, without credentials. */
  detail?: string
  key?: string
  attempts?: number
  cause?: unknown
}

/**
 * A failed S3 call. `status` is 0 when no response came back (network error, timeout,
 * abort). `retryable` says whether the same call may succeed later: 5xx, 429, throttling,
 * network errors and timeouts are; other 4xx are not. The message names the operation and
 * the key, never a credential.
 *
 * @example
 * try { await s3.putObject(key, body) } catch (err) {
 *   if (err instanceof S3Error && err.retryable) return c.json({ error: 'storage' }, 503)
 *   throw err
 * }
 */
export class S3Error extends Error {
  override readonly name = 'S3Error'
  readonly operation: string
  readonly status: number
  readonly code: string
  readonly detail: string | undefined
  readonly key: string | undefined
  readonly attempts: number
  readonly retryable: boolean

  constructor(init: S3ErrorInit) {
    super(describe(init), init.cause === undefined ? undefined : { cause: init.cause })
    this.operation = init.operation
    this.status = init.status
    this.code = init.code
    this.detail = init.detail
    this.key = init.key
    this.attempts = init.attempts ?? 1
    this.retryable = isRetryable(init.status, init.code)
  }

  /** The same failure, noting how many attempts were made before giving up. */
  withAttempts(attempts: number): S3Error {
    const { operation, status, code, detail, key, cause } = this
    return new S3Error({ operation, status, code, detail, key, cause, attempts })
  }
}

function describe({ operation, key, status, code, detail, attempts = 1 }: S3ErrorInit): string {
  let text = key === undefined ? operation : `${operation} ${key}`
  text += status ? `: ${status} ${code}` : `: ${code}`
  if (detail) text += `: ${detail}`
  if (attempts > 1) text += ` (after ${attempts} attempts)`
  return text
}

function isRetryable(status: number, code: string): boolean {
  if (code === 'Aborted') return false
  return status >= 500 || status === 429 || RETRYABLE_CODES.has(code)
}
