import { ConfigError } from '../config'
import { type IngestFailureCode, ingestFailure } from '../ingest/errors'
import { StorageError } from '../ports'
import { xmlDocument } from '../s3-protocol/xml'
import { SIGV4_ERROR_STATUS, SigV4Error } from '../s3-protocol/sigv4'

const STATUS = {
  ...SIGV4_ERROR_STATUS,
  BadDigest: 400,
  EntityTooLarge: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  MalformedXML: 400,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  ServiceUnavailable: 503,
  XAmzContentSHA256Mismatch: 400,
} as const

export type S3XmlErrorCode = keyof typeof STATUS

/**
 * An S3 protocol error: thrown anywhere under the S3 route, answered by its error handler as
 * `<Error><Code>..</Code><Message>..</Message><RequestId>..</RequestId></Error>`.
 * @example throw new S3XmlError('NoSuchUpload', 'The specified upload does not exist.')
 */
export class S3XmlError extends Error {
  override name = 'S3XmlError'
  readonly status: number
  constructor(
    readonly code: S3XmlErrorCode,
    message: string,
    readonly detail: Record<string, string> = {},
  ) {
    super(message)
    this.status = STATUS[code]
  }
}

export function isS3XmlErrorCode(code: string): code is S3XmlErrorCode {
  return Object.hasOwn(STATUS, code)
}

/** The XML error document S3 clients parse; HEAD answers carry no body, as S3's do. */
export function s3XmlErrorResponse(error: S3XmlError, requestId: string, resource: string, method: string): Response {
  const headers = { 'content-type': 'application/xml', 'x-amz-request-id': requestId }
  if (method === 'HEAD') return new Response(null, { status: error.status, headers })
  const body = xmlDocument('Error', {
    Code: error.code,
    Message: error.message,
    Resource: resource,
    RequestId: requestId,
    ...error.detail,
  })
  return new Response(body, { status: error.status, headers })
}

// How each ingest failure is said in S3's words. A Logpush S3 destination retries a 5xx, as its
// HTTP destination does; the 4xx say what was wrong with the object.
const INGEST_CODES: Record<IngestFailureCode, S3XmlErrorCode> = {
  unknown_dataset: 'InvalidArgument',
  body_too_large: 'EntityTooLarge',
  undecodable_body: 'InvalidArgument',
  ndjson_required: 'InvalidArgument',
  body_unreadable: 'IncompleteBody',
  storage_unavailable: 'ServiceUnavailable',
  misconfigured: 'InternalError',
}

/**
 * The S3 error answering a failure the endpoint names (its own, SigV4's, ingest's, the bucket's,
 * the config's), or undefined for anything else: a bug. Logs nothing; `toS3XmlError` does.
 * @example const answer = namedS3XmlError(error) ?? toS3XmlError(error)
 */
export function namedS3XmlError(error: unknown): S3XmlError | undefined {
  if (error instanceof S3XmlError) return error
  if (error instanceof SigV4Error) return new S3XmlError(error.code, error.message, error.detail)
  const failure = ingestFailure(error)
  if (failure && failure.code !== 'misconfigured') return new S3XmlError(INGEST_CODES[failure.code], failure.detail)
  // The real bucket failed a call (after the client's retries): like a batch ingest could not
  // store, the sender keeps its data and tries again later.
  if (error instanceof StorageError) return new S3XmlError('ServiceUnavailable', 'The storage behind this endpoint failed; please retry.')
  if (error instanceof ConfigError) return new S3XmlError('InternalError', 'The service is misconfigured; its log names the setting.')
  return undefined
}

/**
 * Any error thrown under the S3 route, as the S3 error to answer. A bucket failure, a bad config
 * and a bug are logged; a batch's failures are in its own log lines (src/ingest/batch-log.ts).
 */
export function toS3XmlError(error: unknown): S3XmlError {
  const named = namedS3XmlError(error)
  if (error instanceof StorageError) console.error('s3: bucket call failed:', error.message)
  else if (error instanceof ConfigError) console.error(error.message)
  else if (!named) console.error('s3: unexpected error', error)
  return named ?? new S3XmlError('InternalError', 'We encountered an internal error. Please try again.')
}
