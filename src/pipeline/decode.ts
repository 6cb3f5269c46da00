import { BodyTooLargeError, SourceReadError, UndecodableBodyError } from './errors'

const GZIP_MAGIC = [0x1f, 0x8b] as const

export interface DecodeOptions {
  maxDecompressedBytes: number
  /**
   * Feed the decompressor only as output is read. Costs time per read, so it is for sources
   * that are not already in memory (a staged body read back from S3).
   */
  paced?: boolean
}

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
 * Gunzip that takes input only as output is needed. workerd's DecompressionStream accepts every
 * write at once, so piping a long source into it would queue the whole compressed body in memory.
 * Here a new input chunk is written only when a read has been waiting across a timer tick with no
 * output; one shared tick serves many reads, so reads answered from queued output cost no timer.
 */
function gunzipPaced(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const gunzip = new DecompressionStream('gzip')
  const input = gunzip.writable.getWriter()
  const output = gunzip.readable.getReader()
  const sourceReader = source.getReader()
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined
  let inputDone = false
  let tick: Promise<undefined> | undefined
  const nextTick = (): Promise<undefined> => {
    tick ??= new Promise((resolve) =>
      setTimeout(() => {
        tick = undefined
        resolve(undefined)
      }, 0),
    )
    return tick
  }
  // Rejections surface through `output`; this keeps them from being reported as unhandled.
  const quiet = (p: Promise<unknown>) => void p.catch(() => undefined)
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let idleTicks = 0
      for (;;) {
        if (pending === undefined) {
          pending = output.read()
          quiet(pending)
        }
        // A tick passed with no output: the decompressor has nothing left to work on.
        const ready = inputDone || idleTicks < 1 ? await Promise.race([pending, inputDone ? pending : nextTick()]) : undefined
        if (ready !== undefined) {
          pending = undefined
          if (ready.done) controller.close()
          else controller.enqueue(ready.value)
          return
        }
        if (idleTicks < 1) {
          idleTicks++
          continue
        }
        idleTicks = 0
        const next = await sourceReader.read()
        if (next.done) {
          inputDone = true
          quiet(input.close())
        } else {
          quiet(input.write(next.value))
        }
      }
    },
    cancel(reason) {
      quiet(output.cancel(reason))
      return sourceReader.cancel(reason)
    },
  })
}

/**
 * Bytes of a Logpush body -> its NDJSON bytes. Gzip is recognised by its magic bytes, never by
 * Content-Type. The decompressed size is capped while streaming, so a gzip bomb stops early.
 * Errors surface as BodyTooLargeError, UndecodableBodyError or SourceReadError.
 * @example const ndjson = await decodeBody(request.body, { maxDecompressedBytes: 1 << 30, paced: true }, stats)
 */
export async function decodeBody(
  body: ReadableStream<Uint8Array>,
  options: DecodeOptions,
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
  const decoded = !stats.gzip ? source : options.paced ? gunzipPaced(source) : source.pipeThrough(new DecompressionStream('gzip'))
  const decodedReader = decoded.getReader()
  const max = options.maxDecompressedBytes
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
