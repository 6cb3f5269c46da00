import { AwsClient } from 'aws4fetch'
import { type CompletedPart, type ObjectBody, type ObjectInfo, type ObjectStorage, type StorageCall, StorageError } from '../../ports'
import { xmlBlocks, xmlDocument, xmlText } from '../../s3-protocol/xml'
import { md5, toBase64 } from '../../s3-protocol/checksums'
import { encodeKey, isBucketName } from '../../s3-protocol/names'
import { EMPTY_SHA256, UNSIGNED_PAYLOAD, uriEncode } from '../../s3-protocol/sigv4'
import { bodyChunks, bodyLength } from '../../utils/bytes'
import { OneShotBody } from '../one-shot-body'
import { type RetryPolicy, retryPolicy, withRetries } from '../retry'

const encoder = new TextEncoder()

export type S3ClientOptions = {
  /** `https://s3.us-east-1.amazonaws.com`, `http://127.0.0.1:9000`: requests are path-style. */
  endpoint: string
  region: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  /** Retries after the first attempt of a retryable failure (default 3). */
  retries?: number
  /** First back-off delay; it doubles per retry, up to 2 s, with jitter (default 100). */
  baseDelayMs?: number
  /** Time allowed for one attempt, up to the response headers (default 30 000). */
  requestTimeoutMs?: number
  /** Time allowed for one call, retries included, when it has no `deadline` (default 60 000). */
  budgetMs?: number
  /** Replaces the global fetch; for tests of faults no real server produces on demand. */
  fetch?: (request: Request) => Promise<Response>
}

export type S3ListOptions = StorageCall & {
  /** Keys per ListObjectsV2 page, at most 1000 (S3's default). */
  pageSize?: number
}

type S3Request = {
  operation: string
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE'
  key?: string
  query?: Record<string, string>
  headers?: HeadersInit
  body?: ObjectBody | OneShotBody
}

/**
 * A small S3 client over aws4fetch: SigV4-signed, path-style, every call retried on
 * retryable failures with exponential back-off and jitter, each attempt under a timeout and
 * the whole call inside a time budget. Failures are `StorageError`s.
 *
 * @example
 * const s3 = new S3Client({ endpoint: env.S3_ENDPOINT, region: env.S3_REGION,
 *   bucket: env.S3_BUCKET, accessKeyId: env.AWS_ACCESS_KEY_ID,
 *   secretAccessKey: env.AWS_SECRET_ACCESS_KEY })
 * await s3.putObject('logs/a.json.gz', bytes, { 'Content-Type': 'application/x-ndjson' })
 */
export class S3Client implements ObjectStorage {
  readonly bucket: string
  readonly #aws: AwsClient
  readonly #base: string
  readonly #policy: RetryPolicy
  readonly #fetch: (request: Request) => Promise<Response>

