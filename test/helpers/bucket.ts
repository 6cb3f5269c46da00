import { expect } from 'vitest'
import { env } from 'cloudflare:test'
import { readConfig } from '../../src/config'
import { s3ClientFor } from '../../src/storage/s3'
import { gunzip } from './streams'

const config = readConfig(env)
if (config.SINK !== 's3') throw new Error('the workers project runs with SINK=s3 (see vitest.config.ts); R2 tests set SINK=r2 per request')

/** A client's view of the test bucket (the same local S3 server the Worker writes to). */
export const bucket = s3ClientFor(config)

/** The NDJSON lines of a stored gzip object, parsed. */
export async function readObjectLines(key: string): Promise<Record<string, unknown>[]> {
  const res = await bucket.getObject(key)
  if (!res) throw new Error(`no object ${key}`)
  expect(res.headers.get('content-encoding')).toBe('gzip')
  const text = new TextDecoder().decode(await gunzip(new Uint8Array(await res.arrayBuffer())))
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

/** Every key in the bucket that belongs to a batch. */
export async function keysOfBatch(batchId: string): Promise<string[]> {
  const all = [...(await bucket.listKeys('logs/')), ...(await bucket.listKeys('quarantine/'))]
  return all.filter((k) => k.includes(batchId)).sort()
}
