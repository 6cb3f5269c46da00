import { concatBytes } from '../utils/bytes'
import { type CompletedPart, type ObjectBody, type ObjectStorage, type StorageBudget, type StorageCall, StorageError } from '../ports'

export const MIN_PART_SIZE = 5 * 1024 * 1024 // S3 rejects smaller parts, except the last one
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
const MAX_PARTS = 10_000
const DEFAULT_PART_SIZE = 8 * 1024 * 1024
// A part is filled in blocks, each about as big as the part so far, from this small: a small
// object (most quarantine objects, a quiet partition) does not cost a whole part, nor does an
// object left open with a part barely begun while another is written. Small, because a batch
// spread over thousands of hours keeps thousands of objects of a few hundred bytes open at once.
const FIRST_CAPACITY = 1024
// Blocks are never copied into one: they go to storage as they are. Growing a single array by
// doubling instead copied each part about twice more, into arrays that lived long enough to
// outlast young collections (without those copies, the 1 GiB batch's peak of ArrayBuffers in
// workerd fell from 52-55 to 44 MB). This cap bounds the room an object holds unfilled.
const MAX_BLOCK = 256 * 1024
// trim() copies at most this much: a suspended object resumed at every event costs a copy each.
const TRIM_BYTES = 64 * 1024
// Cleanup gets its own time: the batch's budget may be what just ran out.
const ABORT_BUDGET_MS = 5_000

export type ObjectWriterOptions = {
  storage: ObjectStorage
  key: string
  /** Bytes per multipart part, from `minPartSize` (default 8 MiB); also the single-PUT limit. */
  partSize?: number
  /** The server's smallest part: S3's 5 MiB (the default); lower only for a local test server. */
  minPartSize?: number
  contentType?: string
  contentEncoding?: string
  /** The batch's budget for storage that stops answering: each wait of this writer on a call goes through it. */
  budget?: StorageBudget
}

export type ObjectWriterResult = {
  key: string
  /** Bytes stored. */
  bytes: number
  /** 1 for a single PUT, else the number of multipart parts (always 2 or more). */
  parts: number
}

type State = 'open' | 'closing' | 'closed' | 'failed' | 'aborted'

/**
 * Writes one stored object from chunks whose total size is not known in advance. Up to
 * `partSize` bytes nothing is sent and `close()` stores them with one PUT; past it, a
 * multipart upload starts and each full part is sent as it fills, one part in flight while
 * the next fills, so memory stays near two parts whatever the object's size: each chunk is
 * copied into the blocks of the part being filled, which go to storage as they are.
 * Await each `write()` before the next: that is the backpressure.
 *
 * @example
 * const out = new ObjectWriter({ storage: s3, key, contentType: 'application/x-ndjson' })
 * try {
 *   for await (const chunk of stream) await out.write(chunk)
 *   return await out.close() // { key, bytes, parts }
 * } catch (err) {
 *   await out.abort()
 *   throw err
 * }
 */
export class ObjectWriter {
  readonly key: string
  readonly #storage: ObjectStorage
  readonly #partSize: number
  readonly #headers: Record<string, string>
  readonly #budget: StorageBudget | undefined
  // Cancels requests in flight when the writer is aborted.
  readonly #cancel = new AbortController()
  #state: State = 'open'
  #failure: unknown
  // The part being filled: full blocks, then one filled to #blockFilled; #filled bytes in all.
  #blocks: Uint8Array[] = []
  #blockFilled = 0
  #filled = 0
  #bytes = 0
  #uploadId: string | undefined
  #parts: CompletedPart[] = []
  #inFlight: Promise<void> | undefined
  #writing = false

  constructor(options: ObjectWriterOptions) {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE
    const minPartSize = options.minPartSize ?? MIN_PART_SIZE
    if (!options.storage) throw new TypeError('ObjectWriter: option "storage" is required')
    if (typeof options.key !== 'string' || options.key === '') throw new TypeError('ObjectWriter: option "key" must be a non-empty string')
    if (!Number.isInteger(minPartSize) || minPartSize < 1) throw new RangeError('ObjectWriter: option "minPartSize" must be a positive integer')
    if (!Number.isInteger(partSize) || partSize < minPartSize || partSize > MAX_PART_SIZE) {
      throw new RangeError(`ObjectWriter: option "partSize" must be an integer from ${minPartSize} to ${MAX_PART_SIZE}`)
    }
    this.key = options.key
    this.#storage = options.storage
    this.#partSize = partSize
    this.#budget = options.budget
    this.#headers = {}
    if (options.contentType) this.#headers['Content-Type'] = options.contentType
    if (options.contentEncoding) this.#headers['Content-Encoding'] = options.contentEncoding
  }

