import { createGzip, gzipSync } from 'node:zlib'
import type { Gzip } from 'node:zlib'
import type { CheckedEvent, FormatWriter } from '../../ports'
import { concatBytes } from '../../utils/bytes'
import { ObjectWriter } from '../../storage/object-writer'
import type { ObjectWriterOptions, ObjectWriterResult } from '../../storage/object-writer'

// Lines are joined into strings of about this many UTF-16 units before they are encoded and
// compressed: one TextEncoder call and one compressor write per 64 KiB, not per line.
const FLUSH_CHARS = 64 * 1024
const encoder = new TextEncoder()
// Deflate's worst case adds 5 bytes per stored block of up to 64 KiB; 1/2048 covers it, and a
// member adds its 10-byte header, 8-byte trailer and an end-of-block code.
const DEFLATE_GROWTH_SHIFT = 11
const MEMBER_BYTES = 32
const ONE_SHOT_MIN_CHUNK = 1024
const ONE_SHOT_MAX_CHUNK = 16 * 1024
export const CONTENT_TYPE = 'application/x-ndjson'
export const CONTENT_ENCODING = 'gzip'

// Encoded text goes to zlib in buffers taken from here and given back once zlib has read them,
// not in a new array per flush: a 1 GiB batch otherwise makes 1 GiB of ArrayBuffers for V8 to
// collect, which it does late. Shared by every writer of the isolate: a buffer is in use only
// between a flush and zlib's reading of it, so a few serve any number of open objects. A buffer
// holds a flush of ASCII text (FLUSH_CHARS and the line that passed it, mostly); what does not fit
// (multi-byte characters, a very long line) is encoded apart, into an array of its own size.
const POOLED_BUFFERS = 4
const POOLED_BUFFER_BYTES = FLUSH_CHARS + 16 * 1024

const encodeBuffers = {
  free: [] as Uint8Array[],
  take(): Uint8Array {
    return this.free.pop() ?? new Uint8Array(POOLED_BUFFER_BYTES)
  },
  give(buffer: Uint8Array): void {
    if (this.free.length < POOLED_BUFFERS) this.free.push(buffer)
  },
}

/** `text` as UTF-8: its head in a pooled `buffer` (given back once the head is read), the rest, if any, in an array of its own. */
function encodeText(text: string): { head: Uint8Array; rest: Uint8Array | undefined; buffer: Uint8Array } {
  const buffer = encodeBuffers.take()
  const { read, written } = encoder.encodeInto(text, buffer)
  return { head: buffer.subarray(0, written), rest: read < text.length ? encoder.encode(text.slice(read)) : undefined, buffer }
}

export type GzipNdjsonWriterOptions = Omit<ObjectWriterOptions, 'contentType' | 'contentEncoding'> & {
  /** gzip level, 1 (fastest) to 9 (smallest); zlib's default (6) when not given. */
  level?: number
}

export type GzipNdjsonWriterResult = ObjectWriterResult & {
  lines: number
  uncompressedBytes: number
}

/**
 * Streams NDJSON lines into one gzip S3 object (Content-Type `application/x-ndjson`,
 * Content-Encoding `gzip`) through node:zlib's gzip and an `ObjectWriter`: an event's line
 * (`write`, the NDJSON format's writer) or any record (`writeLine`, quarantine), with bounded
 * memory: about 64 KiB of text, zlib's state (about 256 KiB) with one input chunk before it and
 * 64 KiB of output after it, and the object writer's parts (about two).
 *
 * A compressor stream starts only once a member's text passes 64 KiB; a member that ends before
 * (a small object, or a member ended by `suspend()`) is compressed in one call, as zlib's one-shot
 * gzip makes the same bytes as its stream for the same input, about 15 µs against 240 µs.
 * `suspend()` ends the member and lets its compressor go while the object stays open; the next
 * line starts a new member in the same object. Concatenated members are one valid gzip stream
 * (RFC 1952 §2.2): gunzip, zlib, DuckDB and our own decoder read them all.
 *
 * node:zlib, not CompressionStream: only it takes a compression level. workerd implements it
 * natively (Node.js compatibility is on by default from compatibility date 2026-08-04), and
 * unlike workerd's CompressionStream it stops taking input while its output is not read, so a
 * slow upload slows the writer of lines by itself.
 *
 * @example
 * const out = new GzipNdjsonWriter({ storage: s3, key: 'logs/…/batch.json.gz', budget, level: 6 })
 * try {
 *   for (const event of events) await out.writeLine(JSON.stringify(event))
 *   const { bytes, lines } = await out.close()
 * } catch (err) {
 *   await out.abort(err)
 *   throw err
 * }
 */
export class GzipNdjsonWriter implements FormatWriter {
  readonly key: string
  /** Lines written so far. */
  lines = 0
  /** UTF-8 bytes handed to the compressor so far (all of them once closed). */
  uncompressedBytes = 0
  readonly #object: ObjectWriter
  readonly #level: number | undefined
  // The compressor of the member being written, once its text passed FLUSH_CHARS.
  #gzip: Gzip | undefined
  #pump: Promise<void> | undefined
  #members = 0
  #text = ''
  #failure: unknown
  #done = false

  constructor(options: GzipNdjsonWriterOptions) {
    const { level, ...objectOptions } = options
    // zlib's own range, checked here: the compressor may start only at the end.
    if (level !== undefined && !(Number.isInteger(level) && level >= -1 && level <= 9))
      throw new RangeError(`GzipNdjsonWriter: level ${level} is not a zlib level (1 to 9)`)
    this.#object = new ObjectWriter({ ...objectOptions, contentType: CONTENT_TYPE, contentEncoding: CONTENT_ENCODING })
    this.key = this.#object.key
    this.#level = level
  }

