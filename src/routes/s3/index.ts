import { Hono } from 'hono'
import type { Context, MiddlewareHandler } from 'hono'
import type { Config } from '../../config'
import { ConfigError, readConfig } from '../../config'
import type { BatchResult, IngestInput } from '../../ingest'
import { SigV4Error, verifySigV4 } from '../../utils/sigv4-verify'
import type { SigV4Verified } from '../../utils/sigv4-verify'
import type { ChallengeStore } from './challenges'
import { datasetForKey, isOwnershipChallenge } from './dataset'
import { S3Error, s3ErrorResponse } from './errors'
import { multipartStaging } from './multipart'
import type { ObjectStore } from './object-store'
import { openPayload } from './payload'
import type { Payload } from './payload'
import { parseCompleteMultipartUpload, xmlDocument } from './xml'

const DEFAULT_MOUNT_PATH = '/s3'
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const MAX_CHALLENGE_BYTES = 64 * 1024
const MAX_COMPLETE_XML_BYTES = 1024 * 1024
const MAX_LIST_KEYS = 1000
// Query parameters that carry auth or SDK bookkeeping, not an S3 sub-resource.
const NEUTRAL_QUERY = /^(X-Amz-.*|x-id)$/i

export interface S3ProxyDeps {
  /** Runs a batch through the pipeline; resolves once its output is durable (src/ingest.ts). */
  ingest: (env: Env, input: IngestInput) => Promise<BatchResult>
  /** Where multipart parts are staged: the real bucket. */
  staging: (env: Env) => ObjectStore
  challenges: (env: Env) => ChallengeStore
}

export interface S3ProxyOptions {
  /** Where the app is mounted for path-style requests; default `/s3`. */
  mountPath?: string
}

export type S3ProxyEnv = { Bindings: Env; Variables: { requestId: string } }

interface S3Request {
  c: Context<S3ProxyEnv>
  config: Config
  verified: SigV4Verified
  bucket: string
  key: string
  query: URLSearchParams
  receivedAt: number
}

/**
 * The S3-compatible endpoint Logpush's S3 destination writes to: every request SigV4-verified,
 * PutObject and multipart uploads fed to ingest, ownership challenges kept aside, S3 XML errors.
 * Mount it for path style and add `s3VirtualHost` for `<bucket>.<S3_PROXY_HOST>`.
 * @example app.route('/s3', s3Proxy({ ingest: ingestBatch, staging, challenges }))
 */
export function s3Proxy(deps: S3ProxyDeps, options: S3ProxyOptions = {}): Hono<S3ProxyEnv> {
  if (typeof deps?.ingest !== 'function' || typeof deps.staging !== 'function' || typeof deps.challenges !== 'function') {
    throw new Error('s3Proxy: ingest, staging and challenges are required')
  }
  const mountPath = (options.mountPath ?? DEFAULT_MOUNT_PATH).replace(/\/+$/, '')
  const app = new Hono<S3ProxyEnv>()

  app.onError((error, c) => {
    const requestId = c.get('requestId') ?? newRequestId()
    return s3ErrorResponse(toS3Error(error), requestId, new URL(c.req.url).pathname, c.req.method)
  })

  app.all('*', async function s3Request(c) {
    c.set('requestId', newRequestId())
    const receivedAt = Date.now()
    const config = readConfig(c.env)
    const accessKeyId = config.PROXY_ACCESS_KEY_ID
    const secretAccessKey = config.PROXY_SECRET_ACCESS_KEY
    if (!accessKeyId || !secretAccessKey) {
      throw new S3Error('ServiceUnavailable', 'The S3 endpoint is not configured: set PROXY_ACCESS_KEY_ID and PROXY_SECRET_ACCESS_KEY')
    }
    const url = new URL(c.req.url)
    const address = resolveAddress(c.req.raw, url, config.S3_PROXY_HOST, mountPath)
    // Auth comes first: an unsigned caller learns nothing about buckets or uploads.
    const verified = await verifySigV4(c.req.raw, { credentials: { accessKeyId, secretAccessKey }, now: receivedAt })
    if (!address) throw new S3Error('NotImplemented', 'Only bucket and object operations are implemented (no ListBuckets)')
    checkBucket(address.bucket, config.S3_PROXY_BUCKETS)
    const request: S3Request = { c, config, verified, ...address, query: url.searchParams, receivedAt }
    const response = await (address.key === '' ? bucketOperation(request, deps) : objectOperation(request, deps))
    response.headers.set('x-amz-request-id', c.get('requestId'))
    return response
  })

  async function objectOperation(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
    const { c, query } = request
    const method = c.req.method
    const copy = c.req.header('x-amz-copy-source') !== undefined
    const has = (name: string) => query.has(name)
    if (method === 'PUT' && has('partNumber') && has('uploadId') && !copy && only(query, ['partNumber', 'uploadId'])) {
      return uploadPart(request, deps)
    }
    if (method === 'PUT' && !copy && only(query, [])) return putObject(request, deps)
    if (method === 'POST' && has('uploads') && only(query, ['uploads'])) return createUpload(request, deps)
    if (method === 'POST' && has('uploadId') && only(query, ['uploadId'])) return completeUpload(request, deps)
    if (method === 'DELETE' && has('uploadId') && only(query, ['uploadId'])) return abortUpload(request, deps)
    throw notImplemented(method, query, copy ? 'object copies' : undefined)
  }

  return app
}

