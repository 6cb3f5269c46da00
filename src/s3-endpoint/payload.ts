import { AwsChunkedError, awsChunkedDecoder } from '../s3-protocol/aws-chunked'
import type { ChecksumAlgorithm } from '../s3-protocol/checksums'
import { CHECKSUM_ALGORITHMS, createChecksum, streamingDigest, toBase64 } from '../s3-protocol/checksums'
import type { SigV4Verified } from '../s3-protocol/sigv4'
import { toHex, UNSIGNED_PAYLOAD } from '../s3-protocol/sigv4'
import { S3XmlError } from './errors'

const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
const STREAMING_SIGV4A = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD'
const HEX_SHA256 = /^[0-9a-f]{64}$/

export interface PayloadDigest {
  /** Hex MD5 of the object's bytes: S3's ETag for a single-part object. */
  md5: string
  bytes: number
  /** The flexible checksum the client sent and we verified, to echo as S3 does. */
  checksum?: { header: string; value: string }
}

export interface Payload {
  /**
   * The object's bytes, decoded from aws-chunked if need be. The last chunk is held back until
   * every check passed; if one fails, the stream errors instead.
   */
  body: ReadableStream<Uint8Array>
  /** The object's size as the client declared it. */
  length: number
  /** Settles once the body has been read to its end: resolves only if every check passed. */
  done: Promise<PayloadDigest>
  /** The check that failed, if any, whatever a consumer of `body` made of the stream error. */
  failure(): S3XmlError | undefined
  /** What `done` resolves to, once it has: a consumer that read `body` to its end can ask at once. */
  digest(): PayloadDigest | undefined
}

export interface PayloadOptions {
  maxBytes: number
}

/**
 * Opens a verified request's body as the object's bytes, checking as they stream what the
 * signature could not: `x-amz-content-sha256` (hex), aws-chunked chunk signatures, flexible
 * checksums (`x-amz-checksum-*`, header or trailer), Content-MD5, the declared length and the
 * size cap. Nothing is buffered beyond one signed chunk.
 * @example const payload = openPayload(c.req.raw, verified, { maxBytes })
 */
