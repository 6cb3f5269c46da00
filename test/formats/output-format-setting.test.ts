// OUTPUT_FORMAT, from the env to the keys a batch writes, and its configuration errors.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import httpLines from '../../fixtures/http_requests.unixnano.ndjson?raw'
import { ConfigError, readConfig } from '../../src/config'
import app from '../../src/index'
import type { BatchResult } from '../../src/ingest/batch'
import { bucket, readObjectLines } from '../helpers/bucket'
import { bytes } from '../helpers/streams'
import { uniquePrefix } from '../storage/helpers'

const TOKEN = 'dev-token'

function call(path: string, settings: Record<string, string>, body?: Uint8Array): Promise<Response> {
  const req = new Request(`http://worker${path}`, { method: body ? 'POST' : 'GET', body, headers: { Authorization: `Bearer ${TOKEN}` } })
  return Promise.resolve(app.fetch(req, { ...env, ...settings } as unknown as Env))
}

function problems(settings: Record<string, string>): string[] {
  try {
    readConfig({ ...env, ...settings })
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('OUTPUT_FORMAT', () => {
  it('ndjson, the default: gzip NDJSON objects under logs/', async () => {
    expect(readConfig({ ...env }).OUTPUT_FORMAT).toEqual(['ndjson'])
    const prefix = uniquePrefix('output-format')
    const res = await call('/logpush/http_requests', { OUTPUT_FORMAT: 'ndjson', S3_PREFIX: prefix }, bytes(httpLines))
    expect(res.status).toBe(200)
    const { keys, written } = (await res.json()) as BatchResult
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys)
      expect(key).toMatch(new RegExp(`^${prefix}logs/cloudflare_httprequest/year=\\d{4}/month=\\d\\d/day=\\d\\d/hour=\\d\\d/[0-9a-f]+\\.json\\.gz$`))
    expect((await Promise.all(keys.map(readObjectLines))).flat()).toHaveLength(written)
  })

  it('parquet, ndjson,parquet (in either order, with spaces): the formats in the order a batch writes them', () => {
    expect(readConfig({ ...env, OUTPUT_FORMAT: 'parquet' }).OUTPUT_FORMAT).toEqual(['parquet'])
    for (const value of ['ndjson,parquet', 'parquet, ndjson', ' ndjson , parquet ']) {
      expect(readConfig({ ...env, OUTPUT_FORMAT: value }).OUTPUT_FORMAT, value).toEqual(['ndjson', 'parquet'])
    }
  })

  it('parquet: Parquet objects under parquet/, with the Parquet content type', async () => {
    const prefix = uniquePrefix('output-format')
    const res = await call('/logpush/http_requests', { OUTPUT_FORMAT: 'parquet', S3_PREFIX: prefix }, bytes(httpLines))
    expect(res.status).toBe(200)
    const { keys } = (await res.json()) as BatchResult
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys)
      expect(key).toMatch(new RegExp(`^${prefix}parquet/cloudflare_httprequest/year=\\d{4}/month=\\d\\d/day=\\d\\d/hour=\\d\\d/[0-9a-f]+\\.parquet$`))
    const res2 = await bucket.getObject(keys[0]!)
    expect(res2?.headers.get('content-type')).toBe('application/vnd.apache.parquet')
    expect(res2?.headers.get('content-encoding')).toBeNull()
    expect(new TextDecoder().decode(new Uint8Array(await res2!.arrayBuffer()).subarray(0, 4))).toBe('PAR1')
  })

  it('anything else: a configuration error naming the accepted values, on /healthz and on ingest', async () => {
    for (const value of ['', 'json', 'NDJSON', 'ndjson,ndjson', 'ndjson,csv', 'parquet,parquet', ',']) {
      expect(problems({ OUTPUT_FORMAT: value }), value).toEqual(['OUTPUT_FORMAT: must be ndjson, parquet or ndjson,parquet'])
    }
    const health = await call('/healthz', { OUTPUT_FORMAT: 'csv' })
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({ ok: false, error: 'misconfigured', detail: [expect.stringContaining('OUTPUT_FORMAT: must be')] })
    const ingest = await call('/logpush/http_requests', { OUTPUT_FORMAT: 'csv' }, bytes(httpLines))
    expect(ingest.status).toBe(500)
    expect(await ingest.json()).toMatchObject({ error: 'misconfigured', detail: expect.stringContaining('OUTPUT_FORMAT') })
  })
})