  /** Compressed bytes that reached the object writer so far. */
  get bytes(): number {
    return this.#object.bytes
  }

  /**
   * Memory held for this object's bytes not yet stored, bounded from the text written alone:
   * gzip output is at most its input plus a little per block and per member, and the text
   * waiting for the compressor is counted at 3 UTF-8 bytes per UTF-16 unit. The lines of a retried
   * batch have the same lengths (p_parse_time has a fixed width), so the bound is the same too.
   */
  get held(): number {
    const input = this.uncompressedBytes + 3 * this.#text.length
    // Members ended so far, and the one begun (if any).
    const output = input + (input >> DEFLATE_GROWTH_SHIFT) + MEMBER_BYTES * (this.#members + 1)
    return this.#object.holdsAtMost(output, this.#suspended())
  }

  /** Appends one event as its NDJSON line. */
  write(event: CheckedEvent): Promise<void> {
    return this.writeLine(event.json)
  }

  /** Appends one line: a JSON text without a raw newline (JSON.stringify never makes one). */
  async writeLine(line: string): Promise<void> {
    this.#check()
    if (line.includes('\n')) throw new TypeError('GzipNdjsonWriter: a line must not contain "\\n"')
    this.#text += line + '\n'
    this.lines++
    if (this.#text.length >= FLUSH_CHARS) {
      if (!this.#gzip) this.#startMember()
      await this.#flush()
    }
  }

  /**
   * Finishes the gzip member and releases its compressor; the object stays open and the next
   * line begins a new member in it. Nothing to do when no line came since the last one.
   */
  async suspend(): Promise<void> {
    this.#check()
    if (this.#suspended()) return
    try {
      await this.#endMember()
    } catch (err) {
      this.#done = true
      this.#failure ??= err
      await this.#tearDown(err)
      throw this.#failure
    }
  }

  /** Flushes, finishes the gzip stream and stores the object. */
  async close(): Promise<GzipNdjsonWriterResult> {
    this.#check()
    this.#done = true
    try {
      // An object of no lines is still a gzip stream: one empty member.
      if (!this.#suspended() || this.#object.bytes === 0) await this.#endMember()
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

  #suspended(): boolean {
    return this.#gzip === undefined && this.#text === ''
  }

  #startMember(): void {
    const gzip = createGzip({ level: this.#level })
    this.#gzip = gzip
    this.#pump = this.#runPump(gzip)
    // A failed pump is reported by the calls that follow, never as an unhandled rejection.
    this.#pump.catch(() => {})
  }

  // Once this resolves every byte of the member is in the object writer and no compressor is left.
  async #endMember(): Promise<void> {
    this.#members++
    if (this.#gzip) {
      await this.#flush()
      this.#gzip.end()
      await this.#pump
      this.#gzip = undefined
      this.#pump = undefined
    } else {
      const { head, rest, buffer } = encodeText(this.#text)
      this.#text = ''
      const bytes = rest ? concatBytes([head, rest]) : head
      this.uncompressedBytes += bytes.byteLength
      // Output room of about the input (zlib grows it if need be), not 16 KiB for a line or two:
      // the buffer is garbage as soon as the object writer has copied it.
      const chunkSize = Math.min(ONE_SHOT_MAX_CHUNK, Math.max(ONE_SHOT_MIN_CHUNK, bytes.byteLength + MEMBER_BYTES))
      const compressed = gzipSync(bytes, { level: this.#level, chunkSize })
      encodeBuffers.give(buffer)
      await this.#object.write(compressed)
    }
    this.#object.trim()
  }

  async #flush(): Promise<void> {
    if (this.#text === '') return
    const gzip = this.#gzip!
    const { head, rest, buffer } = encodeText(this.#text)
    this.#text = ''
    this.uncompressedBytes += head.byteLength + (rest?.byteLength ?? 0)
    // zlib's output is the same whichever way its input is cut into writes. The buffer goes back
    // to the pool once zlib has read it, or once it was torn down (it then reads nothing more).
    let accepted = gzip.write(head, () => encodeBuffers.give(buffer))
    if (rest) accepted = gzip.write(rest)
    // false: zlib holds input it has not compressed yet. It compresses only while its output has
    // room, and the pump takes output only as fast as S3 takes parts, so waiting here is the
    // backpressure of uploads.
    if (!accepted) await this.#drained(gzip)
  }

  // Resolves once zlib has taken the input it holds; throws once the compressor is torn down.
  async #drained(gzip: Gzip): Promise<void> {
    if (!gzip.destroyed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          gzip.off('drain', done)
          gzip.off('close', done)
          resolve()
        }
        gzip.on('drain', done)
        gzip.on('close', done)
      })
    }
    // Torn down by a failed pump, which records why before it settles, or by abort(), which
    // records it first.
    if (gzip.destroyed) await this.#pump?.catch(() => {})
    this.#throwIfFailed()
  }

  async #runPump(gzip: Gzip): Promise<void> {
    try {
      for await (const chunk of gzip) await this.#object.write(chunk)
    } catch (err) {
      this.#failure ??= err
      // Unblocks a writeLine() waiting in #drained(): destroying emits 'close'.
      gzip.destroy()
      throw err
    }
  }

  async #tearDown(reason: unknown): Promise<void> {
    this.#text = ''
    this.#gzip?.destroy()
    // Before waiting for the pump: it cancels the upload the pump may be waiting on.
    await this.#object.abort(reason)
    await this.#pump?.catch(() => {})
  }
}
