import { BodyTooLargeError, SourceReadError, UndecodableBodyError } from './errors'

const GZIP_MAGIC = [0x1f, 0x8b] as const
const GZIP_CM_DEFLATE = 8
const GZIP_FLG_RESERVED = 0xe0
const GZIP_HEADER_BYTES = 10
// The smallest gzip member: a 10-byte header, an empty deflate block (2 bytes), an 8-byte trailer.
const MIN_MEMBER_BYTES = 20
// Bytes after a possible member start that a fresh decompressor must accept (see gunzipMembers).
const PROBE_BYTES = 4096
// Flow control: DecompressionStream (in workerd) inflates all that is written at once and has no
// backpressure, so writes are sized to make about TARGET_WRITE_OUTPUT each (deflate expands up to
// ~1032x), and the next one waits until the output of the last has been handed over and less than
// HIGH_WATER_BYTES waits for the reader. A gzip bomb so stops within one write of the cap.
// HIGH_WATER_BYTES is one write's output: the reader (parse) is far slower than inflate, so more
// ahead buys no speed, only native memory (in Node, 16 KiB zlib output buffers from malloc).
const FIRST_WRITE_BYTES = 4096
const MIN_WRITE_BYTES = 256
const MAX_WRITE_BYTES = 65536
const TARGET_WRITE_OUTPUT = 1 << 20
const READ_BYTES = 65536
const HIGH_WATER_BYTES = 1 << 20

export interface DecodeStats {
  gzip: boolean
  decompressedBytes: number
}

/** Reads until at least `n` bytes are in hand: a first chunk may be a single byte. */
async function readHead(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = []
  let have = 0
  while (have < n) {
    const { done, value } = await reader.read()
    if (done) break
    if (value.byteLength === 0) continue
    chunks.push(value)
    have += value.byteLength
  }
  return chunks
}

function startsWithGzipMagic(chunks: Uint8Array[]): boolean {
  const first = chunks[0]
  if (!first) return false
  const second = first.byteLength > 1 ? first[1] : chunks[1]?.[0]
  return first[0] === GZIP_MAGIC[0] && second === GZIP_MAGIC[1]
}

/** The head chunks again, then the rest of the reader; source failures are tagged as such. */
function replay(head: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < head.length) {
        controller.enqueue(head[i++]!)
        return
      }
      let result: ReadableStreamReadResult<Uint8Array>
      try {
        result = await reader.read()
      } catch (err) {
        throw new SourceReadError(err)
      }
      if (result.done) controller.close()
      else controller.enqueue(result.value)
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
}

/** The compressed bytes with look-ahead: `fill` reads from the source until enough are buffered. */
class ByteSource {
  private chunks: Uint8Array[]
  private buffered: number
  ended = false

  constructor(
    head: Uint8Array[],
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
  ) {
    this.chunks = head
    this.buffered = head.reduce((n, c) => n + c.byteLength, 0)
  }

  get size(): number {
    return this.buffered
  }

  /** The first buffered chunk (empty when nothing is buffered). */
  get head(): Uint8Array {
    return this.chunks[0] ?? new Uint8Array(0)
  }

  async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.ended) {
      let result: ReadableStreamReadResult<Uint8Array>
      try {
        result = await this.reader.read()
      } catch (err) {
        throw new SourceReadError(err)
      }
      if (result.done) this.ended = true
      else if (result.value.byteLength > 0) {
        this.chunks.push(result.value)
        this.buffered += result.value.byteLength
      }
    }
  }

  /** A copy of the first `n` buffered bytes (fewer when fewer are buffered). */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.buffered))
    let at = 0
    for (const c of this.chunks) {
      if (at === out.byteLength) break
      const part = c.subarray(0, out.byteLength - at)
      out.set(part, at)
      at += part.byteLength
    }
    return out
  }

  /** Removes and returns up to `n` bytes of the first chunk. */
  take(n: number): Uint8Array {
    const first = this.chunks[0]!
    if (n >= first.byteLength) {
      this.chunks.shift()
      this.buffered -= first.byteLength
      return first
    }
    this.chunks[0] = first.subarray(n)
    this.buffered -= n
    return first.subarray(0, n)
  }

  cancel(reason: unknown): void {
    this.reader.cancel(reason).catch(() => {})
  }
}

function looksLikeGzipHeader(b: Uint8Array): boolean {
  return b.byteLength >= GZIP_HEADER_BYTES && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1] && b[2] === GZIP_CM_DEFLATE && (b[3]! & GZIP_FLG_RESERVED) === 0
}