/**
 * Sends requests for the configured S3 host to the S3 app: `<bucket>.<S3_PROXY_HOST>` (virtual-host
 * style) and `S3_PROXY_HOST` itself (path style at the root). Other hosts go on to the next handler.
 * @example app.use('*', s3VirtualHost(s3))
 */
export function s3VirtualHost(proxy: Hono<S3ProxyEnv>): MiddlewareHandler<{ Bindings: Env }> {
  return async function s3VirtualHost(c, next) {
    let host: string | undefined
    try {
      host = readConfig(c.env).S3_PROXY_HOST
    } catch {
      // A bad config is reported by the routes that need it; /healthz must still answer.
    }
    const requestHost = hostOf(c.req.raw, new URL(c.req.url))
    if (host && (requestHost === host || requestHost.endsWith(`.${host}`))) {
      return proxy.fetch(c.req.raw, c.env, executionContext(c))
    }
    await next()
  }
}

function resolveAddress(request: Request, url: URL, proxyHost: string | undefined, mountPath: string) {
  const host = hostOf(request, url)
  let path = url.pathname
  let bucket: string | undefined
  if (proxyHost && host.endsWith(`.${proxyHost}`)) {
    bucket = host.slice(0, -(proxyHost.length + 1))
  } else if (!(proxyHost && host === proxyHost)) {
    path = path.startsWith(`${mountPath}/`) ? path.slice(mountPath.length) : '/'
  }
  if (bucket === undefined) {
    const slash = path.indexOf('/', 1)
    bucket = decode(slash < 0 ? path.slice(1) : path.slice(1, slash))
    path = slash < 0 ? '/' : path.slice(slash)
  }
  if (!bucket) return undefined
  return { bucket, key: decode(path.slice(1)) }
}

function hostOf(request: Request, url: URL): string {
  return (request.headers.get('host') ?? url.host).toLowerCase().replace(/:\d+$/, '')
}

function checkBucket(bucket: string, allowed: string[] | undefined) {
  if (!BUCKET_NAME.test(bucket)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.')
  if (allowed && !allowed.includes(bucket)) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist')
}

async function bucketOperation(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, query, verified } = request
  const method = c.req.method
  if (method === 'HEAD' && only(query, [])) {
    return new Response(null, { status: 200, headers: { 'x-amz-bucket-region': verified.region } })
  }
  if (method === 'GET' && query.has('location') && only(query, ['location'])) {
    // S3 answers us-east-1 with an empty constraint.
    const region = verified.region === 'us-east-1' ? '' : verified.region
    return xmlResponse(xmlDocument('LocationConstraint', region))
  }
  if (method === 'GET' && query.get('list-type') === '2') return listObjects(request, deps)
  throw notImplemented(method, query)
}

/**
 * ListObjectsV2 over what this endpoint keeps: the bucket's ownership challenges. Log objects are
 * not kept as sent (they are parsed into the real bucket's own layout), so they are not listed.
 */
