import { BodyTooLargeError, SourceReadError } from '../pipeline/errors'

/** Bytes written to one object, in order; nothing is visible before `close` resolves. */
export interface ByteWriter {
  write(chunk: Uint8Array): Promise<void>
  close(): Promise<unknown>
  abort(): Promise<void>
}

export interface SpillStore {
  key(): string
  open(key: string): ByteWriter
  read(key: string): Promise<ReadableStream<Uint8Array>>
  remove(key: string): Promise<void>
}

export interface SpooledBody {
  /** Hex content hash of the body (and of the seed, the dataset name): the batch id. */
  hash: string
  bytes: number
  /** True when the body was staged in the bucket rather than kept in memory. */
  staged: boolean
  /** The body again, from memory or from its staged copy. */
  open(): Promise<ReadableStream<Uint8Array>>
  discard(): Promise<void>
}

export interface SpoolOptions {
  seed: string
  maxBodyBytes: number
  /** Bodies up to this size stay in memory; larger ones are staged in the bucket. */
  memoryBytes: number
  hashHexChars: number
  spill: SpillStore
  /**
   * The body again, for a body that is stored already (the S3 endpoint's staged parts): the
   * spool then only hashes it, holding and staging nothing, and `open` reads it from there.
   */
  reopen?: () => ReadableStream<Uint8Array>
}

/**
 * The batch id's hash as a body passes: SHA-256 of the seed's line, then the body. Both reads of a
 * body hash it with this, so that they agree by construction.
 */
function batchHasher(options: SpoolOptions): { write(chunk: Uint8Array): Promise<void>; finish(): Promise<string> } {
  const digest = new crypto.DigestStream('SHA-256')
  const writer = digest.getWriter()
  const seeded = writer.write(new TextEncoder().encode(`${options.seed}\n`))
  return {
    write: async (chunk) => {
      await seeded
      await writer.write(chunk)
    },
    finish: async () => {
      await seeded
      await writer.close()
      return hex(await digest.digest, options.hashHexChars)
    },
  }
}

function hex(buffer: ArrayBuffer, chars: number): string {
  let out = ''
  for (const b of new Uint8Array(buffer)) out += b.toString(16).padStart(2, '0')
  return out.slice(0, chars)
}

function streamOfChunks(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!)
      else controller.close()
    },
  })
}

/**
 * A body read a second time, failing the read if it is not the body that was hashed: the batch id
 * names those bytes, and a retry finds what the batch stored by it. (A client may re-send a part
 * of an upload it is completing.) Past `bytes` it fails at once, so it never reads more than that.
 */
function checkedAgainst(body: ReadableStream<Uint8Array>, options: SpoolOptions, hash: string, bytes: number): ReadableStream<Uint8Array> {
  const hasher = batchHasher(options)
  let read = 0
  const changed = () => new Error('the body changed between the read that named the batch and the read that runs it')
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        read += chunk.byteLength
        if (read > bytes) throw changed()
        await hasher.write(chunk)
        controller.enqueue(chunk)
      },
      async flush() {
        if ((await hasher.finish()) !== hash || read !== bytes) throw changed()
      },
    }),
  )
}

/**
 * Reads a request body once, hashing it as it passes, so the batch id (and so every object key
 * and row id) is known before the first event is written. Small bodies stay in memory; a body
 * over `memoryBytes` is staged in the bucket and read back, so memory stays flat. A body that can
 * be read again (`reopen`) is only hashed: a copy of it would cost its size in storage calls.
 * @example const body = await spoolBody(request.body, { seed: 'http_requests', ... })
 */
export async function spoolBody(body: ReadableStream<Uint8Array>, options: SpoolOptions): Promise<SpooledBody> {
  const hasher = batchHasher(options)
  const held: Uint8Array[] = []
  let bytes = 0
  let spillKey: string | undefined
  let spill: ByteWriter | undefined
  const reader = body.getReader()
  let hash: string
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>
      try {
        result = await reader.read()
      } catch (err) {
        throw new SourceReadError(err)
      }
      if (result.done) break
      const chunk = result.value
      bytes += chunk.byteLength
      if (bytes > options.maxBodyBytes) {
        // Cancelling a body whose sender has gone meanwhile rejects: that is no news here.
        reader.cancel().catch(() => {})
        throw new BodyTooLargeError('MAX_BODY_BYTES', options.maxBodyBytes)
      }
      await hasher.write(chunk)
      if (options.reopen) continue
      if (spill) {
        await spill.write(chunk)
      } else {
        held.push(chunk)
        if (bytes > options.memoryBytes) {
          spillKey = options.spill.key()
          spill = options.spill.open(spillKey)
          for (const c of held) await spill.write(c)
          held.length = 0
        }
      }
    }
    hash = await hasher.finish()
    if (spill) await spill.close()
  } catch (err) {
    if (spill) {
      await spill.abort()
      // A PUT whose answer was lost may have stored the copy all the same.
      await options.spill.remove(spillKey as string).catch(() => undefined)
    }
    throw err
  }
  const staged = spillKey
  return {
    hash,
    bytes,
    staged: staged !== undefined,
    open: async () => {
      if (options.reopen) return checkedAgainst(options.reopen(), options, hash, bytes)
      return staged === undefined ? streamOfChunks(held) : options.spill.read(staged)
    },
    discard: async () => {
      held.length = 0
      if (staged !== undefined) await options.spill.remove(staged)
    },
  }
}