/** Index of the first byte at or after `from` that may start a gzip header, or -1. */
function nextCandidate(b: Uint8Array, from: number): number {
  for (let i = b.indexOf(GZIP_MAGIC[0], from); i >= 0; i = b.indexOf(GZIP_MAGIC[0], i + 1)) {
    // A header cut by the end of the chunk is a candidate too; the caller looks further.
    if (i + 1 >= b.byteLength || (b[i + 1] === GZIP_MAGIC[1] && (i + 2 >= b.byteLength || b[i + 2] === GZIP_CM_DEFLATE))) return i
  }
  return -1
}

/** Whether a fresh decompressor accepts `bytes` as the start of a gzip member. */
async function acceptsAsMemberStart(bytes: Uint8Array): Promise<boolean> {
  const ds = new DecompressionStream('gzip')
  const writer = ds.writable.getWriter()
  const reader = ds.readable.getReader()
  const drained = (async () => {
    for (;;) if ((await reader.read()).done) return
  })().catch(() => {})
  let ok: boolean
  try {
    await writer.write(bytes)
    ok = true
  } catch {
    ok = false
  }
  writer.abort().catch(() => {})
  reader.cancel().catch(() => {})
  await drained
  return ok
}

/**
 * One gzip member going through its own DecompressionStream. `write` resolves once the output of
 * the write has been handed to `onOutput` (as far as the runtime lets that be known, see below).
 */
class Member {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>
  private readonly byob: ReadableStreamBYOBReader | undefined
  private readonly pumped: Promise<void> | undefined
  // With a BYOB reader one read is always outstanding; these describe the last one.
  private pending: Promise<void> = Promise.resolve()
  private settled = false
  private full = false
  private ended = false
  private failure: unknown

  constructor(private readonly onOutput: (chunk: Uint8Array) => void) {
    const ds = new DecompressionStream('gzip')
    this.writer = ds.writable.getWriter()
    try {
      this.byob = ds.readable.getReader({ mode: 'byob' })
    } catch {
      // Node: no byte stream here, but its DecompressionStream applies backpressure itself.
      const reader = ds.readable.getReader()
      this.pumped = (async () => {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return
          onOutput(value)
        }
      })()
      this.pumped.catch(() => {}) // reported through write() or finish()
      return
    }
    this.readNext()
  }

  private readNext(): void {
    this.settled = false
    this.pending = this.byob!.read(new Uint8Array(READ_BYTES)).then(
      ({ done, value }) => {
        this.settled = true
        if (done || !value) {
          this.ended = true
          return
        }
        this.full = value.byteLength === READ_BYTES
        // A short read holds on to a whole READ_BYTES buffer: copy it out.
        this.onOutput(value.byteLength < READ_BYTES / 2 ? value.slice() : value)
      },
      (err: unknown) => {
        this.settled = true
        this.failure = err
      },
    )
  }

  async write(bytes: Uint8Array): Promise<void> {
    await this.writer.write(bytes)
    if (!this.byob) return
    // Hand over what the write made before writing more. The outstanding read is filled during the
    // write (workerd settles it before the write). A full read may have left more behind, which a
    // new read takes on the next turn of the event loop; a zero timer ends that wait when the
    // decompressor held exactly a full read. Should a runtime settle reads later than this,
    // nothing is lost: output only waits longer in the decompressor.
    while (this.settled) {
      if (this.failure !== undefined) throw this.failure
      const more = this.full
      this.readNext()
      if (!more) return
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([this.pending, new Promise<void>((resolve) => (timer = setTimeout(resolve, 0)))])
      if (timer !== undefined) clearTimeout(timer)
    }
  }

  /** Ends the member; resolves once all of its output has been handed over. */
  async finish(): Promise<void> {
    await this.writer.close()
    if (!this.byob) {
      await this.pumped
      return
    }
    for (;;) {
      await this.pending
      if (this.failure !== undefined) throw this.failure
      if (this.ended) return
      this.readNext()
    }
  }

  abort(reason: unknown): void {
    this.writer.abort(reason).catch(() => {})
  }
}

/**
 * Gzip bytes -> decompressed bytes, all members. A gzip body may hold several members back to back
 * (RFC 1952, 2.2). workerd's DecompressionStream decodes one member and fails on the bytes after it,
 * and no DecompressionStream tells where a member ended, so each member gets its own decompressor
 * and the boundaries are found here: a member starts where the bytes look like a gzip header and a
 * fresh decompressor accepts the bytes that follow (inside a member, such bytes are compressed data,
 * which a decompressor rejects within a few bytes). The previous member is then ended; it must end
 * cleanly there, or the body is undecodable.
 */
