import type { BatchResult, ValidationResult } from '../ingest/batch'
import { BatchLog } from '../ingest/batch-log'
import { xmlDocument } from '../s3-protocol/xml'
import type { S3ProxyDeps, S3Request } from './context'
import { afterResponse, notImplemented, only, xmlResponse } from './context'
import { datasetForKey, isOwnershipChallenge } from './dataset'
import { namedS3XmlError, S3XmlError, toS3XmlError } from './errors'
import { multipartStaging } from './multipart'
import { openPayload } from './payload'
import type { Payload } from './payload'
import { parseCompleteMultipartUpload } from './xml'

const MAX_CHALLENGE_BYTES = 64 * 1024
const MAX_COMPLETE_XML_BYTES = 1024 * 1024

/** Routes a request on an object key to its operation; NotImplemented for the rest. */
export async function objectOperation(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, query } = request
  const method = c.req.method
  const copy = c.req.header('x-amz-copy-source') !== undefined
  const has = (name: string) => query.has(name)
  if (method === 'PUT' && has('partNumber') && has('uploadId') && !copy && only(query, ['partNumber', 'uploadId'])) {
    return uploadPart(request, deps)
  }
  const challenge = isOwnershipChallenge(request.key)
  if (method === 'PUT' && !copy && only(query, [])) return challenge ? putChallenge(request, deps) : logged(request, (log) => putObject(request, deps, log))
  if (method === 'POST' && has('uploads') && only(query, ['uploads'])) return createUpload(request, deps)
  if (method === 'POST' && has('uploadId') && only(query, ['uploadId'])) {
    return challenge ? completeUpload(request, deps) : logged(request, (log) => completeUpload(request, deps, log))
  }
  if (method === 'DELETE' && has('uploadId') && only(query, ['uploadId'])) return abortUpload(request, deps)
  throw notImplemented(method, query, copy ? 'object copies' : undefined)
}

/**
 * An operation that ingests a batch, with its log lines written once it has answered, an error
 * too: the failure line names what the S3 answer leaves out (the bucket call, key and code).
 */
async function logged(request: S3Request, operation: (log: BatchLog) => Promise<Response>): Promise<Response> {
  const log = new BatchLog('s3', request.c.env, request.c.req.raw, request.receivedAt)
  try {
    const response = await operation(log)
    log.end(response.status)
    return response
  } catch (error) {
    // The batch's own lines say what failed: the error boundary's log is for bugs only.
    const answer = namedS3XmlError(error) ?? toS3XmlError(error)
    log.end(answer.status, { code: answer.code, cause: error })
    throw answer
  }
}

function datasetFor(request: S3Request): string {
  const dataset = datasetForKey(request.key, request.config.S3_PROXY_DATASETS)
  if (!dataset) {
    throw new S3XmlError(
      'InvalidArgument',
      'Cannot tell the dataset from the object key: put objects under <dataset>/..., or map key prefixes to datasets with S3_PROXY_DATASETS',
    )
  }
  return dataset
}

function batchHeaders(result: BatchResult | ValidationResult): Record<string, string> {
  // Logpush's destination check ({"content":"tests"}) is answered like any stored object.
  if (result.validation) return { 'x-logpush-validation': 'true' }
  return {
    'x-logpush-batch-id': result.batchId,
    'x-logpush-dataset': result.dataset,
    'x-logpush-events': String(result.events),
    'x-logpush-written': String(result.written),
    'x-logpush-quarantined': String(result.quarantined),
    'x-logpush-duplicate': String(result.duplicate),
  }
}

async function putChallenge(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, verified, bucket, key, receivedAt } = request
  const payload = openPayload(c.req.raw, verified, { maxBytes: MAX_CHALLENGE_BYTES })
  const token = (await readText(payload)).trim()
  const digest = await payload.done
  await deps.challenges(c.env).put({ bucket, key, token, receivedAt: new Date(receivedAt).toISOString() })
  return putAnswer(digest)
}

async function putObject(request: S3Request, deps: S3ProxyDeps, log: BatchLog): Promise<Response> {
  const { c, config, verified, receivedAt } = request
  const dataset = datasetFor(request)
  log.dataset = dataset
  const payload = openPayload(c.req.raw, verified, { maxBytes: config.MAX_BODY_BYTES })
  let result: BatchResult | ValidationResult
  try {
    result = await deps.ingest(c.env, { dataset, body: payload.body, receivedAt, contentLength: payload.length, log })
  } catch (error) {
    // A failed payload check wins, whatever ingest made of the stream error it caused.
    const failed = payload.failure()
    if (!failed) throw error
    log.phase = 'read'
    throw failed
  }
  log.phase = 'read'
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
  if (!digest) throw new S3XmlError('InternalError', 'The body was not read to its end; it was not acknowledged.')
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

/** CompleteMultipartUpload: the staged parts are an ownership challenge or a batch (logged in `log`). */
async function completeUpload(request: S3Request, deps: S3ProxyDeps, log?: BatchLog): Promise<Response> {
  const { c, config, verified, bucket, key, query, receivedAt } = request
  const uploadId = query.get('uploadId') ?? ''
  const payload = openPayload(c.req.raw, verified, { maxBytes: MAX_COMPLETE_XML_BYTES })
  const parts = parseCompleteMultipartUpload(await readText(payload))
  await payload.done
  if (!parts) throw new S3XmlError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.')
  const challenge = isOwnershipChallenge(key)
  const dataset = challenge ? undefined : datasetFor(request)
  if (log) {
    log.dataset = dataset ?? null
    log.phase = 'read'
  }
  const staging = multipartStaging(deps.staging(c.env), config.S3_PREFIX)
  const upload = await staging.complete(bucket, key, uploadId, parts)
  let headers: Record<string, string> = {}
  if (dataset === undefined) {
    if (upload.length > MAX_CHALLENGE_BYTES) throw new S3XmlError('EntityTooLarge', 'An ownership challenge is a few bytes')
    const token = (await new Response(upload.body).text()).trim()
    await deps.challenges(c.env).put({ bucket, key, token, receivedAt: new Date(receivedAt).toISOString() })
  } else {
    if (upload.length > config.MAX_BODY_BYTES) {
      await upload.body.cancel()
      throw new S3XmlError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${config.MAX_BODY_BYTES} bytes`)
    }
    // On failure the staged parts stay: the client may retry Complete, or Abort to remove them.
    headers = batchHeaders(await deps.ingest(c.env, { dataset, body: upload.body, reopen: upload.reopen, receivedAt, contentLength: upload.length, log }))
  }
  // The batch is durable; removing the staging objects need not hold the answer back.
  await afterResponse(
    c,
    staging.remove(bucket, key, uploadId).catch((error) => console.error('s3: staging cleanup failed', uploadId, error)),
  )
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
