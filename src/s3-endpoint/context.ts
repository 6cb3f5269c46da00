import type { Context } from 'hono'
import type { Config } from '../config'
import type { BatchResult, IngestInput, ValidationResult } from '../ingest/batch'
import type { SigV4Verified } from '../s3-protocol/sigv4'
import type { ChallengeStore } from './challenges'
import { S3XmlError } from './errors'
import type { ObjectStore } from './object-store'

// Query parameters that carry auth or SDK bookkeeping, not an S3 sub-resource.
const NEUTRAL_QUERY = /^(X-Amz-.*|x-id)$/i

export interface S3ProxyDeps {
  /** Runs a batch through the pipeline; resolves once its output is durable (src/ingest/batch.ts). */
  ingest: (env: Env, input: IngestInput) => Promise<BatchResult | ValidationResult>
  /** Where multipart parts are staged: the real bucket. */
  staging: (env: Env) => ObjectStore
  challenges: (env: Env) => ChallengeStore
}

export type S3ProxyEnv = { Bindings: Env; Variables: { requestId: string } }

/** A verified request, addressed to a bucket (and a key, empty for bucket operations). */
export interface S3Request {
  c: Context<S3ProxyEnv>
  config: Config
  verified: SigV4Verified
  bucket: string
  key: string
  query: URLSearchParams
  receivedAt: number
}

/** True when the query names no sub-resource besides `names` (auth and SDK bookkeeping aside). */
export function only(query: URLSearchParams, names: string[]): boolean {
  for (const name of query.keys()) if (!names.includes(name) && !NEUTRAL_QUERY.test(name)) return false
  return true
}

/** S3's answer to an operation this endpoint does not have: never a silent 200. */
export function notImplemented(method: string, query: URLSearchParams, what?: string): S3XmlError {
  const subresources = [...query.keys()].filter((name) => !NEUTRAL_QUERY.test(name))
  const described = what ?? (subresources.length ? `${method} ?${subresources.join('&')}` : method)
  return new S3XmlError(
    'NotImplemented',
    `A header or query you provided implies functionality that is not implemented: ${described}. This endpoint implements PutObject, multipart upload, HeadBucket, GetBucketLocation and ListObjectsV2.`,
  )
}

export function xmlResponse(body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status: 200, headers: { 'content-type': 'application/xml', ...headers } })
}

/** Work that need not hold the answer back; awaited where there is no execution context (tests). */
export async function afterResponse(c: Context, work: Promise<unknown>) {
  const ctx = executionContext(c)
  if (ctx) ctx.waitUntil(work)
  else await work
}

export function executionContext(c: Context): Context['executionCtx'] | undefined {
  try {
    return c.executionCtx
  } catch {
    // app.request() in unit tests has none.
    return undefined
  }
}
