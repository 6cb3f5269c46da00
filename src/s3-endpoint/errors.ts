import { ConfigError } from '../config'
import { S3Error as BucketError } from '../storage/errors'
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

export type S3ErrorCode = keyof typeof STATUS

/**
 * An S3 protocol error: thrown anywhere under the S3 route, answered by its error handler as
 * `<Error><Code>..</Code><Message>..</Message><RequestId>..</RequestId></Error>`.
 * @example throw new S3Error('NoSuchUpload', 'The specified upload does not exist.')
 */
export class S3Error extends Error {
  override name = 'S3Error'
  readonly status: number
  constructor(
    readonly code: S3ErrorCode,
    message: string,
    readonly detail: Record<string, string> = {},
  ) {
    super(message)
    this.status = STATUS[code]
  }
}

export function isS3ErrorCode(code: string): code is S3ErrorCode {
  return Object.hasOwn(STATUS, code)
}

/** The XML error document S3 clients parse; HEAD answers carry no body, as S3's do. */
export function s3ErrorResponse(error: S3Error, requestId: string, resource: string, method: string): Response {
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

/** Any error thrown under the S3 route, as the S3 error to answer; unexpected ones are logged. */
export function toS3Error(error: unknown): S3Error {
  if (error instanceof S3Error) return error
  if (error instanceof SigV4Error) return new S3Error(error.code, error.message, error.detail)
  if (error instanceof BucketError) {
    // The real bucket failed a call (after the client's retries): like a batch ingest could not
    // store, the sender keeps its data and tries again later.
    console.error('s3: bucket call failed:', error.message)
    return new S3Error('ServiceUnavailable', 'The storage behind this endpoint failed; please retry.')
  }
  if (error instanceof ConfigError) {
    console.error(error.message)
    return new S3Error('InternalError', 'The service is misconfigured; its log names the setting.')
  }
  console.error('s3: unexpected error', error)
  return new S3Error('InternalError', 'We encountered an internal error. Please try again.')
}
