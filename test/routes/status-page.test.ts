import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { countersFor } from '../../src/counters/client'
import app from '../../src/index'
import { knownDatasets } from '../../src/schema/registry'

// Every dataset of the manifest, in the order the API lists them.
const DATASETS = knownDatasets()

const basic = (user: string, password: string) => ({ Authorization: `Basic ${btoa(`${user}:${password}`)}` })
const get = (headers: Record<string, string>) => exports.default.fetch(new Request('http://edge.test/', { headers }))

describe('GET /', () => {
  it('asks for HTTP Basic credentials', async () => {
    for (const headers of [{}, basic('operator', 'wrong-token'), { Authorization: 'Bearer dev-token' }]) {
      const res = await get(headers)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="logpush-edge"')
    }
  })

  it('renders a card per dataset, with no secret in it', async () => {
    await countersFor(env, 'spectrum_events').recordBatch({
      batchId: 'status-page-1',
      dataset: 'spectrum_events',
      receivedAt: Date.now() - 60_000,
      events: 1_234,
      written: 1_230,
      quarantined: 4,
      bytesReceived: 5_000,
      bytesDecompressed: 50_000,
      objects: 1,
      maxEventTime: Date.now() - 120_000,
    })
    const res = await get(basic('anyone', 'dev-token'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await res.text()
    for (const name of DATASETS) expect(html).toContain(`data-dataset="${name}"`)
    // The one dataset with traffic has a card; the others are folded into one list, counted.
    expect(html.match(/<article [^>]*data-dataset="([^"]+)"/g)).toEqual([expect.stringContaining('data-dataset="spectrum_events"')])
    expect(html).toContain(`<details class="idle" data-idle="${DATASETS.length - 1}">`)
    for (const name of DATASETS.filter((d) => d !== 'spectrum_events')) expect(html).toMatch(new RegExp(`<li data-dataset="${name}"`))
    expect(html).toContain('data-metric="events" data-value="1234">1,234<')
    // Long names break between their words in a narrow column, never inside one.
    expect(html).toContain('<h2>spectrum_<wbr/>events</h2>')
    expect(html).toContain('<code class="idle-name">http_<wbr/>requests</code>')
    expect(html).not.toContain('<script')
    for (const secret of ['dev-token', 'local-secret']) expect(html).not.toContain(secret)
  })

  it('names the configured sink, S3 or R2', async () => {
    const page = async (settings: Record<string, string>) => {
      await countersFor(env, 'http_requests').recordBatch({
        batchId: `status-page-sink-${settings.SINK ?? 's3'}`,
        dataset: 'http_requests',
        receivedAt: Date.now() - 60_000,
        events: 5,
        written: 5,
        quarantined: 0,
        bytesReceived: 100,
        bytesDecompressed: 1_000,
        objects: 1,
        maxEventTime: Date.now() - 90_000,
      })
      const res = await app.fetch(new Request('http://edge.test/', { headers: basic('operator', 'dev-token') }), { ...env, ...settings })
      expect(res.status).toBe(200)
      return res.text()
    }
    const s3 = await page({})
    expect(s3).toContain('<dt>S3 objects</dt>')
    expect(s3).toContain('durably stored in S3;')
    const r2 = await page({ SINK: 'r2' })
    expect(r2).toContain('<dt>R2 objects</dt>')
    expect(r2).toContain('durably stored in R2;')
    expect(r2).not.toMatch(/\bS3\b/)
  })
})