  /** Bytes accepted so far. */
  get bytes(): number {
    return this.#bytes
  }

  /**
   * The most memory this object can hold for bytes not yet stored once at most `bytes` bytes
   * were written: the part being filled (each new block about as big as the part so far, so up
   * to twice its bytes, at most a part) and, past one part, the part sent last. `trimmed`:
   * `trim()` ran since the last write. A caller that decides by it from counts of its own
   * decides the same way on a retry.
   */
  holdsAtMost(bytes: number, trimmed: boolean): number {
    if (trimmed && bytes <= TRIM_BYTES) return bytes
    return Math.min(Math.max(FIRST_CAPACITY, 2 * bytes), 2 * this.#partSize)
  }

  /**
   * Lets go of the spare room of a small part (a copy of its bytes), for an object that stays
   * open while others are written: thousands of them then hold their bytes, not twice as many.
   */
  trim(): void {
    if (this.#writing) throw new Error('ObjectWriter: trim() called before the last write() settled')
    const blocks = this.#blocks
    if (blocks.length === 0 || this.#filled > TRIM_BYTES) return
    if (blocks.length === 1 && blocks[0]!.byteLength === this.#filled) return
    // A copy, not a view: a view would keep the blocks it was cut from.
    const filled = this.#filledBlocks()
    this.#blocks = [filled.length === 1 ? filled[0]!.slice() : concatBytes(filled, this.#filled)]
    this.#blockFilled = this.#filled
  }

  /** Appends a copy of `chunk`: the caller may reuse it once write() settled. */
  async write(chunk: Uint8Array): Promise<void> {
    this.#check('write')
    if (this.#writing) throw new Error('ObjectWriter: write() called before the previous write() settled')
    if (chunk.byteLength === 0) return
    this.#writing = true
    try {
      this.#bytes += chunk.byteLength
      for (let at = 0; at < chunk.byteLength; ) {
        // A full part goes only once a byte follows it: the last part is never empty, and
        // an object of exactly partSize is one PUT.
        if (this.#filled === this.#partSize) {
          await this.#waitFor(this.#settleInFlight(), 'UploadPart', this.key)
          this.#uploadId ??= await this.#waitFor(this.#storage.createMultipartUpload(this.key, this.#headers, this.#call()), 'CreateMultipartUpload', this.key)
          this.#inFlight = this.#sendPart(this.#takePart())
        }
        const block = this.#blockWithRoom(chunk.byteLength - at)
        const n = Math.min(chunk.byteLength - at, block.byteLength - this.#blockFilled)
        block.set(chunk.subarray(at, at + n), this.#blockFilled)
        this.#blockFilled += n
        this.#filled += n
        at += n
      }
    } catch (err) {
      await this.#fail(err)
      throw err
    } finally {
      this.#writing = false
    }
  }

  /** Stores what was written: one PUT, or the last part and CompleteMultipartUpload. */
  async close(): Promise<ObjectWriterResult> {
    this.#check('close')
    if (this.#writing) throw new Error('ObjectWriter: close() called before the last write() settled')
    this.#state = 'closing'
    try {
      if (this.#uploadId === undefined) {
        await this.#waitFor(this.#storage.putObject(this.key, this.#takePart(), this.#headers, this.#call()), 'PutObject', this.key)
        this.#state = 'closed'
        return { key: this.key, bytes: this.#bytes, parts: 1 }
      }
      await this.#waitFor(this.#settleInFlight(), 'UploadPart', this.key)
      await this.#waitFor(this.#sendPart(this.#takePart()), 'UploadPart', this.key)
      this.#throwIfFailed()
      await this.#waitFor(this.#complete(this.#uploadId), 'CompleteMultipartUpload', this.key)
      this.#state = 'closed'
      return { key: this.key, bytes: this.#bytes, parts: this.#parts.length }
    } catch (err) {
      await this.#fail(err)
      throw err
    }
  }

  /**
   * Gives up: cancels requests in flight and aborts the multipart upload, so no object
   * appears. Never rejects, as it runs on error paths; an upload it cannot abort is left
   * to the bucket's AbortIncompleteMultipartUpload lifecycle rule.
   */
  async abort(reason?: unknown): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'aborted') return
    const wasFailed = this.#state === 'failed'
    this.#state = 'aborted'
    this.#failure ??= reason ?? new Error('ObjectWriter aborted')
    this.#blocks = []
    this.#blockFilled = 0
    this.#filled = 0
    if (!wasFailed) await this.#cleanUp()
  }

  // A Complete whose answer was lost on the way back may have joined the parts: its retries then
  // fail, as the upload is gone (NoSuchUpload on S3, another error elsewhere). When an earlier
  // attempt may have succeeded, the object is taken as stored if it is there at the size written.
  async #complete(uploadId: string): Promise<void> {
    try {
      await this.#storage.completeMultipartUpload(this.key, uploadId, this.#parts, this.#call())
    } catch (err) {
      if (!(err instanceof StorageError) || err.attempts < 2) throw err
      const stored = await this.#storage.headObject(this.key, this.#call()).catch(() => null)
      if (stored?.size !== this.#bytes) throw err
    }
  }

  #check(operation: string): void {
    if (this.#state === 'failed' || this.#state === 'aborted') throw this.#failure
    if (this.#state !== 'open') throw new Error(`ObjectWriter: ${operation}() after close()`)
  }

  // A call may take what is left of the budget, counted when it starts: while the batch is not
  // waiting for it (a part sent while the next fills), the budget does not run down.
  #call(): StorageCall {
    const budget = this.#budget
    return { deadline: budget && Date.now() + budget.remainingMs(), signal: this.#cancel.signal }
  }

  #waitFor<T>(work: Promise<T>, operation: string, key: string): Promise<T> {
    return this.#budget ? this.#budget.wait(work, operation, key) : work
  }

  // Never rejects: a failure is kept in #failure for the next write() or close() to throw.
  async #sendPart(body: ObjectBody): Promise<void> {
    // Reserve the slot now: parts are numbered in write order even while one is in flight.
    const part = { partNumber: this.#parts.length + 1, etag: '' }
    this.#parts.push(part)
    try {
      if (part.partNumber > MAX_PARTS) {
        throw new RangeError(`ObjectWriter: ${this.key} needs more than ${MAX_PARTS} parts; raise partSize`)
      }
      part.etag = await this.#storage.uploadPart(this.key, this.#uploadId as string, part.partNumber, body, this.#call())
    } catch (err) {
      this.#failure ??= err
    }
  }

  async #settleInFlight(): Promise<void> {
    await this.#inFlight
    this.#inFlight = undefined
    this.#throwIfFailed()
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure
  }

  // The last block if it has room, else a new one: as big as the bytes to come or the part so
  // far (so the part's room stays at most its bytes), or what brings a part trimmed under
  // FIRST_CAPACITY up to it; at most MAX_BLOCK and what the part lacks.
  #blockWithRoom(coming: number): Uint8Array {
    const last = this.#blocks.at(-1)
    if (last && this.#blockFilled < last.byteLength) return last
    const size = Math.min(Math.max(FIRST_CAPACITY - this.#filled, this.#filled, coming), MAX_BLOCK, this.#partSize - this.#filled)
    const block = new Uint8Array(size)
    this.#blocks.push(block)
    this.#blockFilled = 0
    return block
  }

  // The blocks with the last cut to what it holds.
  #filledBlocks(): Uint8Array[] {
    const blocks = this.#blocks.slice()
    const last = blocks.length - 1
    if (last >= 0) blocks[last] = blocks[last]!.subarray(0, this.#blockFilled)
    return blocks
  }

  // Hands over the bytes filled (one array when they fit one) and lets go of the part.
  #takePart(): ObjectBody {
    const blocks = this.#filledBlocks()
    this.#blocks = []
    this.#blockFilled = 0
    this.#filled = 0
    return blocks.length === 1 ? blocks[0]! : blocks.length === 0 ? new Uint8Array(0) : blocks
  }

  async #fail(err: unknown): Promise<void> {
    if (this.#state === 'failed' || this.#state === 'aborted') return
    this.#state = 'failed'
    this.#failure ??= err
    await this.#cleanUp()
  }

  async #cleanUp(): Promise<void> {
    this.#cancel.abort()
    await this.#inFlight
    this.#inFlight = undefined
    if (this.#uploadId === undefined) return
    try {
      await this.#storage.abortMultipartUpload(this.key, this.#uploadId, { deadline: Date.now() + ABORT_BUDGET_MS })
    } catch {
      // Left to the lifecycle rule, as documented on abort().
    }
  }
}
