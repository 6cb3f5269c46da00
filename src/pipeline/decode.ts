import { BodyTooLargeError, SourceReadError, UndecodableBodyError } from './errors'

const GZIP_MAGIC = [0x1f, 0x8b] as const

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
 * Bytes of a Logpush body -> its NDJSON bytes. Gzip is recognised by its magic bytes, never by
 * Content-Type. The decompressed size is capped while streaming, so a gzip bomb stops early.
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
  const source = replay(head, reader)
  const decoded = stats.gzip ? source.pipeThrough(new DecompressionStream('gzip')) : source
  const decodedReader = decoded.getReader()
  const max = limits.maxDecompressedBytes
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>
      try {
        result = await decodedReader.read()
      } catch (err) {
        if (err instanceof SourceReadError) throw err
        throw new UndecodableBodyError(`body is not valid gzip: ${err instanceof Error ? err.message : String(err)}`)
      }
      if (result.done) {
        controller.close()
        return
      }
      stats.decompressedBytes += result.value.byteLength
      if (stats.decompressedBytes > max) {
        void decodedReader.cancel()
        throw new BodyTooLargeError('MAX_DECOMPRESSED_BYTES', max)
      }
      controller.enqueue(result.value)
    },
    cancel(reason) {
      return decodedReader.cancel(reason)
    },
  })
}
