import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { countersFor, type BatchRecord } from '../../src/counters/client'
import type { DatasetCounters } from '../../src/counters/dataset-counters'
import { DAY_MS, HOUR_MS } from '../../src/counters/hours'

const T0 = Date.UTC(2026, 10, 20, 12, 15, 0)

// Each test gets a dataset name (so an object) of its own: no test sees another's counts.
const freshDataset = () => `test_${crypto.randomUUID()}`

function batch(dataset: string, fields: Partial<BatchRecord> = {}): BatchRecord {
  return {
    batchId: crypto.randomUUID(),
    dataset,
    receivedAt: T0,
    events: 10,
    written: 9,
    quarantined: 1,
    bytesReceived: 120,
    bytesDecompressed: 1_500,
    objects: 2,
    maxEventTime: T0 - 30_000,
    ...fields,
  }
}

function stubOf(dataset: string) {
  const ns = env.DATASET_COUNTERS
  return ns.get(ns.idFromName(dataset))
}

/** Moves the object's clock: retention, failures and validations follow it. */
async function setClock(dataset: string, at: number): Promise<void> {
  await runInDurableObject(stubOf(dataset), (instance: DatasetCounters) => {
    instance.now = () => at
  })
}

describe('DatasetCounters', () => {
  it('starts at zero', async () => {
    const stats = await countersFor(env, 'test_empty').stats()
    expect(stats).toMatchObject({ dataset: 'test_empty', batches: 0, events: 0, quarantineRate: 0, lastBatchAt: null, lagMs: null })
    expect(await countersFor(env, 'test_empty').series()).toEqual([])
  })

  it('knows whether a batch id was counted', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    const rec = batch(dataset)
    expect(await counters.hasBatch(rec.batchId)).toBe(false)
    await counters.recordFailure('storage_unavailable')
    expect(await counters.hasBatch(rec.batchId)).toBe(false)
    await counters.recordBatch(rec)
    expect(await counters.hasBatch(rec.batchId)).toBe(true)
  })

  it('counts a batch into the totals and its hour', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    await setClock(dataset, T0)
    expect(await counters.recordBatch(batch(dataset))).toEqual({ counted: true })

    expect(await counters.stats()).toEqual({
      dataset,
      batches: 1,
      events: 10,
      written: 9,
      quarantined: 1,
      bytesReceived: 120,
      bytesDecompressed: 1_500,
      objects: 2,
      validations: 0,
      duplicates: 0,
      failures: 0,
      failuresByReason: {},
      quarantineRate: 0.1,
      lastBatchAt: T0,
      lastEventAt: T0 - 30_000,
      lagMs: 30_000,
      lastFailureAt: null,
      lastValidationAt: null,
    })
    expect(await counters.series()).toEqual([{ hour: Date.UTC(2026, 10, 20, 12), batches: 1, events: 10, written: 9, quarantined: 1, bytes: 120, failures: 0 }])
  })

  it('adds up 50 concurrent batches exactly', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    await setClock(dataset, T0 + 3 * HOUR_MS)
    // Spread over three hours, with different sizes, all in flight at once.
    const batches = Array.from({ length: 50 }, (_, i) =>
      batch(dataset, {
        receivedAt: T0 + (i % 3) * HOUR_MS,
        events: i + 1,
        written: i,
        quarantined: 1,
        bytesReceived: 1_000 + i,
        bytesDecompressed: 10_000 + i,
        objects: 1 + (i % 2),
        maxEventTime: T0 - 1_000 * i,
      }),
    )
    const results = await Promise.all(batches.map((b) => counters.recordBatch(b)))
    expect(results.every((r) => r.counted)).toBe(true)

    const sum = (f: (b: BatchRecord) => number) => batches.reduce((acc, b) => acc + f(b), 0)
    const stats = await counters.stats()
    expect(stats).toMatchObject({
      batches: 50,
      events: sum((b) => b.events),
      written: sum((b) => b.written),
      quarantined: 50,
      bytesReceived: sum((b) => b.bytesReceived),
      bytesDecompressed: sum((b) => b.bytesDecompressed),
      objects: sum((b) => b.objects),
      duplicates: 0,
      lastBatchAt: T0 + 2 * HOUR_MS,
      lastEventAt: T0,
    })
    const series = await counters.series()
    expect(series.map((p) => p.batches)).toEqual([17, 17, 16])
    expect(series.reduce((acc, p) => acc + p.events, 0)).toBe(stats.events)
    expect(series.reduce((acc, p) => acc + p.bytes, 0)).toBe(stats.bytesReceived)
  })

  it('counts a batch id once, also when its retries arrive at the same time', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    // The series covers the 7 days before the object's clock: pinned, so T0 stays inside them.
    await setClock(dataset, T0)
    const once = batch(dataset, { batchId: 'sha256:retried' })
    const results = await Promise.all(Array.from({ length: 10 }, () => counters.recordBatch(once)))
    expect(results.filter((r) => r.counted)).toHaveLength(1)
    expect(await counters.recordBatch({ ...once, receivedAt: T0 + 60_000 })).toEqual({ counted: false })

    const stats = await counters.stats()
    expect(stats).toMatchObject({ batches: 1, events: 10, duplicates: 10, lastBatchAt: T0 })
    expect((await counters.series())[0]?.batches).toBe(1)
  })

  it('keeps the lag of the most recently received batch, whatever the order of the calls', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    await counters.recordBatch(batch(dataset, { receivedAt: T0 + 60_000, maxEventTime: T0 + 55_000 }))
    // An older request recorded later (a slow upload) must not move the lag back.
    await counters.recordBatch(batch(dataset, { receivedAt: T0, maxEventTime: T0 - 600_000 }))
    // A batch with no event time (all lines quarantined) leaves the lag as it was.
    await counters.recordBatch(batch(dataset, { receivedAt: T0 + 120_000, maxEventTime: null }))
    expect(await counters.stats()).toMatchObject({
      lastBatchAt: T0 + 120_000,
      lastEventAt: T0 + 55_000,
      lagMs: 5_000,
    })
  })

  it('counts failures by reason code and validations apart from batches', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    await setClock(dataset, T0)
    await Promise.all([
      counters.recordFailure('s3_unavailable'),
      counters.recordFailure('s3_unavailable'),
      counters.recordFailure('bad_gzip'),
      counters.recordFailure('Body Too Large!'),
      counters.recordValidation(),
    ])
    expect(await counters.stats()).toMatchObject({
      batches: 0,
      events: 0,
      failures: 4,
      failuresByReason: { s3_unavailable: 2, bad_gzip: 1, body_too_large: 1 },
      lastFailureAt: T0,
      validations: 1,
      lastValidationAt: T0,
    })
    expect(await counters.series()).toEqual([{ hour: Date.UTC(2026, 10, 20, 12), batches: 0, events: 0, written: 0, quarantined: 0, bytes: 0, failures: 4 }])
  })

  it('rejects a malformed record and counts nothing', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    // Inside the object rather than over RPC: the pool reports every rejected DO RPC as an
    // unhandled rejection even when the test handles it (workers-sdk issue 14736).
    await runInDurableObject(stubOf(dataset), async (instance: DatasetCounters) => {
      await expect(instance.recordBatch(batch(dataset, { events: -1 }))).rejects.toThrow(/events must be a non-negative integer/)
      await expect(instance.recordBatch(batch(dataset, { bytesReceived: Number.NaN }))).rejects.toThrow(/bytesReceived/)
      await expect(instance.recordBatch(batch(dataset, { batchId: '' }))).rejects.toThrow(/batchId/)
      await expect(instance.recordBatch(batch(dataset, { receivedAt: 1.5 }))).rejects.toThrow(/receivedAt/)
    })
    await expect(counters.recordBatch(batch('http_requests'))).rejects.toThrow(/sent to the counters of/)
    expect(await counters.stats()).toMatchObject({ batches: 0, events: 0 })
    expect(await counters.series()).toEqual([])
  })

  it('prunes hours and batch ids older than 7 days, keeping the totals', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    await setClock(dataset, T0)
    const old = batch(dataset, { receivedAt: T0 })
    const recent = batch(dataset, { receivedAt: T0 + 3 * DAY_MS })
    await counters.recordBatch(old)
    await counters.recordBatch(recent)
    expect(await counters.series()).toHaveLength(2)

    // Seven days and an hour on, the alarm drops the first hour and the first batch id.
    await setClock(dataset, T0 + 7 * DAY_MS + HOUR_MS)
    expect(await runDurableObjectAlarm(stubOf(dataset))).toBe(true)
    expect((await counters.series()).map((p) => p.hour)).toEqual([Date.UTC(2026, 10, 23, 12)])
    expect(await counters.stats()).toMatchObject({ batches: 2, events: 20 })

    // The old id fell out of the dedup window; the recent one is still remembered.
    expect(await counters.recordBatch(recent)).toEqual({ counted: false })
    expect(await counters.recordBatch(old)).toEqual({ counted: true })

    const seen = await runInDurableObject(
      stubOf(dataset),
      (_instance, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM seen_batches').one().n,
    )
    expect(seen).toBe(2)
    // The alarm re-armed itself while there is data left to prune.
    expect(await runDurableObjectAlarm(stubOf(dataset))).toBe(true)
  })

  it('leaves hours older than 7 days out of the series even before the alarm runs', async () => {
    const dataset = freshDataset()
    const counters = countersFor(env, dataset)
    await setClock(dataset, T0)
    await counters.recordBatch(batch(dataset, { receivedAt: T0 - 7 * DAY_MS }))
    await counters.recordBatch(batch(dataset, { receivedAt: T0 - 7 * DAY_MS + HOUR_MS }))
    expect((await counters.series()).map((p) => p.hour)).toEqual([Date.UTC(2026, 10, 13, 13)])
  })
})
