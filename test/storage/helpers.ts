import { gunzipSync } from 'node:zlib'
import { env } from 'cloudflare:workers'
import { inject } from 'vitest'
import type { S3ClientOptions } from '../../src/storage/s3/client'

const REQUIRED = ['S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const

/** Client options for the local S3 server, from the Worker bindings set in vitest.config.ts. */
export function s3Options(overrides: Partial<S3ClientOptions> = {}): S3ClientOptions {
  // The S3 settings are secrets, so `wrangler types` leaves them out of Env.
  const vars = env as unknown as Record<string, unknown>
  for (const name of REQUIRED) {
    if (typeof vars[name] !== 'string') throw new Error(`test binding ${name} is missing: see vitest.config.ts`)
  }
  return {
    endpoint: vars.S3_ENDPOINT as string,
    region: vars.S3_REGION as string,
    bucket: vars.S3_BUCKET as string,
    accessKeyId: vars.AWS_ACCESS_KEY_ID as string,
    secretAccessKey: vars.AWS_SECRET_ACCESS_KEY as string,
    ...overrides,
  }
}

/** The same server behind the fault proxy (test/setup/fault-proxy.mjs). */
export function faultyS3Options(overrides: Partial<S3ClientOptions> = {}): S3ClientOptions {
  return s3Options({ endpoint: inject('faultProxyUrl'), ...overrides })
}

export type Fault = {
  match: string
  /** Only requests with this method (default: any). */
  method?: string
  count?: number
  /** Let this many matching requests through before the first fault (fail only the Nth: skip N-1). */
  skip?: number
  /** See test/setup/fault-proxy.mjs; `hold` keeps the request until `releaseHeld`. */
  mode?: 'status' | 'after-forward' | 'reset' | 'hang' | 'truncate' | 'stall' | 'hold'
  status?: number
  code?: string
}

export async function injectFault(fault: Fault): Promise<void> {
  const res = await fetch(`${inject('faultProxyUrl')}/__faults`, { method: 'POST', body: JSON.stringify(fault) })
  if (!res.ok) throw new Error(`fault proxy refused ${JSON.stringify(fault)}: ${await res.text()}`)
}

/** Starts counting the requests that match, without failing any. */
export async function watch(match: string, method?: string): Promise<void> {
  await injectFault({ match, method, count: 0 })
}

/** Clears the faults not yet spent for `match` (and `method`): S3 has recovered. */
export async function clearFaults(match: string, method?: string): Promise<void> {
  const query = new URLSearchParams({ match })
  if (method) query.set('method', method)
  const res = await fetch(`${inject('faultProxyUrl')}/__faults?${query}`, { method: 'DELETE' })
  if (!res.ok) throw new Error(`fault proxy could not clear ${match}: ${await res.text()}`)
}

export async function faultStats(match: string, method?: string): Promise<{ seen: number; faulted: number }> {
  const query = new URLSearchParams({ match })
  if (method) query.set('method', method)
  const res = await fetch(`${inject('faultProxyUrl')}/__faults?${query}`)
  return res.json()
}

/**
 * Resolves once `n` requests matching `match` (and `method`) have met their fault: for `hang` or
 * `hold`, once they are waiting at the proxy. The proxy answers when it happens, so the test
 * waits for the fault to be in effect, not for a time that stands for it.
 * @example await injectFault({ match: key, mode: 'hold' }); const put = s3.putObject(key, body); await untilFaulted(key)
 */
export async function untilFaulted(match: string, n = 1, method?: string): Promise<{ seen: number; faulted: number }> {
  const query = new URLSearchParams({ match, until: String(n) })
  if (method) query.set('method', method)
  const res = await fetch(`${inject('faultProxyUrl')}/__faults?${query}`)
  if (!res.ok) throw new Error(`fault proxy could not wait for ${match}: ${await res.text()}`)
  return res.json()
}

/** Lets the requests a `hold` fault keeps for `match` (and `method`) go on to S3; resolves with how many. */
export async function releaseHeld(match: string, method?: string): Promise<number> {
  const query = new URLSearchParams({ match })
  if (method) query.set('method', method)
  const res = await fetch(`${inject('faultProxyUrl')}/__faults/release?${query}`, { method: 'POST' })
  if (!res.ok) throw new Error(`fault proxy could not release ${match}: ${await res.text()}`)
  return ((await res.json()) as { released: number }).released
}

/** A key prefix no other test uses, so tests can run in parallel against one bucket. */
export function uniquePrefix(name: string): string {
  return `test/${name}/${crypto.randomUUID()}/`
}

/** Deterministic bytes that gzip cannot shrink (xorshift32), for part-boundary tests. */
export function noise(size: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(size)
  const words = new Uint32Array(out.buffer, 0, size >>> 2)
  let x = seed >>> 0 || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  for (let i = words.length * 4; i < size; i++) out[i] = i & 0xff
  return out
}

export async function md5Hex(bytes: Uint8Array): Promise<string> {
  // workerd's WebCrypto has MD5, which is what s3rver's ETags are.
  const digest = new Uint8Array(await crypto.subtle.digest('MD5', bytes))
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Every gzip member of `data`, decompressed: node:zlib, as gunzip, DuckDB and Panther read an
 * object (workerd's DecompressionStream stops at the end of the first member and refuses the rest).
 */
export async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  return gunzipSync(data)
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/**
 * Index of the first byte where `a` and `b` differ (a length difference counts), or -1.
 * For large arrays: vitest's toEqual walks them element by element and exhausts the heap.
 */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.byteLength === b.byteLength ? -1 : n
}
