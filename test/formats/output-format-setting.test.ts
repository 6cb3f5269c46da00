// OUTPUT_FORMAT, from the env to the keys a batch writes, and its configuration errors.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import httpLines from '../../fixtures/http_requests.unixnano.ndjson?raw'
import { ConfigError, readConfig } from '../../src/config'
import app from '../../src/index'
import type { BatchResult } from '../../src/ingest/batch'
import { readObjectLines } from '../helpers/bucket'
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
    expect(readConfig({ ...env }).OUTPUT_FORMAT).toBe('ndjson')
    const prefix = uniquePrefix('output-format')
    const res = await call('/logpush/http_requests', { OUTPUT_FORMAT: 'ndjson', S3_PREFIX: prefix }, bytes(httpLines))
    expect(res.status).toBe(200)
    const { keys, written } = (await res.json()) as BatchResult
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys)
      expect(key).toMatch(new RegExp(`^${prefix}logs/cloudflare_httprequest/year=\\d{4}/month=\\d\\d/day=\\d\\d/hour=\\d\\d/[0-9a-f]+\\.json\\.gz$`))
    expect((await Promise.all(keys.map(readObjectLines))).flat()).toHaveLength(written)
  })

  it('parquet, alone or beside ndjson: a configuration error saying it is not built yet', async () => {
    for (const value of ['parquet', 'ndjson,parquet', 'parquet, ndjson']) {
      expect(problems({ OUTPUT_FORMAT: value })).toEqual(['OUTPUT_FORMAT: parquet output is not built yet: ndjson is the only format for now'])
    }
    const health = await call('/healthz', { OUTPUT_FORMAT: 'parquet' })
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({
      ok: false,
      error: 'misconfigured',
      detail: [expect.stringContaining('OUTPUT_FORMAT: parquet output is not built yet')],
    })
    const ingest = await call('/logpush/http_requests', { OUTPUT_FORMAT: 'parquet' }, bytes(httpLines))
    expect(ingest.status).toBe(500)
    expect(await ingest.json()).toMatchObject({ error: 'misconfigured', detail: expect.stringContaining('OUTPUT_FORMAT') })
  })

  it('anything else: a configuration error naming the accepted values', () => {
    for (const value of ['', 'json', 'NDJSON', 'ndjson,ndjson', 'ndjson,csv', 'parquet,parquet']) {
      expect(problems({ OUTPUT_FORMAT: value }), value).toEqual(['OUTPUT_FORMAT: must be ndjson, parquet or ndjson,parquet'])
    }
  })
})
