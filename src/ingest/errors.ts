import { ConfigError } from '../config'
import { BodyTooLargeError, NotNdjsonError, SourceReadError, UndecodableBodyError } from '../pipeline/errors'
import { knownDatasets } from '../schema/registry'

/** The dataset named in the URL or object key has no schema. */
export class UnknownDatasetError extends Error {
  override name = 'UnknownDatasetError'
  readonly known = knownDatasets()
  constructor(readonly dataset: string) {
    super(`unknown dataset "${dataset.slice(0, 64)}"; known datasets: ${knownDatasets().join(', ')}`)
  }
}

/** The store could not durably take the batch after retries: the sender should retry later. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError'
  constructor(override readonly cause: unknown) {
    super(`storage unavailable: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
}

export type IngestFailureCode =
  | 'unknown_dataset'
  | 'body_too_large'
  | 'undecodable_body'
  | 'ndjson_required'
  | 'body_unreadable'
  | 'storage_unavailable'
  | 'misconfigured'

/**
 * Where a batch failed: `request` before its body was touched (auth, an unknown dataset, the
 * config), `read` its body, `decode` gzip or UTF-8, `parse` its lines, `store` the bucket,
 * `count` the counters.
 */
export type BatchPhase = 'request' | 'read' | 'decode' | 'parse' | 'store' | 'count'

/** What a failed batch means for its sender, whichever door it came in by. */
export interface IngestFailure {
  code: IngestFailureCode
  /** The HTTP status of the Logpush destination's answer. */
  status: 400 | 404 | 413 | 415 | 500 | 503
  /** Our own words: never a secret, a header value or a stored value. */
  detail: string
  /** The sender should send the same batch again later (Logpush does on a 5xx). */
  retry: boolean
  /** The phase the batch failed in, for its log line. */
  phase: BatchPhase
  datasets?: string[]
}

/**
 * The one map from ingest's named errors to what they mean for the sender: the Logpush route
 * answers it as JSON, the S3 endpoint as S3 XML, the counters record its code. Undefined for an
 * error ingest does not name: a bug, answered as a 500.
 * @example const failure = ingestFailure(err); if (failure) return c.json({ error: failure.code, detail: failure.detail }, failure.status)
 */
export function ingestFailure(err: unknown): IngestFailure | undefined {
  if (err instanceof UnknownDatasetError)
    return { code: 'unknown_dataset', status: 404, detail: err.message, retry: false, phase: 'request', datasets: err.known }
  if (err instanceof BodyTooLargeError)
    return { code: 'body_too_large', status: 413, detail: err.message, retry: false, phase: err.limit === 'MAX_BODY_BYTES' ? 'read' : 'decode' }
  if (err instanceof UndecodableBodyError) return { code: 'undecodable_body', status: 400, detail: err.message, retry: false, phase: 'decode' }
  if (err instanceof NotNdjsonError) return { code: 'ndjson_required', status: 415, detail: err.message, retry: false, phase: 'parse' }
  if (err instanceof SourceReadError)
    return { code: 'body_unreadable', status: 400, detail: 'the request body could not be read to its end', retry: false, phase: 'read' }
  if (err instanceof StorageUnavailableError) {
    return {
      code: 'storage_unavailable',
      status: 503,
      detail: 'the batch could not be stored after retries; nothing was acknowledged, retry later',
      retry: true,
      phase: 'store',
    }
  }
  if (err instanceof ConfigError) return { code: 'misconfigured', status: 500, detail: err.message, retry: false, phase: 'request' }
  return undefined
}

/** The counters' reason for a failed batch: its failure code, or `internal_error`. */
export function failureReason(err: unknown): string {
  return ingestFailure(err)?.code ?? 'internal_error'
}
