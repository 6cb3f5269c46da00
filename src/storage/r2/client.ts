import { type CompletedPart, type ObjectBody, type ObjectHeaders, type ObjectInfo, type ObjectStorage, type StorageCall, StorageError } from '../../ports'
import { OneShotBody } from '../one-shot-body'
import { type CallName, callFailure, type RetryHooks, type RetryOptions, type RetryPolicy, retryPolicy, withRetries } from '../retry'
import { r2Failure } from './errors'

// R2 takes one write per second to the same key: a retry of a throttled write waits that long.
const SAME_KEY_WRITE_INTERVAL_MS = 1_000
const LIST_PAGE_SIZE = 1_000

export type R2StorageOptions = RetryOptions & {
  /** The Worker's R2 bucket binding (`env.LOGS_BUCKET`). */
  bucket: R2Bucket
}

export type R2ListOptions = StorageCall & {
  /** Keys per list page, at most 1000 (R2's default). */
  pageSize?: number
}

/**
 * Object storage over the Worker's R2 bucket binding: no endpoint, no keys. Every call is retried
 * on R2's transient errors (InternalError, ServiceUnavailable, TooManyRequests, a lost
 * connection) with the same back-off, attempt timeout and time budget as the S3 client, and
 * every failure is a `StorageError` with R2's code as its S3 name (see ./errors.ts).
 *
 * A binding call cannot be cancelled: an attempt that times out, or whose `signal` fires, is
 * given up on, not stopped, as an HTTP request whose answer is never read.
 *
 * @example
 * const r2 = new R2Storage({ bucket: env.LOGS_BUCKET })
 * await r2.putObject('logs/a.json.gz', bytes, { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' })
 */
export class R2Storage implements ObjectStorage {
  readonly #bucket: R2Bucket
  readonly #policy: RetryPolicy

  constructor(options: R2StorageOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('R2Storage: options object required')
    if (typeof options.bucket?.put !== 'function') throw new TypeError('R2Storage: option "bucket" must be an R2 bucket binding')
    this.#bucket = options.bucket
    this.#policy = retryPolicy('R2Storage', options)
  }

  async putObject(key: string, body: ObjectBody, headers?: ObjectHeaders, call?: StorageCall): Promise<string> {
    const name = { operation: 'PutObject', key }
    const object = await this.#run(name, call, () => this.#bucket.put(key, r2Value(body), { httpMetadata: new Headers(headers) }), writeHooks)
    if (!object) throw callFailure(name, 'InvalidResponse', 'put stored nothing')
    return object.httpEtag
  }

