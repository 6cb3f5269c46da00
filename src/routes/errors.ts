import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ingestFailure } from '../ingest/errors'

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
  const failure = ingestFailure(err)
  if (!failure) return undefined
  const headers = failure.retry ? { 'Retry-After': RETRY_AFTER_SECONDS } : undefined
  return jsonError(failure.status, failure.code, failure.detail, failure.datasets && { datasets: failure.datasets }, headers)
}

/**
 * The error code of the answer to `err`, as its JSON body gives it: `internal_error` for a bug,
 * `unauthorized` for a refused token (Hono's auth answers carry no code of ours).
 * @example log.end(c.res.status, { code: errorCode(c.error, c.res.status), cause: c.error })
 */
export function errorCode(err: unknown, status: number): string {
  const known = toHttpException(err)
  if (known instanceof ApiError) return known.code
  if (status === 401) return 'unauthorized'
  return known ? `http_${status}` : 'internal_error'
}

/** The app's one error boundary. */
export function onError(err: Error, c: Context): Response {
  const known = toHttpException(err)
  if (known) return known.getResponse()
  console.error('unhandled error', err)
  return c.json({ error: 'internal_error', detail: 'an unexpected error occurred; it has been logged' }, 500)
}