  constructor(options: S3ClientOptions) {
    checkOptions(options)
    this.bucket = options.bucket
    this.#base = `${options.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(options.bucket)}`
    // aws4fetch's own retry loop is off: retries happen here, under the deadline.
    this.#aws = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      service: 's3',
      region: options.region,
      retries: 0,
    })
    this.#policy = retryPolicy('S3Client', options)
    // 'manual': the body as stored. workerd would otherwise gunzip any object saved with
    // Content-Encoding gzip (and undici in Node does so whatever this says).
    this.#fetch = options.fetch ?? ((request) => fetch(request, { encodeResponseBody: 'manual' }))
  }

  /** PutObject: stores `body` under `key` in one request; resolves to the object's ETag. */
  async putObject(key: string, body: ObjectBody, headers?: HeadersInit, call?: StorageCall): Promise<string> {
    const req: S3Request = { operation: 'PutObject', method: 'PUT', key, headers, body }
    return this.#send(req, call, async (res) => requireEtag(req, res))
  }

  /**
   * PutObject from a stream of exactly `length` bytes, sent as it arrives (never buffered) with
   * `Content-Length` and an unsigned payload hash (`UNSIGNED-PAYLOAD`): TLS guards the bytes, and
   * the caller checks them as they pass. A stream cannot be replayed, so the call is retried only
   * while no byte of it has been read; once the body started flowing, the first failure is final
   * (workerd's fetch reads a body as soon as it starts, so there it is one attempt; a caller that
   * must retry sends the bytes again). Timeout, deadline and `StorageError`s are as for `putObject`;
   * the timeout covers sending the body. A stream that fails, or ends short of or runs past
   * `length`, fails the call with code `IncompleteBody`. The client owns `body`: it is cancelled
   * if the call fails before reading it to the end.
   *
   * @example
   * await s3.putObjectStream(key, request.body!, Number(request.headers.get('content-length')))
   */
  async putObjectStream(key: string, body: ReadableStream<Uint8Array>, length: number, headers?: HeadersInit, call?: StorageCall): Promise<string> {
    if (!Number.isSafeInteger(length) || length < 0) {
      await body.cancel().catch(() => {})
      throw new TypeError(`PutObject ${key}: length must be a non-negative integer`)
    }
    const stream = new OneShotBody(body, length)
    const req: S3Request = { operation: 'PutObject', method: 'PUT', key, headers, body: stream }
    try {
      return await this.#send(req, call, async (res) => requireEtag(req, res))
    } finally {
      await stream.release()
    }
  }

  /** CreateMultipartUpload: `headers` (Content-Type, Content-Encoding) apply to the final object. */
  async createMultipartUpload(key: string, headers?: HeadersInit, call?: StorageCall): Promise<string> {
    const req: S3Request = { operation: 'CreateMultipartUpload', method: 'POST', key, query: { uploads: '' }, headers }
    return this.#send(req, call, async (res) => {
      const uploadId = xmlText(await res.text(), 'UploadId')
      if (!uploadId) throw invalidResponse(req, res, 'no UploadId')
      return uploadId
    })
  }

  /** UploadPart: `partNumber` from 1 to 10 000; resolves to the part's ETag for Complete. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: ObjectBody, call?: StorageCall): Promise<string> {
    const query = { partNumber: String(partNumber), uploadId }
    const req: S3Request = { operation: 'UploadPart', method: 'PUT', key, query, body }
    return this.#send(req, call, async (res) => requireEtag(req, res))
  }

  /** CompleteMultipartUpload: joins the parts in order; resolves to the object's ETag. */
  async completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[], call?: StorageCall): Promise<string> {
    const xml = xmlDocument('CompleteMultipartUpload', { Part: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) })
    const body = encoder.encode(xml)
    const req: S3Request = {
      operation: 'CompleteMultipartUpload',
      method: 'POST',
      key,
      query: { uploadId },
      body,
      headers: { 'Content-Type': 'application/xml' },
    }
    return this.#send(req, call, async (res) => {
      const text = await res.text()
      // S3 may answer 200 and still fail: the error is then in the body.
      if (text.includes('<Error>')) throw errorFromXml(req, res.status, text)
      return xmlText(text, 'ETag') ?? ''
    })
  }

  /** AbortMultipartUpload: drops the parts; an upload already gone counts as aborted. */
  async abortMultipartUpload(key: string, uploadId: string, call?: StorageCall): Promise<void> {
    const req: S3Request = { operation: 'AbortMultipartUpload', method: 'DELETE', key, query: { uploadId } }
    try {
      await this.#send(req, call, discard)
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'NoSuchUpload')) throw err
    }
  }

  /**
   * GetObject: the response with its body unread (a stream of the bytes as stored, not
   * decoded by Content-Encoding), or null when the key does not exist.
   */
  async getObject(key: string, call?: StorageCall): Promise<Response | null> {
    const req: S3Request = { operation: 'GetObject', method: 'GET', key }
    try {
      return await this.#send(req, call, async (res) => res)
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NoSuchKey') return null
      throw err
    }
  }

  /** HeadObject: size and ETag, or null when the key does not exist. */
  async headObject(key: string, call?: StorageCall): Promise<ObjectInfo | null> {
    const req: S3Request = { operation: 'HeadObject', method: 'HEAD', key }
    try {
      return await this.#send(req, call, async (res) => ({
        size: Number(res.headers.get('Content-Length') ?? 0),
        etag: res.headers.get('ETag') ?? '',
      }))
    } catch (err) {
      // A HEAD answer has no body, so a missing key is only a bare 404.
      if (err instanceof StorageError && err.status === 404) return null
      throw err
    }
  }

  /** DeleteObject: succeeds whether or not the key existed. */
  async deleteObject(key: string, call?: StorageCall): Promise<void> {
    await this.#send({ operation: 'DeleteObject', method: 'DELETE', key }, call, discard)
  }

  /** ListObjectsV2 over every page: all keys under `prefix`, in S3's (lexicographic) order. */
  async listKeys(prefix: string, options: S3ListOptions = {}): Promise<string[]> {
    const call = { ...options, deadline: options.deadline ?? Date.now() + this.#policy.budgetMs }
    const keys: string[] = []
    let token: string | undefined
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix }
      if (options.pageSize) query['max-keys'] = String(options.pageSize)
      if (token) query['continuation-token'] = token
      const req: S3Request = { operation: 'ListObjectsV2', method: 'GET', query }
      const xml = await this.#send(req, call, (res) => res.text())
      for (const block of xmlBlocks(xml, 'Contents')) {
        const key = xmlText(block, 'Key')
        if (key !== undefined) keys.push(key)
      }
      const truncated = xmlText(xml, 'IsTruncated') === 'true'
      token = truncated ? xmlText(xml, 'NextContinuationToken') : undefined
      if (truncated && !token) throw failure(req, 200, 'InvalidResponse', 'truncated listing without NextContinuationToken')
    } while (token)
    return keys
  }

  // One call under the retry policy. `read` runs inside the attempt, so a body that breaks off is
  // retried like any network error.
  async #send<T>(req: S3Request, call: StorageCall = {}, read: (res: Response) => Promise<T>): Promise<T> {
    const url = this.#url(req)
    const headers = new Headers(req.headers)
    const stream = req.body instanceof OneShotBody ? req.body : undefined
    const held = req.body instanceof OneShotBody ? undefined : req.body
    // A buffered body goes with its Content-MD5, which is signed, so S3 refuses a body damaged on
    // the way. Its SHA-256 is not: Web Crypto's digest copies the bytes first, and for an 8 MiB
    // part that copy lives until GC. A stream's hash is known only at its end, after the headers
    // went out.
    if (held) headers.set('Content-MD5', toBase64(md5(held)))
    headers.set('X-Amz-Content-Sha256', req.body ? UNSIGNED_PAYLOAD : EMPTY_SHA256)
    // Bodies go as streams (see heldBody); Node's fetch sends a stream chunked unless told its length.
    if (req.body) headers.set('Content-Length', String(held ? bodyLength(held) : stream!.length))
    return withRetries(req, this.#policy, call, (timeoutMs) => this.#attempt(req, url, headers, timeoutMs, call.signal, read), {
      replayable: () => !stream?.started,
    })
  }

  async #attempt<T>(
    req: S3Request,
    url: string,
    headers: Headers,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    read: (res: Response) => Promise<T>,
  ): Promise<T> {
    // A timer rather than AbortSignal.timeout: it must stop once the answer is read, or it
    // would cut off the body stream that getObject hands to its caller.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new DOMException('request timed out', 'TimeoutError')), timeoutMs)
    const cancel = () => controller.abort(signal?.reason)
    if (signal?.aborted) cancel()
    signal?.addEventListener('abort', cancel)
    try {
      // No redirects: a signed request replayed to another host is wrong, and S3 redirects
      // mean a misconfigured endpoint or region, which the error should say.
      const body = req.body instanceof OneShotBody ? req.body.open() : req.body && heldBody(req.body)
      const init = { method: req.method, headers, body, signal: controller.signal, redirect: 'manual', duplex: 'half' }
      const signed = await this.#aws.sign(url, init)
      const res = await this.#fetch(signed)
      if (!res.ok) throw errorFromXml(req, res.status, await res.text().catch(() => ''))
      return await read(res)
    } catch (err) {
      if (err instanceof StorageError) throw err
      if (signal?.aborted) throw failure(req, 0, 'Aborted', 'cancelled by the caller', err)
      if (controller.signal.aborted) throw failure(req, 0, 'TimeoutError', `no answer within ${timeoutMs} ms`, err)
      const broken = req.body instanceof OneShotBody ? req.body.failure : undefined
      if (broken) throw failure(req, 0, 'IncompleteBody', broken.message, broken.cause)
      throw failure(req, 0, 'NetworkError', err instanceof Error ? err.message : String(err), err)
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', cancel)
    }
  }

  #url(req: S3Request): string {
    let url = req.key === undefined ? this.#base : `${this.#base}/${encodeKey(req.key)}`
    if (req.query) {
      url +=
        '?' +
        Object.entries(req.query)
          .map(([name, value]) => (value === '' ? uriEncode(name) : `${uriEncode(name)}=${uriEncode(value)}`))
          .join('&')
    }
    return url
  }
}

