import { createGunzip } from 'node:zlib'
import { BodyTooLargeError, SourceReadError, UndecodableBodyError } from './errors'

const GZIP_MAGIC = [0x1f, 0x8b] as const
// zlib's output comes in pieces of this size. Its stream holds one piece ahead of the reader and
// stops inflating until that piece is read, so a gzip bomb stops within one piece of the cap and
// compressed input is taken only as fast as the reader takes output.
const OUTPUT_CHUNK_BYTES = 65536

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

/**
 * Gzip bytes -> decompressed bytes, every member (RFC 1952, 2.2): node:zlib's gunzip starts on the
 * next member where one ends and fails on bytes there that start none. Bytes after a member that
 * begin with NUL it leaves unread, as padding; here they make the body undecodable like any other
 * bytes that are not a member, which shows as zlib having read fewer bytes than it was given.
 */
function gunzip(head: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>, max: number, stats: DecodeStats): ReadableStream<Uint8Array> {
  const inflate = createGunzip({ chunkSize: OUTPUT_CHUNK_BYTES })
  let given = 0
  let failure: unknown
  let wakeReader: (() => void) | undefined
  const wake = () => {
    wakeReader?.()
    wakeReader = undefined
  }
  const stop = (reason: unknown) => {
    failure ??= reason
    inflate.destroy()
    // Cancelling a source that has failed meanwhile rejects: that is no news here.
    reader.cancel(reason).catch(() => {})
    wake()
  }
  inflate.on('readable', wake)
  inflate.on('end', wake)
  inflate.on('error', (err) => stop(new UndecodableBodyError(`body is not valid gzip: ${err.message}`)))

  // One chunk at a time, each once zlib has taken all of it (the write's callback), not as far as
  // the stream's buffer would hold: a small chunk of a bomb inflates to a lot.
  const give = (chunk: Uint8Array) =>
    new Promise<void>((resolve) => {
      if (failure !== undefined) return resolve()
      given += chunk.byteLength
      // A torn-down stream may never call back.
      const done = () => {
        inflate.off('close', done)
        resolve()
      }
      inflate.on('close', done)
      inflate.write(chunk, done)
    })
  const feed = async () => {
    for (const chunk of head) await give(chunk)
    while (failure === undefined) {
      let result: ReadableStreamReadResult<Uint8Array>
      try {
        result = await reader.read()
      } catch (err) {
        throw new SourceReadError(err)
      }
      if (result.done) {
        if (failure === undefined) inflate.end()
        return
      }
      await give(result.value)
    }
  }
  feed().catch(stop)

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (failure !== undefined) throw failure
        const chunk = inflate.read() as Uint8Array | null
        if (chunk !== null) {
          stats.decompressedBytes += chunk.byteLength
          if (stats.decompressedBytes > max) {
            stop(new BodyTooLargeError('MAX_DECOMPRESSED_BYTES', max))
            continue
          }
          controller.enqueue(chunk)
          return
        }
        if (inflate.readableEnded) {
          if (inflate.bytesWritten < given) {
            stop(new UndecodableBodyError('body is not valid gzip: bytes after a member do not start another'))
            continue
          }
          controller.close()
          return
        }
        await new Promise<void>((resolve) => (wakeReader = resolve))
      }
    },
    cancel(reason) {
      stop(reason ?? new Error('cancelled'))
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
  if (stats.gzip) return gunzip(head, reader, max, stats)
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
