// GZIP_LEVEL, from the env to the objects a batch writes, and its configuration errors.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import httpLines from '../../fixtures/http_requests.unixnano.ndjson?raw'
import app from '../../src/index'
import type { BatchResult } from '../../src/ingest/batch'
import { bucket, readObjectLines } from '../helpers/bucket'
import { bytes, gzip } from '../helpers/streams'
import { uniquePrefix } from '../storage/helpers'

const TOKEN = 'dev-token'
const SECRETS = ['local-secret', 'logpush-secret', TOKEN]

function call(path: string, settings: Record<string, string>, body?: Uint8Array): Promise<Response> {
  const req = new Request(`http://worker${path}`, { method: body ? 'POST' : 'GET', body, headers: { Authorization: `Bearer ${TOKEN}` } })
  return Promise.resolve(app.fetch(req, { ...env, ...settings } as unknown as Env))
}

describe('GZIP_LEVEL', () => {
  it('is the level of the objects a batch writes: 1 and 9 store the same events, 9 in fewer bytes', async () => {
    const batch = await gzip(bytes(httpLines))
    const stored = async (level: string) => {
      const res = await call('/logpush/http_requests', { GZIP_LEVEL: level, S3_PREFIX: uniquePrefix(`level-${level}`) }, batch)
      expect(res.status).toBe(200)
      const { keys } = (await res.json()) as BatchResult
      const sizes = await Promise.all(keys.map(async (key) => (await bucket.headObject(key))?.size ?? 0))
      // p_parse_time is when the batch arrived: the one field that differs between the two posts.
      const events = (await Promise.all(keys.map(readObjectLines))).flat().map(({ p_parse_time: _, ...event }) => event)
      return { events, bytes: sizes.reduce((a, b) => a + b, 0) }
    }
    const [fastest, smallest] = [await stored('1'), await stored('9')]

    expect(fastest.events).toHaveLength(httpLines.trim().split('\n').length)
    expect(smallest.events).toEqual(fastest.events)
    expect(smallest.bytes).toBeLessThan(fastest.bytes)
  })

  for (const [what, value] of [
    ['0', '0'],
    ['10', '10'],
    ['a fraction', '5.5'],
    ['a word', 'fast'],
    ['empty', ''],
  ] as const) {
    it(`${what}: a configuration error that names GZIP_LEVEL, as any bad setting`, async () => {
      const ingest = await call('/logpush/http_requests', { GZIP_LEVEL: value }, bytes(httpLines))
      expect(ingest.status).toBe(500)
      const ingestBody = await ingest.text()
      expect(JSON.parse(ingestBody)).toMatchObject({ error: 'misconfigured', detail: expect.stringContaining('GZIP_LEVEL: must be an integer from 1') })

      const health = await call('/healthz', { GZIP_LEVEL: value })
      expect(health.status).toBe(503)
      const healthBody = await health.text()
      expect(JSON.parse(healthBody)).toMatchObject({ ok: false, error: 'misconfigured', detail: [expect.stringContaining('GZIP_LEVEL')] })
      for (const secret of SECRETS) expect(ingestBody + healthBody).not.toContain(secret)
    })
  }
})
