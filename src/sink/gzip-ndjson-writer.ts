import { ObjectWriter } from './object-writer'
import type { ObjectWriterOptions, ObjectWriterResult } from './object-writer'

// Lines are joined into strings of about this many UTF-16 units before they are encoded and
// compressed: one TextEncoder call and one stream write per 64 KiB, not per line.
const FLUSH_CHARS = 64 * 1024
// Encoded buffers handed to the compressor and not yet taken by it. Past this, writeLine()
// waits: where the compressor has backpressure (Node), a slow upload slows the producer.
const MAX_PENDING_WRITES = 4
// workerd's CompressionStream has none: it takes every write at once and queues its output,
// 4 KiB per event-loop turn, which a producer that only awaits microtasks never yields. So
// after each MiB of input the writer waits until the pump has taken all queued output.
const DRAIN_EVERY_BYTES = 1024 * 1024
const encoder = new TextEncoder()

export type GzipNdjsonWriterOptions = Omit<ObjectWriterOptions, 'contentType' | 'contentEncoding'>

export type GzipNdjsonWriterResult = ObjectWriterResult & {
  lines: number
  uncompressedBytes: number
}

/**
 * Streams NDJSON lines into one gzip S3 object (Content-Type `application/x-ndjson`,
 * Content-Encoding `gzip`) through a `CompressionStream` and an `ObjectWriter`, with
 * bounded memory: about 64 KiB of text, at most about 1 MiB inside the compressor, and the
 * object writer's parts (about two).
 * Web Standards only, so it runs in workerd and in Node.
 *
 * @example
 * const out = new GzipNdjsonWriter({ client: s3, key: 'logs/…/batch.json.gz', deadline })
 * try {
 *   for (const event of events) await out.writeLine(JSON.stringify(event))
 *   const { bytes, lines } = await out.close()
 * } catch (err) {
 *   await out.abort(err)
 *   throw err
 * }
 */
export class GzipNdjsonWriter {
  readonly key: string
  /** Lines written so far. */
  lines = 0
  /** UTF-8 bytes handed to the compressor so far (all of them once closed). */
  uncompressedBytes = 0
  readonly #object: ObjectWriter
  readonly #input: WritableStreamDefaultWriter<Uint8Array>
  readonly #pump: Promise<void>
  #text = ''
  #pending: Promise<void>[] = []
  #failure: unknown
  #done = false
  #drainedAt = 0
  // What the pump has done, for #drain(): chunks read, and the write it is waiting on.
  #reads = 0
  #pumpWrite: Promise<void> | undefined

  constructor(options: GzipNdjsonWriterOptions) {
    this.#object = new ObjectWriter({ ...options, contentType: 'application/x-ndjson', contentEncoding: 'gzip' })
    this.key = this.#object.key
    const gzip = new CompressionStream('gzip')
    this.#input = gzip.writable.getWriter()
    this.#pump = this.#runPump(gzip.readable.getReader())
    // A failed pump is reported by the calls that follow, never as an unhandled rejection.
    this.#pump.catch(() => {})
  }

  /** Compressed bytes that reached the object writer so far. */
  get bytes(): number {
    return this.#object.bytes
  }

  /** Appends one line: a JSON text without a raw newline (JSON.stringify never makes one). */
  async writeLine(line: string): Promise<void> {
    this.#check()
    if (line.includes('\n')) throw new TypeError('GzipNdjsonWriter: a line must not contain "\\n"')
    this.#text += line + '\n'
    this.lines++
    if (this.#text.length >= FLUSH_CHARS) await this.#flush()
  }

  /** Flushes, finishes the gzip stream and stores the object. */
  async close(): Promise<GzipNdjsonWriterResult> {
    this.#check()
    this.#done = true
    try {
      await this.#flush()
      await Promise.all(this.#pending)
      await this.#input.close()
      await this.#pump
      this.#throwIfFailed()
      const result = await this.#object.close()
      return { ...result, lines: this.lines, uncompressedBytes: this.uncompressedBytes }
    } catch (err) {
      this.#failure ??= err
      await this.#tearDown(err)
      throw this.#failure
    }
  }

  /** Tears everything down and aborts any multipart upload. Never rejects. */
  async abort(reason?: unknown): Promise<void> {
    if (this.#done && this.#failure === undefined) {
      // Already closing or closed: the object writer decides whether anything landed.
      await this.#object.abort(reason)
      return
    }
    this.#done = true
    this.#failure ??= reason ?? new Error('GzipNdjsonWriter aborted')
    await this.#tearDown(this.#failure)
  }

  #check(): void {
    this.#throwIfFailed()
    if (this.#done) throw new Error('GzipNdjsonWriter: used after close() or abort()')
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure
  }

  async #flush(): Promise<void> {
    if (this.#text === '') return
    const bytes = encoder.encode(this.#text)
    this.#text = ''
    this.uncompressedBytes += bytes.byteLength
    const written = this.#input.write(bytes)
    written.catch(() => {}) // its failure is the pump's, reported below
    this.#pending.push(written)
    if (this.#pending.length > MAX_PENDING_WRITES) {
      await (this.#pending.shift() as Promise<void>).catch(() => {})
      this.#throwIfFailed()
    }
    if (this.uncompressedBytes - this.#drainedAt >= DRAIN_EVERY_BYTES) {
      this.#drainedAt = this.uncompressedBytes
      await this.#drain()
    }
  }

  // Returns once a whole event-loop turn passed without the pump reading anything, waiting
  // meanwhile for any S3 write the pump is blocked on: that is the backpressure of uploads.
  async #drain(): Promise<void> {
    for (;;) {
      this.#throwIfFailed()
      if (this.#pumpWrite) {
        await this.#pumpWrite.catch(() => {})
        continue
      }
      const reads = this.#reads
      await new Promise((resolve) => setTimeout(resolve, 0))
      if (this.#reads === reads && !this.#pumpWrite) return this.#throwIfFailed()
    }
  }

  async #runPump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        this.#reads++
        this.#pumpWrite = this.#object.write(value)
        await this.#pumpWrite
        this.#pumpWrite = undefined
      }
    } catch (err) {
      this.#failure ??= err
      // Unblocks writeLine() and close(): their pending writes reject instead of waiting.
      await reader.cancel(err).catch(() => {})
      throw err
    }
  }

  async #tearDown(reason: unknown): Promise<void> {
    this.#text = ''
    await this.#input.abort(reason).catch(() => {})
    // Before waiting for the pump: it cancels the upload the pump may be waiting on.
    await this.#object.abort(reason)
    await this.#pump.catch(() => {})
  }
}
