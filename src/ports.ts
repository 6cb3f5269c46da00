// The interfaces the two sides of the service meet at: ingest and the pipeline on one side, output
// formats and object storage on the other. Both import this module; it imports nothing, so a new
// storage adapter never touches a format, and a new format never touches storage.

/** Limits of one storage call. */
export interface StorageCall {
  /** Epoch ms after which no attempt starts and no back-off waits: the batch's own deadline. */
  deadline?: number
  /** Cancels the call; it then fails with a non-retryable `StorageError` with code `Aborted`. */
  signal?: AbortSignal
  /** Called as each attempt (the first and every retry) starts: how a batch counts its storage requests. */
  onAttempt?: () => void
}

/**
 * How long a batch may be held up by storage that does not answer (an upload it must wait for, a
 * staged body that does not arrive): never its own parsing CPU, and never a healthy bucket's
 * steady answers, so a large healthy batch is never cut short by its size or its number of
 * objects, while a bucket that stops answering still ends the batch in bounded time.
 */
export interface StorageBudget {
  /** Milliseconds the batch may still wait with no answer; 0 once spent. */
  remainingMs(): number
  /**
   * Settles as `work` does, counting the time until then as waiting; rejects with a
   * `StorageError` TimeoutError for `operation` (and `key`) if the budget runs out first.
   */
  wait<T>(work: Promise<T>, operation: string, key?: string): Promise<T>
}

/**
 * The bytes of one request's body: one array, or several that go out one after another as one
 * body. Several, so that a writer that collects a part in pieces never copies them into one.
 */
export type ObjectBody = Uint8Array | readonly Uint8Array[]

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
  putObject(key: string, body: ObjectBody, headers?: ObjectHeaders, call?: StorageCall): Promise<string>
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
  uploadPart(key: string, uploadId: string, partNumber: number, body: ObjectBody, call?: StorageCall): Promise<string>
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

/**
 * Panther's standard fields of one event, as the pipeline adds them (the NDJSON line ends with
 * them). The lists are sorted, without duplicates, and empty when the event has none (the NDJSON
 * line then leaves the field out).
 */
export interface StandardFields {
  readonly p_log_type: string
  /** `YYYY-MM-DD HH:MM:SS.fffffffff`, UTC. */
  readonly p_event_time: string
  readonly p_parse_time: string
  readonly p_row_id: string
  readonly p_source_id: string
  readonly p_source_label: string
  readonly p_any_ip_addresses: readonly string[]
  readonly p_any_domain_names: readonly string[]
  readonly p_any_trace_ids: readonly string[]
  readonly p_any_emails: readonly string[]
  readonly p_any_usernames: readonly string[]
  readonly p_any_sha256_hashes: readonly string[]
  readonly p_any_sha1_hashes: readonly string[]
  readonly p_any_md5_hashes: readonly string[]
  readonly p_any_mac_addresses: readonly string[]
}

/** The standard fields that are one value per event, in the order enrichment writes them. */
export const STANDARD_COLUMNS = ['p_log_type', 'p_event_time', 'p_parse_time', 'p_row_id', 'p_source_id', 'p_source_label'] as const
/** Panther's indicator lists, in the order enrichment writes them, after the standard fields. */
export const INDICATOR_COLUMNS = [
  'p_any_ip_addresses',
  'p_any_domain_names',
  'p_any_trace_ids',
  'p_any_emails',
  'p_any_usernames',
  'p_any_sha256_hashes',
  'p_any_sha1_hashes',
  'p_any_md5_hashes',
  'p_any_mac_addresses',
] as const satisfies readonly (keyof StandardFields)[]
/** Every field enrichment writes, in its order: the p_ columns of every table definition. */
export const ENRICHED_FIELDS: readonly (keyof StandardFields)[] = [...STANDARD_COLUMNS, ...INDICATOR_COLUMNS]

/**
 * One checked, enriched event, as the pipeline hands it to an output format: its NDJSON line, or
 * its parts for a format that lays them out itself (columns, unknown fields, standard fields).
 * The pipeline reuses one instance for every line of a batch, so a writer takes what it needs
 * before its `write` settles and keeps neither the event nor the arrays it gives.
 *
 * Values are JSON values: objects, arrays, strings, booleans, null, and numbers, except that a
 * number a double would round (an integer beyond 2^53 written with its digits, a number beyond a
 * double's range) is a `JSON.rawJSON` of its text (`JSON.isRawJSON(v)`), so no digit is lost.
 * @example const at = event.columns.indexOf('ClientIP'); const ip = event.value(at)
 */
