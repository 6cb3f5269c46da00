// The interfaces the two sides of the service meet at: ingest and the pipeline on one side, output
// formats and object storage on the other. Both import this module; it imports nothing, so a new
// storage adapter never touches a format, and a new format never touches storage.

/** Limits of one storage call. */
export interface StorageCall {
  /** Epoch ms after which no attempt starts and no back-off waits: the batch's own deadline. */
  deadline?: number
  /** Cancels the call; it then fails with a non-retryable `StorageError` with code `Aborted`. */
  signal?: AbortSignal
}

/** Object metadata kept with the bytes (Content-Type, Content-Encoding). */
export type ObjectHeaders = Record<string, string>

export interface CompletedPart {
  partNumber: number
  etag: string
}

export interface ObjectInfo {
  size: number
  etag: string
}

/**
 * An object store as the service uses it: whole objects, multipart uploads, listing. Adapters:
 * S3 (any S3-compatible endpoint, `src/storage/s3`) and the Worker's R2 binding (`src/storage/r2`).
 * Every failure is a `StorageError`; an adapter retries what is worth retrying, within `deadline`.
 */
export interface ObjectStorage {
  /** Stores `body` in one request; resolves to the object's ETag. */
  putObject(key: string, body: Uint8Array, headers?: ObjectHeaders, call?: StorageCall): Promise<string>
  /** Stores a stream of exactly `length` bytes as it arrives, never buffered whole. */
  putObjectStream(key: string, body: ReadableStream<Uint8Array>, length: number, headers?: ObjectHeaders, call?: StorageCall): Promise<string>
  /** The object's bytes as stored (not decoded by Content-Encoding), or null when there is none. */
  getObject(key: string, call?: StorageCall): Promise<Response | null>
  headObject(key: string, call?: StorageCall): Promise<ObjectInfo | null>
  /** Succeeds whether or not the key existed. */
  deleteObject(key: string, call?: StorageCall): Promise<void>
  /** Every key under `prefix`, in lexicographic order. */
  listKeys(prefix: string, call?: StorageCall): Promise<string[]>
  /** `headers` apply to the final object; resolves to the upload id. */
  createMultipartUpload(key: string, headers?: ObjectHeaders, call?: StorageCall): Promise<string>
  /** `partNumber` from 1 to 10 000; resolves to the part's ETag. */
  uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array, call?: StorageCall): Promise<string>
  completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[], call?: StorageCall): Promise<string>
  /** An upload already gone counts as aborted. */
  abortMultipartUpload(key: string, uploadId: string, call?: StorageCall): Promise<void>
}

// Codes worth another attempt even though some come with a 4xx status (RequestTimeout is a 400:
// S3 gave up waiting for the request body; BadDigest is a 400 for a body that no longer matched
// its Content-MD5 when it arrived, and a retry sends it again).
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

export type StorageErrorInit = {
  operation: string
  status: number
  code: string
  /** What the store (or the network layer) said, without credentials. */
  detail?: string
  key?: string
  attempts?: number
  cause?: unknown
}

/**
 * A failed storage call. `status` is 0 when no response came back (network error, timeout,
 * abort). `retryable` says whether the same call may succeed later: 5xx, 429, throttling,
 * network errors and timeouts are; other 4xx are not. The message names the operation and
 * the key, never a credential.
 *
 * @example
 * try { await storage.putObject(key, body) } catch (err) {
 *   if (err instanceof StorageError && err.retryable) return c.json({ error: 'storage' }, 503)
 *   throw err
 * }
 */
export class StorageError extends Error {
  override readonly name = 'StorageError'
  readonly operation: string
  readonly status: number
  readonly code: string
  readonly detail: string | undefined
  readonly key: string | undefined
  readonly attempts: number
  readonly retryable: boolean

  constructor(init: StorageErrorInit) {
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
  withAttempts(attempts: number): StorageError {
    const { operation, status, code, detail, key, cause } = this
    return new StorageError({ operation, status, code, detail, key, cause, attempts })
  }
}

function describe({ operation, key, status, code, detail, attempts = 1 }: StorageErrorInit): string {
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

/** Where a batch's results go: enriched events by partition (`YYYY-MM-DD HH`), and quarantine records. */
export interface BatchOutput {
  event(partition: string, json: string): void | Promise<void>
  quarantine(record: string): void | Promise<void>
}
