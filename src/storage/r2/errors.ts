import { StorageError } from '../../ports'
import { type CallName, callFailure } from '../retry'

// R2's error codes (https://developers.cloudflare.com/r2/api/error-codes/) as the S3 code and
// HTTP status R2 documents beside each, so that StorageError decides what is retried as it does
// for S3: InternalError, ServiceUnavailable and TooManyRequests are; BadDigest is (the same
// bytes go again). Miniflare answers with the same codes, though with its own statuses (a
// missing upload is a 400 there, 10048 a 500), which is why the code decides, not the status.
const R2_CODES: Record<number, [status: number, code: string]> = {
  10001: [500, 'InternalError'],
  10002: [401, 'Unauthorized'],
  10003: [403, 'AccessDenied'],
  10006: [404, 'NoSuchBucket'],
  10007: [404, 'NoSuchKey'],
  10011: [400, 'EntityTooSmall'],
  10012: [400, 'MetadataTooLarge'],
  10013: [400, 'IncompleteBody'],
  10014: [400, 'InvalidDigest'],
  10020: [400, 'InvalidObjectName'],
  10024: [404, 'NoSuchUpload'],
  10025: [400, 'InvalidPart'],
  10031: [412, 'PreconditionFailed'],
  10033: [411, 'MissingContentLength'],
  10037: [400, 'BadDigest'],
  10039: [416, 'InvalidRange'],
  10042: [403, 'NotEntitled'],
  10043: [503, 'ServiceUnavailable'],
  // All parts but the last must be the same size.
  10048: [400, 'InvalidPart'],
  10058: [429, 'TooManyRequests'],
  10069: [403, 'ObjectLockedByBucketPolicy'],
  100100: [400, 'EntityTooLarge'],
}

// ClientDisconnect: the Worker's side of the call broke off, which is a network error here.
const CLIENT_DISCONNECT = 10054

// The binding's errors end their message with the code: "put: We encountered an internal
// error. Please try again. (10001)". Deployed, they also carry it as `code`; Miniflare's do not.
const CODE_AT_END = /\((\d{5,6})\)\s*$/

/** R2's own code in an error the binding threw, or undefined for any other error. */
export function r2Code(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined
  const code = (err as { code?: unknown }).code
  if (typeof code === 'number' && Number.isInteger(code)) return code
  const match = CODE_AT_END.exec(err.message)
  return match ? Number(match[1]) : undefined
}

/**
 * What the binding threw, as a StorageError. An R2 error gets its documented status and S3
 * code; one whose code is not documented keeps it (`R2Error10099`, status 0) and is not retried,
 * as R2 did answer. A TypeError is a call the binding refused (a stream of unknown length, a bad
 * argument): not retried either. Anything else ("Network connection lost.") is a network error.
 */
export function r2Failure(name: CallName, err: unknown): StorageError {
  if (err instanceof StorageError) return err
  const detail = err instanceof Error ? err.message : String(err)
  const code = r2Code(err)
  if (code === undefined) return callFailure(name, err instanceof TypeError ? 'InvalidArgument' : 'NetworkError', detail, err)
  if (code === CLIENT_DISCONNECT) return callFailure(name, 'NetworkError', detail, err)
  const known = R2_CODES[code]
  if (!known) return callFailure(name, `R2Error${code}`, detail, err)
  return new StorageError({ operation: name.operation, key: name.key, status: known[0], code: known[1], detail, cause: err })
}
