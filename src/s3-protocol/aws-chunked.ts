import { timingSafeEqual } from '../utils/timing-safe-equal'
import { EMPTY_SHA256, sha256Hex } from './sigv4'
import { concatBytes } from '../utils/bytes'

const PAYLOAD_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD'
const TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER'
const MAX_LINE = 4096
// Signed chunks are held until their signature is checked; senders use 8-64 KiB.
const DEFAULT_MAX_CHUNK = 16 * 1024 * 1024

export type AwsChunkedErrorCode = 'SignatureDoesNotMatch' | 'IncompleteBody' | 'InvalidRequest'

/** A body that is not valid aws-chunked, or a chunk whose signature does not verify. */
export class AwsChunkedError extends Error {
  override name = 'AwsChunkedError'
  constructor(
    readonly code: AwsChunkedErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export interface AwsChunkedSigning {
  amzDate: string
  scope: string
  /** The request's own signature: the first chunk's "previous signature". */
  seedSignature: string
  sign(stringToSign: string): Promise<string>
}

export interface AwsChunkedOptions {
  /** Given for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: every chunk's signature is checked. */
  signing?: AwsChunkedSigning
  /** Trailing headers follow the last chunk (the *-TRAILER modes); signed when `signing` is. */
  trailer: boolean
  maxChunkBytes?: number
}

export interface AwsChunkedDecoder {
  stream: TransformStream<Uint8Array, Uint8Array>
  /** Trailing headers by lower-case name, once the body has been read to its end. */
  trailers: Promise<Map<string, string>>
}

type State = 'header' | 'data' | 'data-end' | 'trailer' | 'done'

/**
 * Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0...\r\n
 * [trailers]\r\n`) into the object's bytes, checking chunk and trailer signatures as it goes.
 * @example body.pipeThrough(awsChunkedDecoder({ trailer: true }).stream)
 */
export function awsChunkedDecoder(options: AwsChunkedOptions): AwsChunkedDecoder {
  const { signing, trailer } = options
  const maxChunk = options.maxChunkBytes ?? DEFAULT_MAX_CHUNK
  let state: State = 'header'
  let line = ''
  let remaining = 0
  let chunkSignature = ''
  let previousSignature = signing?.seedSignature ?? ''
  let held: Uint8Array[] = []
  const trailers = new Map<string, string>()
  let trailerSignature: string | undefined
  let resolveTrailers!: (value: Map<string, string>) => void
  let rejectTrailers!: (reason: unknown) => void
  const trailersDone = new Promise<Map<string, string>>((resolve, reject) => {
    resolveTrailers = resolve
    rejectTrailers = reject
  })
  // A caller that never awaits the trailers must not see an unhandled rejection.
  trailersDone.catch(() => {})

  const fail = (code: AwsChunkedErrorCode, message: string): never => {
    const error = new AwsChunkedError(code, message)
    rejectTrailers(error)
    throw error
  }

  const verifyChunk = async (data: Uint8Array[]) => {
    if (!signing) return
    const bytes = concatBytes(data)
    const stringToSign = [
      PAYLOAD_ALGORITHM,
      signing.amzDate,
      signing.scope,
      previousSignature,
      EMPTY_SHA256,
      bytes.length ? await sha256Hex(bytes) : EMPTY_SHA256,
    ].join('\n')
    const expected = await signing.sign(stringToSign)
    if (!(await timingSafeEqual(expected, chunkSignature))) {
      fail('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.')
    }
    previousSignature = chunkSignature
  }

  const onLine = async (text: string) => {
    if (state === 'data-end') {
      if (text !== '') fail('IncompleteBody', 'aws-chunked: a chunk is longer than its declared size')
      state = 'header'
      return
    }
    if (state === 'trailer') {
      if (text === '') {
        await finishTrailers()
        state = 'done'
        return
      }
      const colon = text.indexOf(':')
      if (colon <= 0) fail('InvalidRequest', 'aws-chunked: malformed trailing header')
      const name = text.slice(0, colon).trim().toLowerCase()
      const value = text.slice(colon + 1).trim()
      if (name === 'x-amz-trailer-signature') trailerSignature = value
      else trailers.set(name, value)
      return
    }
    // state === 'header'
    const [sizeText = '', ...extensions] = text.split(';')
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText.trim())) fail('InvalidRequest', 'aws-chunked: malformed chunk header')
    const size = Number.parseInt(sizeText.trim(), 16)
    chunkSignature = ''
    for (const extension of extensions) {
      const [key, value] = extension.split('=')
      if (key?.trim() === 'chunk-signature') chunkSignature = (value ?? '').trim()
    }
    if (signing && !chunkSignature) fail('SignatureDoesNotMatch', 'aws-chunked: a chunk has no chunk-signature')
    if (signing && size > maxChunk) fail('InvalidRequest', `aws-chunked: signed chunks are limited to ${maxChunk} bytes`)
    if (size === 0) {
      await verifyChunk([])
      // Trailing headers (if any) follow, then an empty line ends the body.
      state = 'trailer'
      return
    }
    remaining = size
    held = []
    state = 'data'
  }

  const finishTrailers = async () => {
    if (signing && trailer) {
      if (!trailerSignature) fail('SignatureDoesNotMatch', 'aws-chunked: the trailer has no x-amz-trailer-signature')
      let canonical = ''
      for (const [name, value] of trailers) canonical += `${name}:${value}\n`
      const stringToSign = [TRAILER_ALGORITHM, signing.amzDate, signing.scope, previousSignature, await sha256Hex(canonical)].join('\n')
      const expected = await signing.sign(stringToSign)
      if (!(await timingSafeEqual(expected, trailerSignature ?? ''))) {
        fail('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.')
      }
    }
    if (!trailer && trailers.size > 0) fail('InvalidRequest', 'aws-chunked: trailing headers were not declared in x-amz-trailer')
    resolveTrailers(trailers)
  }

  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      let i = 0
      while (i < chunk.length) {
        if (state === 'done') fail('InvalidRequest', 'aws-chunked: bytes after the final chunk')
        if (state === 'data') {
          const n = Math.min(remaining, chunk.length - i)
          const piece = chunk.subarray(i, i + n)
          i += n
          remaining -= n
          if (signing) held.push(piece.slice())
          else controller.enqueue(piece)
          if (remaining === 0) {
            if (signing) {
              await verifyChunk(held)
              for (const data of held) controller.enqueue(data)
              held = []
            }
            state = 'data-end'
          }
          continue
        }
        const newline = chunk.indexOf(0x0a, i)
        const end = newline < 0 ? chunk.length : newline
        line += latin1(chunk.subarray(i, end))
        if (line.length > MAX_LINE) fail('InvalidRequest', 'aws-chunked: header line too long')
        i = end
        if (newline < 0) continue
        i += 1
        const text = line.endsWith('\r') ? line.slice(0, -1) : line
        line = ''
        await onLine(text)
      }
    },
    flush() {
      if (state !== 'done') fail('IncompleteBody', 'You did not provide the number of bytes specified by the aws-chunked encoding')
    },
  })
  return { stream, trailers: trailersDone }
}

function latin1(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return text
}
