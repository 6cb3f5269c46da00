import { Hono } from 'hono'
import type { MiddlewareHandler } from 'hono'
import { requestId } from 'hono/request-id'
import { readConfig } from '../config'
import { verifySigV4 } from '../s3-protocol/sigv4'
import { checkBucket, hostOf, resolveAddress } from './address'
import { bucketOperation } from './bucket-operations'
import type { S3ProxyDeps, S3ProxyEnv, S3Request } from './context'
import { executionContext } from './context'
import { S3XmlError, s3XmlErrorResponse, toS3XmlError } from './errors'
import { objectOperation } from './object-operations'

export type { S3ProxyDeps, S3ProxyEnv } from './context'

const DEFAULT_MOUNT_PATH = '/s3'

export interface S3ProxyOptions {
  /** Where the app is mounted for path-style requests; default `/s3`. */
  mountPath?: string
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

  // S3 makes its own request id, as here: one a client sends is not taken (headerName ''), and
  // the id goes out as x-amz-request-id, on errors too.
  app.use('*', requestId({ headerName: '', generator: newRequestId }))
  app.onError((error, c) => s3XmlErrorResponse(toS3XmlError(error), c.get('requestId'), new URL(c.req.url).pathname, c.req.method))

  app.all('*', async function s3Request(c) {
    const receivedAt = Date.now()
    const config = readConfig(c.env)
    const accessKeyId = config.PROXY_ACCESS_KEY_ID
    const secretAccessKey = config.PROXY_SECRET_ACCESS_KEY
    if (!accessKeyId || !secretAccessKey) {
      // Not a 5xx: Logpush would retry it for as long as the job lives, and nothing changes
      // until someone sets the keys.
      throw new S3XmlError('AccessDenied', 'The S3 endpoint is not configured: set PROXY_ACCESS_KEY_ID and PROXY_SECRET_ACCESS_KEY with wrangler secret put')
    }
    const url = new URL(c.req.url)
    const address = resolveAddress(c.req.raw, url, config.S3_PROXY_HOST, mountPath)
    // Auth comes first: an unsigned caller learns nothing about buckets or uploads.
    const verified = await verifySigV4(c.req.raw, { credentials: { accessKeyId, secretAccessKey }, now: receivedAt })
    if (!address) throw new S3XmlError('NotImplemented', 'Only bucket and object operations are implemented (no ListBuckets)')
    checkBucket(address.bucket, config.S3_PROXY_BUCKETS)
    const request: S3Request = { c, config, verified, ...address, query: url.searchParams, receivedAt }
    const response = await (address.key === '' ? bucketOperation(request, deps) : objectOperation(request, deps))
    response.headers.set('x-amz-request-id', c.get('requestId'))
    return response
  })

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

/** 16 upper-case hex digits, the form of S3's own x-amz-request-id. */
function newRequestId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
}