function gunzipMembers(source: ByteSource, max: number, stats: DecodeStats): ReadableStream<Uint8Array> {
  const queue: Uint8Array[] = []
  let queued = 0
  let failure: unknown
  let finished = false
  let wakeReader: (() => void) | undefined
  let wakeWriter: (() => void) | undefined
  const wake = () => {
    wakeReader?.()
    wakeReader = undefined
  }

  const onOutput = (chunk: Uint8Array) => {
    if (failure !== undefined) return
    stats.decompressedBytes += chunk.byteLength
    if (stats.decompressedBytes > max) {
      failure = new BodyTooLargeError('MAX_DECOMPRESSED_BYTES', max)
    } else {
      queue.push(chunk)
      queued += chunk.byteLength
    }
    wake()
  }

  const feed = async (): Promise<void> => {
    let member = new Member(onOutput)
    let memberStart = 0
    let pos = 0
    const writeSize = () => {
      if (stats.decompressedBytes === 0) return FIRST_WRITE_BYTES
      const ratio = stats.decompressedBytes / Math.max(1, pos)
      return Math.max(MIN_WRITE_BYTES, Math.min(MAX_WRITE_BYTES, Math.floor(TARGET_WRITE_OUTPUT / ratio)))
    }
    try {
      for (;;) {
        while (queued > HIGH_WATER_BYTES && failure === undefined) await new Promise<void>((r) => (wakeWriter = r))
        if (failure !== undefined) throw failure
        await source.fill(1)
        if (source.size === 0) break
        const head = source.head
        const from = Math.max(0, memberStart + MIN_MEMBER_BYTES - pos)
        const at = from < head.byteLength ? nextCandidate(head, from) : -1
        if (at !== 0) {
          const n = Math.min(at < 0 ? head.byteLength : at, writeSize())
          pos += n
          await member.write(source.take(n))
          continue
        }
        // The next byte may start a member: look at its header and the bytes after it.
        await source.fill(PROBE_BYTES)
        const ahead = source.peek(PROBE_BYTES)
        if (looksLikeGzipHeader(ahead)) {
          const next = nextCandidate(ahead, MIN_MEMBER_BYTES)
          if (await acceptsAsMemberStart(next < 0 ? ahead : ahead.subarray(0, next))) {
            await member.finish()
            member = new Member(onOutput)
            memberStart = pos
          }
        }
        pos += 1
        await member.write(source.take(1))
      }
      await member.finish()
    } catch (err) {
      member.abort(err)
      source.cancel(err)
      throw err
    }
  }

  feed().then(
    () => {
      finished = true
      wake()
    },
    (err: unknown) => {
      if (failure === undefined) {
        failure = err instanceof SourceReadError || err instanceof BodyTooLargeError ? err : new UndecodableBodyError(`body is not valid gzip: ${err instanceof Error ? err.message : String(err)}`)
      }
      wake()
    },
  )

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (failure !== undefined) throw failure
        const chunk = queue.shift()
        if (chunk) {
          queued -= chunk.byteLength
          if (queued <= HIGH_WATER_BYTES && wakeWriter) {
            wakeWriter()
            wakeWriter = undefined
          }
          controller.enqueue(chunk)
          return
        }
        if (finished) {
          controller.close()
          return
        }
        await new Promise<void>((r) => (wakeReader = r))
      }
    },
    cancel(reason) {
      failure ??= reason ?? new Error('cancelled')
      wakeWriter?.()
    },
  })
}

/**
 * Bytes of a Logpush body -> its NDJSON bytes. Gzip is recognised by its magic bytes, never by
 * Content-Type; every member of a multi-member gzip body is decoded. The decompressed size is
 * capped while streaming, so a gzip bomb stops early.
 * Errors surface as BodyTooLargeError, UndecodableBodyError or SourceReadError.
 * @example const ndjson = await decodeBody(request.body, { maxDecompressedBytes: 1 << 30 }, stats)
 */
export async function decodeBody(
  body: ReadableStream<Uint8Array>,
  limits: { maxDecompressedBytes: number },
  stats: DecodeStats,
): Promise<ReadableStream<Uint8Array>> {
  const reader = body.getReader()
  let head: Uint8Array[]
  try {
    head = await readHead(reader, GZIP_MAGIC.length)
  } catch (err) {
    throw new SourceReadError(err)
  }
  stats.gzip = startsWithGzipMagic(head)
  const max = limits.maxDecompressedBytes
  if (stats.gzip) return gunzipMembers(new ByteSource(head, reader), max, stats)
  const plainReader = replay(head, reader).getReader()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const result = await plainReader.read()
      if (result.done) {
        controller.close()
        return
      }
      stats.decompressedBytes += result.value.byteLength
      if (stats.decompressedBytes > max) {
        // Cancelling a source that has failed meanwhile rejects: that is no news here.
        plainReader.cancel().catch(() => {})
        throw new BodyTooLargeError('MAX_DECOMPRESSED_BYTES', max)
      }
      controller.enqueue(result.value)
    },
    cancel(reason) {
      return plainReader.cancel(reason)
    },
  })
}