async function listObjects(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, query, bucket } = request
  const prefix = query.get('prefix') ?? ''
  const delimiter = query.get('delimiter') ?? ''
  const maxKeysText = query.get('max-keys') ?? String(MAX_LIST_KEYS)
  if (!/^\d+$/.test(maxKeysText)) throw new S3Error('InvalidArgument', 'max-keys must be a non-negative integer')
  const maxKeys = Math.min(Number(maxKeysText), MAX_LIST_KEYS)
  const token = query.get('continuation-token') ?? undefined
  const after = token ?? query.get('start-after') ?? ''
  const encode = query.get('encoding-type') === 'url' ? (text: string) => text.split('/').map(encodeURIComponent).join('/') : (text: string) => text

  const records = (await deps.challenges(c.env).list())
    .filter((record) => record.bucket === bucket && record.key.startsWith(prefix) && record.key > after)
    .sort((a, b) => (a.key < b.key ? -1 : 1))
  const contents: Record<string, string | number>[] = []
  const commonPrefixes: string[] = []
  let last = ''
  let truncated = false
  for (const record of records) {
    const rest = record.key.slice(prefix.length)
    const cut = delimiter ? rest.indexOf(delimiter) : -1
    const common = cut < 0 ? undefined : prefix + rest.slice(0, cut + delimiter.length)
    if (common !== undefined && commonPrefixes.includes(common)) continue
    if (contents.length + commonPrefixes.length >= maxKeys) {
      truncated = true
      break
    }
    last = record.key
    if (common !== undefined) commonPrefixes.push(common)
    else {
      contents.push({
        Key: encode(record.key),
        LastModified: record.receivedAt,
        Size: new TextEncoder().encode(record.token).length,
        StorageClass: 'STANDARD',
      })
    }
  }
  const body = xmlDocument('ListBucketResult', {
    Name: bucket,
    Prefix: encode(prefix),
    Delimiter: delimiter ? encode(delimiter) : undefined,
    MaxKeys: maxKeys,
    KeyCount: contents.length + commonPrefixes.length,
    IsTruncated: truncated,
    EncodingType: query.get('encoding-type') === 'url' ? 'url' : undefined,
    ContinuationToken: token,
    NextContinuationToken: truncated ? last : undefined,
    StartAfter: query.get('start-after') ?? undefined,
    Contents: contents,
    CommonPrefixes: commonPrefixes.map((Prefix) => ({ Prefix: encode(Prefix) })),
  })
  return xmlResponse(body)
}

function only(query: URLSearchParams, names: string[]): boolean {
  for (const name of query.keys()) if (!names.includes(name) && !NEUTRAL_QUERY.test(name)) return false
  return true
}

function notImplemented(method: string, query: URLSearchParams, what?: string): S3Error {
  const subresources = [...query.keys()].filter((name) => !NEUTRAL_QUERY.test(name))
  const described = what ?? (subresources.length ? `${method} ?${subresources.join('&')}` : method)
  return new S3Error(
    'NotImplemented',
    `A header or query you provided implies functionality that is not implemented: ${described}. This endpoint implements PutObject, multipart upload, HeadBucket, GetBucketLocation and ListObjectsV2.`,
  )
}

function toS3Error(error: unknown): S3Error {
  if (error instanceof S3Error) return error
  if (error instanceof SigV4Error) return new S3Error(error.code, error.message, error.detail)
  if (error instanceof ConfigError) {
    console.error(error.message)
    return new S3Error('InternalError', 'The service is misconfigured; its log names the setting.')
  }
  console.error('s3: unexpected error', error)
  return new S3Error('InternalError', 'We encountered an internal error. Please try again.')
}

/**
 * Ingest's named errors (src/ingest.ts), matched by name so this route does not depend on the
 * classes; a failed payload check wins, whatever ingest made of the stream error.
 */
function ingestError(error: unknown, payload: { failure(): S3Error | undefined }): S3Error {
  const failed = payload.failure()
  if (failed) return failed
  if (error instanceof S3Error) return error
  const name = error instanceof Error ? error.name : ''
  const message = error instanceof Error ? error.message : String(error)
  switch (name) {
    case 'UnknownDatasetError':
      return new S3Error('InvalidArgument', message || 'Unknown dataset')
    case 'BodyTooLargeError':
      return new S3Error('EntityTooLarge', message || 'Your proposed upload exceeds the maximum allowed size')
    case 'UndecodableBodyError':
      return new S3Error('InvalidArgument', 'body is not gzip/UTF-8 NDJSON')
    case 'StorageUnavailableError':
      return new S3Error('ServiceUnavailable', 'The batch could not be stored; please retry.')
  }
  return toS3Error(error)
}

function datasetFor(request: S3Request): string {
  const dataset = datasetForKey(request.key, request.config.S3_PROXY_DATASETS)
  if (!dataset) {
    throw new S3Error(
      'InvalidArgument',
      'Cannot tell the dataset from the object key: put objects under <dataset>/..., or map key prefixes to datasets with S3_PROXY_DATASETS',
    )
  }
  return dataset
}

function batchHeaders(result: BatchResult): Record<string, string> {
  return {
    'x-logpush-batch-id': result.batchId,
    'x-logpush-dataset': result.dataset,
    'x-logpush-events': String(result.events),
    'x-logpush-written': String(result.written),
    'x-logpush-quarantined': String(result.quarantined),
    'x-logpush-duplicate': String(result.duplicate),
  }
}

async function putObject(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, config, verified, bucket, key, receivedAt } = request
  if (isOwnershipChallenge(key)) {
    const payload = openPayload(c.req.raw, verified, { maxBytes: MAX_CHALLENGE_BYTES })
    const token = (await readText(payload)).trim()
    const digest = await payload.done
    await deps.challenges(c.env).put({ bucket, key, token, receivedAt: new Date(receivedAt).toISOString() })
    return putAnswer(digest)
  }
  const dataset = datasetFor(request)
  const payload = openPayload(c.req.raw, verified, { maxBytes: config.MAX_BODY_BYTES })
  let result: BatchResult
  try {
    result = await deps.ingest(c.env, { dataset, body: payload.body, receivedAt, contentLength: payload.length })
  } catch (error) {
    throw ingestError(error, payload)
  }
  return putAnswer(settled(payload), batchHeaders(result))
}