export function openPayload(request: Request, verified: SigV4Verified, options: PayloadOptions): Payload {
  const headers = request.headers
  const mode = verified.payloadHash
  if (mode.startsWith(STREAMING_SIGV4A)) {
    throw new S3XmlError('NotImplemented', 'SigV4a streaming payloads (AWS4-ECDSA-P256-SHA256) are not supported')
  }
  const chunked = mode === STREAMING_UNSIGNED_TRAILER || mode === STREAMING_SIGNED || mode === STREAMING_SIGNED_TRAILER
  if (!chunked && mode !== UNSIGNED_PAYLOAD && !HEX_SHA256.test(mode)) {
    throw new S3XmlError(
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] or a hex SHA-256',
    )
  }

  const lengthText = chunked ? headers.get('x-amz-decoded-content-length') : headers.get('content-length')
  if (lengthText === null || !/^\d+$/.test(lengthText)) {
    throw new S3XmlError(
      'MissingContentLength',
      chunked ? 'aws-chunked uploads must send x-amz-decoded-content-length' : 'You must provide the Content-Length HTTP header.',
    )
  }
  const length = Number(lengthText)
  if (length > options.maxBytes) {
    throw new S3XmlError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${options.maxBytes} bytes`)
  }

  const checksum = flexibleChecksum(headers)
  const contentMd5 = headers.get('content-md5')
  let failure: S3XmlError | undefined
  const fail = (error: S3XmlError): never => {
    failure ??= error
    throw error
  }

  let source: ReadableStream<Uint8Array> = request.body ?? emptyStream()
  let trailers: Promise<Map<string, string>> | undefined
  if (chunked) {
    const decoder = awsChunkedDecoder({
      trailer: mode !== STREAMING_SIGNED,
      signing:
        mode === STREAMING_UNSIGNED_TRAILER
          ? undefined
          : { amzDate: verified.amzDate, scope: verified.scope, seedSignature: verified.signature, sign: verified.sign },
    })
    source = source.pipeThrough(decoder.stream)
    trailers = decoder.trailers
  }

  const md5 = streamingDigest('MD5')
  const sha256 = HEX_SHA256.test(mode) ? streamingDigest('SHA-256') : undefined
  const flexible = checksum ? createChecksum(checksum.algorithm) : undefined
  let bytes = 0
  let held: Uint8Array | undefined
  let result: PayloadDigest | undefined
  let resolveDone!: (digest: PayloadDigest) => void
  let rejectDone!: (reason: unknown) => void
  const done = new Promise<PayloadDigest>((resolve, reject) => {
    resolveDone = resolve
    rejectDone = reject
  })
  done.catch(() => {})

  const inspector = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      bytes += chunk.length
      if (bytes > length) {
        fail(
          bytes > options.maxBytes
            ? new S3XmlError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${options.maxBytes} bytes`)
            : new S3XmlError('IncompleteBody', 'The body is longer than its declared length'),
        )
      }
      await md5.update(chunk)
      await sha256?.update(chunk)
      await flexible?.update(chunk)
      if (held) controller.enqueue(held)
      held = chunk
    },
    async flush(controller) {
      if (bytes !== length) fail(new S3XmlError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header'))
      const md5Bytes = await md5.digest()
      if (sha256 && toHex(await sha256.digest()) !== mode) {
        fail(new S3XmlError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."))
      }
      if (contentMd5 !== null && contentMd5.trim() !== toBase64(md5Bytes)) {
        fail(new S3XmlError('BadDigest', 'The Content-MD5 you specified did not match what we received.'))
      }
      let echoed: PayloadDigest['checksum']
      if (checksum && flexible) {
        const expected = checksum.value ?? (await trailers)?.get(checksum.header)
        if (expected === undefined) fail(new S3XmlError('InvalidRequest', `${checksum.header} was declared but not sent`))
        const actual = toBase64(await flexible.digest())
        if (actual !== expected) {
          fail(new S3XmlError('BadDigest', `The ${checksum.algorithm.toUpperCase()} you specified did not match the calculated checksum.`))
        }
        echoed = { header: checksum.header, value: actual }
      }
      // Only now does the consumer get the last bytes: a store writing a fixed length cannot have
      // committed an object whose checks failed.
      if (held) controller.enqueue(held)
      result = { md5: toHex(md5Bytes), bytes, checksum: echoed }
      resolveDone(result)
    },
  })

  // Any failure (a check here, the aws-chunked decoder, the client going away) reaches the
  // consumer as an S3 error, and is recorded before the consumer sees it.
  const body = guard(source.pipeThrough(inspector), (error) => {
    const s3 = toS3XmlError(error)
    failure ??= s3
    rejectDone(s3)
    return s3
  })
  return { body, length, done, failure: () => failure, digest: () => result }
}

interface FlexibleChecksum {
  algorithm: ChecksumAlgorithm
  header: string
  /** From a header; undefined when it comes as a trailer. */
  value?: string
}

function flexibleChecksum(headers: Headers): FlexibleChecksum | undefined {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const header = `x-amz-checksum-${algorithm}`
    const value = headers.get(header)
    if (value !== null) return { algorithm, header, value: value.trim() }
  }
  const trailer = headers.get('x-amz-trailer')?.trim().toLowerCase()
  if (!trailer) return undefined
  const algorithm = CHECKSUM_ALGORITHMS.find((name) => trailer === `x-amz-checksum-${name}`)
  if (!algorithm) throw new S3XmlError('InvalidRequest', `Unsupported x-amz-trailer: ${trailer.slice(0, 64)}`)
  return { algorithm, header: trailer }
}

function toS3XmlError(error: unknown): S3XmlError {
  if (error instanceof S3XmlError) return error
  if (error instanceof AwsChunkedError) return new S3XmlError(error.code, error.message)
  return new S3XmlError('IncompleteBody', 'The request body could not be read to its end')
}

/**
 * Re-emits a stream, turning its error into the one `map` returns. Pulls only when asked, and a
 * consumer that cancels (ingest refusing early) is not mistaken for a broken body.
 */
function guard(stream: ReadableStream<Uint8Array>, map: (error: unknown) => Error): ReadableStream<Uint8Array> {
  const reader = stream.getReader()
  let cancelled = false
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read()
          if (done) controller.close()
          else controller.enqueue(value)
        } catch (error) {
          if (!cancelled) controller.error(map(error))
        }
      },
      cancel(reason) {
        cancelled = true
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })
}
