import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ConfigError } from '../config'
import { StorageUnavailableError, UnknownDatasetError } from '../ingest/batch'
import { BodyTooLargeError, NotNdjsonError, SourceReadError, UndecodableBodyError } from '../pipeline/errors'

/** How long Logpush (or any sender) should wait before retrying a batch we could not store. */
const RETRY_AFTER_SECONDS = '30'

/**
 * The contract's error body, `{error, detail}`, as a response. Details are written by us and never
 * hold a secret or a header value.
 * @example throw jsonError(404, 'unknown_dataset', 'no such dataset', { datasets })
 */
export function jsonError(status: ContentfulStatusCode, error: string, detail: string, extra?: Record<string, unknown>, headers?: HeadersInit): ApiError {
  return new ApiError(status, error, Response.json({ error, detail, ...extra }, { status, headers }))
}

/** An HTTPException that remembers its error code, for counters and logs. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    res: Response,
  ) {
    super(status, { res })
  }
}

/** Named errors from deeper code -> their HTTP answer. */
export function toHttpException(err: unknown): HTTPException | undefined {
  if (err instanceof HTTPException) return err
  if (err instanceof UnknownDatasetError) return jsonError(404, 'unknown_dataset', err.message, { datasets: err.known })
  if (err instanceof BodyTooLargeError) return jsonError(413, 'body_too_large', err.message)
  if (err instanceof UndecodableBodyError) return jsonError(400, 'undecodable_body', err.message)
  if (err instanceof NotNdjsonError) return jsonError(415, 'ndjson_required', err.message)
  if (err instanceof SourceReadError) return jsonError(400, 'body_unreadable', 'the request body could not be read to its end')
  if (err instanceof StorageUnavailableError) {
    return jsonError(503, 'storage_unavailable', 'the batch could not be stored in S3 after retries; nothing was acknowledged, retry later', undefined, { 'Retry-After': RETRY_AFTER_SECONDS })
  }
  if (err instanceof ConfigError) return jsonError(500, 'misconfigured', err.message)
  return undefined
}

/** The counters' reason code for a failed batch: the error code of its answer. */
export function failureReason(err: unknown): string {
  const known = toHttpException(err)
  if (known instanceof ApiError) return known.code
  return known ? `http_${known.status}` : 'internal_error'
}

/** The app's one error boundary. */
export function onError(err: Error, c: Context): Response {
  const known = toHttpException(err)
  if (known) return known.getResponse()
  console.error('unhandled error', err)
  return c.json({ error: 'internal_error', detail: 'an unexpected error occurred; it has been logged' }, 500)
}