async function readText(payload: Payload): Promise<string> {
  try {
    return await new Response(payload.body).text()
  } catch (error) {
    throw payload.failure() ?? error
  }
}

/**
 * The payload's checks, once ingest has read the body. Ingest must read it to the end: a batch
 * whose checks never ran is not acknowledged.
 */
function settled(payload: Payload) {
  const failed = payload.failure()
  if (failed) throw failed
  const digest = payload.digest()
  if (!digest) throw new S3Error('InternalError', 'The body was not read to its end; it was not acknowledged.')
  return digest
}

function putAnswer(digest: { md5: string; checksum?: { header: string; value: string } }, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { etag: `"${digest.md5}"`, ...extra }
  if (digest.checksum) headers[digest.checksum.header] = digest.checksum.value
  return new Response(null, { status: 200, headers })
}

async function createUpload(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, config, bucket, key } = request
  if (!isOwnershipChallenge(key)) datasetFor(request)
  const uploadId = await multipartStaging(deps.staging(c.env), config.S3_PREFIX).create(bucket, key)
  return xmlResponse(xmlDocument('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: uploadId }))
}

async function uploadPart(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, config, verified, bucket, key, query } = request
  const payload = openPayload(c.req.raw, verified, { maxBytes: config.MAX_BODY_BYTES })
  const staging = multipartStaging(deps.staging(c.env), config.S3_PREFIX)
  const md5 = await staging.uploadPart(bucket, key, query.get('uploadId') ?? '', query.get('partNumber') ?? '', payload)
  const digest = await payload.done
  return putAnswer({ md5, checksum: digest.checksum })
}

async function completeUpload(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, config, verified, bucket, key, query, receivedAt } = request
  const uploadId = query.get('uploadId') ?? ''
  const payload = openPayload(c.req.raw, verified, { maxBytes: MAX_COMPLETE_XML_BYTES })
  const parts = parseCompleteMultipartUpload(await readText(payload))
  await payload.done
  if (!parts) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.')
  const staging = multipartStaging(deps.staging(c.env), config.S3_PREFIX)
  const upload = await staging.complete(bucket, key, uploadId, parts)
  let headers: Record<string, string> = {}
  if (isOwnershipChallenge(key)) {
    if (upload.length > MAX_CHALLENGE_BYTES) throw new S3Error('EntityTooLarge', 'An ownership challenge is a few bytes')
    const token = (await new Response(upload.body).text()).trim()
    await deps.challenges(c.env).put({ bucket, key, token, receivedAt: new Date(receivedAt).toISOString() })
  } else {
    if (upload.length > config.MAX_BODY_BYTES) {
      await upload.body.cancel()
      throw new S3Error('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${config.MAX_BODY_BYTES} bytes`)
    }
    const dataset = datasetFor(request)
    try {
      headers = batchHeaders(await deps.ingest(c.env, { dataset, body: upload.body, receivedAt, contentLength: upload.length }))
    } catch (error) {
      // Staged parts stay: the client may retry Complete, or Abort to remove them.
      throw ingestError(error, { failure: () => (error instanceof S3Error ? error : undefined) })
    }
  }
  // The batch is durable; removing the staging objects need not hold the answer back.
  await afterResponse(c, staging.remove(bucket, key, uploadId).catch((error) => console.error('s3: staging cleanup failed', uploadId, error)))
  const body = xmlDocument('CompleteMultipartUploadResult', {
    Location: new URL(c.req.url).href.replace(/\?.*$/, ''),
    Bucket: bucket,
    Key: key,
    ETag: `"${upload.etag}"`,
  })
  return xmlResponse(body, headers)
}

async function abortUpload(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, config, bucket, key, query } = request
  await multipartStaging(deps.staging(c.env), config.S3_PREFIX).remove(bucket, key, query.get('uploadId') ?? '')
  return new Response(null, { status: 204 })
}

function xmlResponse(body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status: 200, headers: { 'content-type': 'application/xml', ...headers } })
}

async function afterResponse(c: Context, work: Promise<unknown>) {
  const ctx = executionContext(c)
  if (ctx) ctx.waitUntil(work)
  else await work
}

function executionContext(c: Context): Context['executionCtx'] | undefined {
  try {
    return c.executionCtx
  } catch {
    // app.request() in unit tests has none.
    return undefined
  }
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function newRequestId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
}