  /**
   * Stores a stream of exactly `length` bytes as it arrives: R2 takes a stream only of a known
   * length, which the body given to it declares. A stream cannot be replayed, so the call is
   * retried only while no byte of it was read (the binding reads at once: one attempt, in
   * practice). A stream that fails, or ends short of or runs past `length`, fails the call with
   * code `IncompleteBody` and nothing is stored. The adapter owns `body`: it is cancelled if the
   * call fails before reading it to the end.
   */
  async putObjectStream(key: string, body: ReadableStream<Uint8Array>, length: number, headers?: ObjectHeaders, call?: StorageCall): Promise<string> {
    if (!Number.isSafeInteger(length) || length < 0) {
      await body.cancel().catch(() => {})
      throw new TypeError(`PutObject ${key}: length must be a non-negative integer`)
    }
    const name = { operation: 'PutObject', key }
    const stream = new OneShotBody(body, length)
    try {
      const object = await this.#run(name, call, () => this.#bucket.put(key, stream.open(), { httpMetadata: new Headers(headers) }), {
        ...writeHooks,
        replayable: () => !stream.started,
        broken: () => stream.failure,
      })
      if (!object) throw callFailure(name, 'InvalidResponse', 'put stored nothing')
      return object.httpEtag
    } finally {
      await stream.release()
    }
  }

  /** The object's bytes as stored, with its Content-Type, Content-Encoding and ETag; null when absent. */
  async getObject(key: string, call?: StorageCall): Promise<Response | null> {
    const object = await this.#run({ operation: 'GetObject', key }, call, () => this.#bucket.get(key))
    if (!object) return null
    const headers = new Headers()
    object.writeHttpMetadata(headers)
    headers.set('ETag', object.httpEtag)
    headers.set('Content-Length', String(object.size))
    // A Response read in the Worker is not decoded by its Content-Encoding: gzip stays gzip.
    return new Response(object.body, { headers })
  }

  async headObject(key: string, call?: StorageCall): Promise<ObjectInfo | null> {
    const object = await this.#run({ operation: 'HeadObject', key }, call, () => this.#bucket.head(key))
    return object && { size: object.size, etag: object.httpEtag }
  }

  async deleteObject(key: string, call?: StorageCall): Promise<void> {
    await this.#run({ operation: 'DeleteObject', key }, call, () => this.#bucket.delete(key), writeHooks)
  }

  /** Every key under `prefix`, page after page (R2 lists in lexicographic order). */
  async listKeys(prefix: string, options: R2ListOptions = {}): Promise<string[]> {
    // One deadline for all the pages, as for the S3 client.
    const call = { ...options, deadline: options.deadline ?? Date.now() + this.#policy.budgetMs }
    const limit = options.pageSize ?? LIST_PAGE_SIZE
    const keys: string[] = []
    let cursor: string | undefined
    do {
      const page = await this.#run({ operation: 'ListObjects' }, call, () => this.#bucket.list({ prefix, cursor, limit }))
      for (const object of page.objects) keys.push(object.key)
      cursor = page.truncated ? page.cursor : undefined
    } while (cursor)
    return keys
  }

  async createMultipartUpload(key: string, headers?: ObjectHeaders, call?: StorageCall): Promise<string> {
    const upload = await this.#run({ operation: 'CreateMultipartUpload', key }, call, () =>
      this.#bucket.createMultipartUpload(key, { httpMetadata: new Headers(headers) }),
    )
    return upload.uploadId
  }

  /** R2 wants every part but the last of one size, and at least 5 MiB: ObjectWriter sends them so. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: ObjectBody, call?: StorageCall): Promise<string> {
    const part = await this.#run(
      { operation: 'UploadPart', key },
      call,
      () => this.#bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, r2Value(body)),
      writeHooks,
    )
    return part.etag
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[], call?: StorageCall): Promise<string> {
    const uploaded = parts.map(({ partNumber, etag }) => ({ partNumber, etag }))
    const object = await this.#run(
      { operation: 'CompleteMultipartUpload', key },
      call,
      () => this.#bucket.resumeMultipartUpload(key, uploadId).complete(uploaded),
      writeHooks,
    )
    return object.httpEtag
  }

  /** Drops the parts; an upload already gone (aborted, completed, never there) counts as aborted. */
  async abortMultipartUpload(key: string, uploadId: string, call?: StorageCall): Promise<void> {
    try {
      await this.#run({ operation: 'AbortMultipartUpload', key }, call, () => this.#bucket.resumeMultipartUpload(key, uploadId).abort())
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'NoSuchUpload')) throw err
    }
  }

  #run<T>(name: CallName, call: StorageCall = {}, operation: () => Promise<T>, hooks: R2Hooks = {}): Promise<T> {
    return withRetries(name, this.#policy, call, (timeoutMs) => attempt(name, operation, timeoutMs, call.signal, hooks.broken), hooks)
  }
}

type R2Hooks = RetryHooks & {
  /** Why the stream body broke, if it did: the attempt then failed for that reason. */
  broken?: () => { message: string; cause?: unknown } | undefined
}

const writeHooks: R2Hooks = {
  minDelayMs: (err) => (err.code === 'TooManyRequests' ? SAME_KEY_WRITE_INTERVAL_MS : 0),
}

// One binding call, given up on after `timeoutMs` or when `signal` fires.
async function attempt<T>(
  name: CallName,
  operation: () => Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  broken: R2Hooks['broken'],
): Promise<T> {
  if (signal?.aborted) throw callFailure(name, 'Aborted', 'cancelled by the caller')
  let timer: ReturnType<typeof setTimeout> | undefined
  let cancel: (() => void) | undefined
  const givenUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(callFailure(name, 'TimeoutError', `no answer within ${timeoutMs} ms`)), timeoutMs)
    cancel = () => reject(callFailure(name, 'Aborted', 'cancelled by the caller'))
    signal?.addEventListener('abort', cancel)
  })
  // A binding that refuses its arguments throws at once: that too is a rejection here.
  const running = new Promise<T>((resolve) => resolve(operation()))
  // A call given up on may still fail later: that is no news.
  running.catch(() => {})
  try {
    return await Promise.race([running, givenUp])
  } catch (err) {
    const failure = broken?.()
    if (failure) throw callFailure(name, 'IncompleteBody', failure.message, failure.cause)
    throw r2Failure(name, err)
  } finally {
    clearTimeout(timer)
    if (cancel) signal?.removeEventListener('abort', cancel)
  }
}

// The binding takes one value: several arrays go as a Blob of them, not joined into a new ArrayBuffer.
function r2Value(body: ObjectBody): Uint8Array | Blob {
  return body instanceof Uint8Array ? body : new Blob(body as Uint8Array[])
}