export interface CheckedEvent {
  /** The event as one NDJSON line without its newline: what the NDJSON format writes. */
  readonly json: string
  /** The schema's top-level columns: `value(i)` is the column named `columns[i]`. */
  readonly columns: readonly string[]
  /**
   * A column's value as its check left it: normalised to its type (a timestamp as
   * `YYYY-MM-DD HH:MM:SS.fffffffff`, an integer as a number or exact digits, a number in a string
   * column as its text), null where the event gave null, undefined where it gave none (no key, or
   * "" in a typed column).
   */
  value(column: number): unknown
  /** The members the schema has no column for, in the line's order, with their values as given. */
  unknownFields(): readonly (readonly [name: string, value: unknown])[]
  readonly standard: StandardFields
}

/** What a stored object came to. */
export interface StoredObject {
  key: string
  /** Bytes stored. */
  bytes: number
  /** 1 for a single PUT, else the number of multipart parts. */
  parts: number
}

/**
 * A column's type as the schema declares it (Panther's types): a scalar, an array of `element`, a
 * struct with `fields`, or a map of `element` by string keys. What a format that types its
 * columns lays them out from; the schema's own field specs are of this shape.
 */
export type ColumnType =
  | { readonly type: 'string' | 'boolean' | 'bigint' | 'int' | 'smallint' | 'float' | 'timestamp' | 'json' }
  | { readonly type: 'array'; readonly element: ColumnType }
  | { readonly type: 'object'; readonly fields: readonly ColumnField[] }
  | { readonly type: 'object'; readonly element: ColumnType }

/** A named column (or struct member) and its type. */
export type ColumnField = ColumnType & { readonly name: string }

/** Limits and settings a format writer gets from the batch. */
export interface FormatOptions {
  /** The schema's top-level fields, in the order of `CheckedEvent.columns`. */
  fields: readonly ColumnField[]
  /** The batch's time for waiting on storage. */
  budget?: StorageBudget
  /** Bytes per multipart part, also the largest object sent with one PUT. */
  partSize?: number
  /** The store's smallest multipart part. */
  minPartSize?: number
  /** For a format that gzips: 1 (fastest) to 9 (smallest); zlib's default (6) when not given. */
  gzipLevel?: number
}

/** One object of one format being written, event by event. */
export interface FormatWriter {
  /** Appends one event; await it before the next, as backpressure. */
  write(event: CheckedEvent): void | Promise<void>
  /**
   * Lets go of the working state kept between events (a compressor, a row group being built)
   * while the object stays open: the next `write` resumes it. What is written so far stays in the
   * object, so a batch can keep many partitions open with only a few of them working.
   */
  suspend(): Promise<void>
  /**
   * Bytes of memory the object holds that are not stored yet, as a bound that depends only on
   * the events written (never on timing), so that decisions taken from it are the same when the
   * same batch is retried.
   */
  readonly held: number
  /** Stores the object; nothing of it is visible before this resolves. */
  close(): Promise<StoredObject>
  /** Tears the writer down and aborts any upload it began. Never rejects. */
  abort(reason?: unknown): Promise<void>
}

/**
 * An output format: checked events -> the bytes of one object per partition, and where such
 * objects go in the layout (`<S3_PREFIX><keyPrefix><table>/year=…/hour=HH/<batchId><extension>`).
 * Adapters: gzip NDJSON (`src/formats/ndjson-gzip`), Parquet (`src/formats/parquet`).
 */
export interface OutputFormat {
  /** Its name in OUTPUT_FORMAT. */
  readonly name: string
  /** Top folder of its objects, with its slash: a table location holds one format only. */
  readonly keyPrefix: string
  /** How its object keys end. */
  readonly extension: string
  readonly contentType: string
  readonly contentEncoding: string | undefined
  open(storage: ObjectStorage, key: string, options: FormatOptions): FormatWriter
}

/** Where a batch's results go: enriched events by partition (`YYYY-MM-DD HH`), and quarantine records. */
export interface BatchOutput {
  /** `event` is valid only until this settles: the pipeline reuses it for the next line. */
  event(partition: string, event: CheckedEvent): void | Promise<void>
  quarantine(record: string): void | Promise<void>
}
