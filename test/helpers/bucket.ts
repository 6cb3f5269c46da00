import { expect } from 'vitest'
import { env } from 'cloudflare:test'
import { readConfig } from '../../src/config'
import { s3ClientFor } from '../../src/storage/s3'
import { gunzip } from './streams'

const config = readConfig(env)
if (config.SINK !== 's3') throw new Error('the workers project runs with SINK=s3 (see vitest.config.ts); R2 tests set SINK=r2 per request')

/** A client's view of the test bucket (the same local S3 server the Worker writes to). */
export const bucket = s3ClientFor(config)

export type SinkName = 's3' | 'r2'

/** Both sinks, for `describe.each(SINKS)`. */
export const SINKS: SinkName[] = ['s3', 'r2']

/** An object as it landed in the store. */
export interface StoredObject {
  bytes: Uint8Array
  contentType: string | null
  contentEncoding: string | null
  etag: string
}

/**
 * What a sink's test reads back, straight from the store the Worker wrote to: the local S3
 * server through the S3 client, or Miniflare's R2 through the LOGS_BUCKET binding itself (not the
 * adapter under test).
 */
export interface Store {
  sink: SinkName
  /** Worker settings that select this sink (merged into the env of each request). */
  settings: Record<string, unknown>
  listKeys(prefix: string): Promise<string[]>
  read(key: string): Promise<StoredObject | null>
}

export const stores: Record<SinkName, Store> = {
  s3: {
    sink: 's3',
    settings: {},
    listKeys: (prefix) => bucket.listKeys(prefix),
    async read(key) {
      const res = await bucket.getObject(key)
      if (!res) return null
      const { headers } = res
      return {
        bytes: new Uint8Array(await res.arrayBuffer()),
        contentType: headers.get('content-type'),
        contentEncoding: headers.get('content-encoding'),
        etag: headers.get('etag') ?? '',
      }
    },
  },
  r2: {
    sink: 'r2',
    settings: { SINK: 'r2' },
    async listKeys(prefix) {
      const keys: string[] = []
      let cursor: string | undefined
      do {
        const page = await env.LOGS_BUCKET.list({ prefix, cursor })
        keys.push(...page.objects.map((o) => o.key))
        cursor = page.truncated ? page.cursor : undefined
      } while (cursor)
      return keys
    },
    async read(key) {
      const object = await env.LOGS_BUCKET.get(key)
      if (!object) return null
      const { contentType, contentEncoding } = object.httpMetadata ?? {}
      return {
        bytes: new Uint8Array(await object.arrayBuffer()),
        contentType: contentType ?? null,
        contentEncoding: contentEncoding ?? null,
        etag: object.httpEtag,
      }
    },
  },
}

/** A reader of the NDJSON lines of a stored gzip object in `store`, parsed: `keys.map(linesIn(store))`. */
export function linesIn(store: Store): (key: string) => Promise<Record<string, unknown>[]> {
  return async (key) => {
    const object = await store.read(key)
    if (!object) throw new Error(`no object ${key} in ${store.sink}`)
    expect(object.contentEncoding).toBe('gzip')
    const text = new TextDecoder().decode(await gunzip(object.bytes))
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  }
}

/** The NDJSON lines of a stored gzip object in the S3 bucket, parsed. */
export const readObjectLines = linesIn(stores.s3)

/** Every key in the store that belongs to a batch. */
export async function keysOfBatch(batchId: string, store: Store = stores.s3, prefix = ''): Promise<string[]> {
  const all = [...(await store.listKeys(`${prefix}logs/`)), ...(await store.listKeys(`${prefix}parquet/`)), ...(await store.listKeys(`${prefix}quarantine/`))]
  return all.filter((k) => k.includes(batchId)).sort()
}
