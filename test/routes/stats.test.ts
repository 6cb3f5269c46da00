import { runInDurableObject } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { countersFor, summaryOf } from '../../src/counters/client'
import { HOUR_MS, hourOf } from '../../src/counters/hours'
import app from '../../src/index'
import { knownDatasets } from '../../src/schema/registry'
import { countingEnv } from '../helpers/counting-env'

// Every dataset of the manifest, in the order the API lists them.
const DATASETS = knownDatasets()

const auth = { Authorization: 'Bearer dev-token' }
const get = (path: string, headers: Record<string, string> = auth) => exports.default.fetch(new Request(`http://edge.test${path}`, { headers }))

type ErrorBody = { error: string; detail: string }

describe('GET /stats', () => {
  it('needs the bearer token', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong-token' }]
    for (const headers of attempts) {
      const res = await get('/stats', headers)
      expect(res.status).toBe(401)
      expect(await res.json<ErrorBody>()).toMatchObject({ error: 'unauthorized' })
    }
    expect((await get('/stats/http_requests', {})).status).toBe(401)
  })

  it('lists every known dataset with its totals', async () => {
    const res = await get('/stats')
    expect(res.status).toBe(200)
    const body = await res.json<{ generatedAt: number; datasets: { dataset: string; batches: number }[] }>()
    expect(body.generatedAt).toBeTypeOf('number')
    expect(body.datasets.map((d) => d.dataset)).toEqual([...DATASETS])
    for (const d of body.datasets) {
      expect(Object.keys(d).sort()).toEqual(
        [
          'dataset',
          'batches',
          'events',
          'written',
          'quarantined',
          'bytesReceived',
          'bytesDecompressed',
          'objects',
          'validations',
          'duplicates',
          'failures',
          'failuresByReason',
          'quarantineRate',
          'lastBatchAt',
          'lastEventAt',
          'lagMs',
          'lastFailureAt',
          'lastValidationAt',
        ].sort(),
      )
    }
  })
})

describe('GET /stats/:dataset', () => {
  it('answers one dataset with its hourly series', async () => {
    const now = Date.now()
    const counters = countersFor(env, 'firewall_events')
    await counters.recordBatch({
      batchId: 'stats-route-1',
      dataset: 'firewall_events',
      receivedAt: now - HOUR_MS,
      events: 7,
      written: 5,
      quarantined: 2,
      bytesReceived: 300,
      bytesDecompressed: 2_000,
      objects: 2,
      maxEventTime: now - HOUR_MS - 90_000,
    })
    await counters.recordFailure('s3_unavailable')

    const res = await get('/stats/firewall_events')
    expect(res.status).toBe(200)
    const body = await res.json<Record<string, unknown>>()
    expect(body).toMatchObject({
      dataset: 'firewall_events',
      batches: 1,
      events: 7,
      quarantined: 2,
      failures: 1,
      failuresByReason: { s3_unavailable: 1 },
      lagMs: 90_000,
      series: [
        { hour: hourOf(now - HOUR_MS), batches: 1, events: 7, written: 5, quarantined: 2, bytes: 300, failures: 0 },
        { hour: hourOf(now), batches: 0, events: 0, written: 0, quarantined: 0, bytes: 0, failures: 1 },
      ],
    })
    const all = await (await get('/stats')).json<{ datasets: { dataset: string; events: number }[] }>()
    expect(all.datasets.find((d) => d.dataset === 'firewall_events')?.events).toBe(7)
  })

  it('answers 404 for an unknown dataset, naming the known ones', async () => {
    const res = await get('/stats/not_a_dataset')
    expect(res.status).toBe(404)
    const body = await res.json<ErrorBody>()
    expect(body.error).toBe('unknown_dataset')
    for (const name of DATASETS) expect(body.detail).toContain(name)
  })
})

// Each view used to cost a call per dataset (/stats) or two (the page: totals and series), every
// minute per open tab. The summary object answers for every dataset in one.
describe('Durable Object calls per view', () => {
  const views: [string, Record<string, string>][] = [
    ['/stats', auth],
    ['/', { Authorization: `Basic ${btoa('operator:dev-token')}` }],
  ]

  it(`GET /stats and GET / read all ${DATASETS.length} datasets in one call`, async () => {
    expect(DATASETS.length, 'enough datasets to tell one call from one per dataset').toBeGreaterThan(1)
    const now = Date.now()
    for (const dataset of DATASETS) {
      const rec = {
        dataset,
        receivedAt: now - 60_000,
        events: 3,
        written: 3,
        quarantined: 0,
        bytesReceived: 90,
        bytesDecompressed: 900,
        objects: 1,
        maxEventTime: now - 70_000,
      }
      await countersFor(env, dataset).recordBatch({ batchId: `per-view-${dataset}`, ...rec })
    }
    for (const [path, headers] of views) {
      const { env: counted, calls } = countingEnv(env)
      const res = await app.fetch(new Request(`http://edge.test${path}`, { headers }), counted)
      expect(res.status, path).toBe(200)
      expect(calls, path).toEqual(['COUNTERS_SUMMARY.read'])
    }
    const body = await (await get('/stats')).json<{ datasets: { dataset: string; batches: number }[] }>()
    for (const d of body.datasets) expect(d.batches, d.dataset).toBeGreaterThanOrEqual(1)
  })

  it('asks a dataset the summary has no snapshot of once, then reads it from the summary', async () => {
    // A fresh summary, as right after the deploy that brings it: each dataset is asked once.
    await runInDurableObject(summaryOf(env), (_instance, state) => state.storage.sql.exec('DELETE FROM snapshots'))
    const first = countingEnv(env)
    expect((await app.fetch(new Request('http://edge.test/stats', { headers: auth }), first.env)).status).toBe(200)
    expect(first.calls).toEqual(['COUNTERS_SUMMARY.read', ...DATASETS.map(() => 'DATASET_COUNTERS.snapshot')])
    for (const [path, headers] of views) {
      const { env: counted, calls } = countingEnv(env)
      expect((await app.fetch(new Request(`http://edge.test${path}`, { headers }), counted)).status).toBe(200)
      expect(calls, path).toEqual(['COUNTERS_SUMMARY.read'])
    }
  })

  it("GET /stats/:dataset still reads the dataset's own object, for its 7 days of hours", async () => {
    const { env: counted, calls } = countingEnv(env)
    const res = await app.fetch(new Request('http://edge.test/stats/http_requests', { headers: auth }), counted)
    expect(res.status).toBe(200)
    expect(calls.sort()).toEqual(['DATASET_COUNTERS.series', 'DATASET_COUNTERS.stats'])
  })
})

describe('routes without auth', () => {
  it('keeps /healthz open', async () => {
    expect((await get('/healthz', {})).status).toBe(200)
  })
})