/**
 * Held bytes as the body of one attempt. A stream, not the bytes themselves: a Request copies a
 * byte body when it is made (twice here: aws4fetch makes one to sign), and reads a stream only as
 * it sends. Each attempt gets a fresh one, so a retry sends every byte again.
 */
function heldBody(body: ObjectBody): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    // workerd then sends Content-Length instead of a chunked body, which S3 refuses.
    expectedLength: bodyLength(body),
    start(controller) {
      for (const chunk of bodyChunks(body)) if (chunk.byteLength > 0) controller.enqueue(chunk)
      controller.close()
    },
  })
}

function checkOptions(options: S3ClientOptions): void {
  const bad = (name: string, rule: string) => new TypeError(`S3Client: option "${name}" ${rule}`)
  if (options === null || typeof options !== 'object') throw new TypeError('S3Client: options object required')
  for (const name of ['endpoint', 'region', 'bucket', 'accessKeyId', 'secretAccessKey'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw bad(name, 'must be a non-empty string')
  }
  let endpoint: URL
  try {
    endpoint = new URL(options.endpoint)
  } catch {
    throw bad('endpoint', 'must be an absolute http(s) URL')
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') throw bad('endpoint', 'must be an http(s) URL')
  if (endpoint.username || endpoint.password) throw bad('endpoint', 'must not carry credentials')
  if (endpoint.search || endpoint.hash) throw bad('endpoint', 'must not have a query or fragment')
  if (!isBucketName(options.bucket)) throw bad('bucket', 'must be a valid S3 bucket name')
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw bad('fetch', 'must be a function')
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel()
}

function requireEtag(req: S3Request, res: Response): string {
  const etag = res.headers.get('ETag')
  if (!etag) throw invalidResponse(req, res, 'no ETag header')
  return etag
}

function failure(req: S3Request, status: number, code: string, detail?: string, cause?: unknown): StorageError {
  return new StorageError({ operation: req.operation, key: req.key, status, code, detail, cause })
}

function invalidResponse(req: S3Request, res: Response, detail: string): StorageError {
  return failure(req, res.status, 'InvalidResponse', detail)
}

// S3's error bodies carry Code and Message; a HEAD answer or a proxy's page may carry neither.
function errorFromXml(req: S3Request, status: number, text: string): StorageError {
  const code = xmlText(text, 'Code') ?? `Http${status}`
  return failure(req, status, code, xmlText(text, 'Message'))
}
