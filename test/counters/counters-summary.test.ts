import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { countersFor, readOverview, summaryOf, type BatchRecord, type DatasetSnapshot } from '../../src/counters/client'
import { PUBLISH_WAIT_MS } from '../../src/counters/dataset-counters'
import { HOUR_MS, RECENT_HOURS, hourOf } from '../../src/counters/hours'
import { knownDatasets } from '../../src/schema/registry'
import { countingEnv } from '../helpers/counting-env'

// Only a few schemas exist in this build; a deployment serves dozens. Synthetic names, written
// through the objects' own API, stand in for them: each test has names of its own.
const SCALE = Math.max(37, knownDatasets().length)
const freshDatasets = (n: number) => {
  const run = crypto.randomUUID().slice(0, 8)
  return Array.from({ length: n }, (_, i) => `test_${run}_${String(i).padStart(2, '0')}`)
}

function batch(dataset: string, fields: Partial<BatchRecord> = {}): BatchRecord {
  const now = Date.now()
  return {
    batchId: crypto.randomUUID(),
    dataset,
    receivedAt: now - 60_000,
    events: 10,
    written: 9,
    quarantined: 1,
    bytesReceived: 120,
    bytesDecompressed: 1_500,
    objects: 2,
    maxEventTime: now - 90_000,
    ...fields,
  }
}

/** What the dataset's own object says: the source the summary must agree with. */
async function ownView(dataset: string) {
  const counters = countersFor(env, dataset)
  const first = hourOf(Date.now()) - (RECENT_HOURS - 1) * HOUR_MS
  return { stats: await counters.stats(), series: (await counters.series()).filter((p) => p.hour >= first) }
}

async function summaryTable<T>(run: (sql: SqlStorage) => T): Promise<T> {
  return runInDurableObject(summaryOf(env), (_instance, state) => run(state.storage.sql))
}

describe('CountersSummary', () => {
  it(`reads ${SCALE} datasets in one call, once each has a snapshot`, async () => {
    const names = freshDatasets(SCALE)
    // A few with traffic, one failing, one only checked by Logpush, the rest never written.
    for (const [i, name] of names.slice(0, 5).entries()) {
      await Promise.all(Array.from({ length: i + 1 }, (_, k) => countersFor(env, name).recordBatch(batch(name, { events: 10 * (k + 1) }))))
    }
    await countersFor(env, names[5] ?? '').recordFailure('s3_unavailable')
    await countersFor(env, names[6] ?? '').recordValidation()

    const first = countingEnv(env)
    const views = await readOverview(first.env, names)
    // The written datasets pushed on write; each never-written one is asked once.
    expect(first.calls.filter((c) => c === 'COUNTERS_SUMMARY.read')).toHaveLength(1)
    expect(first.calls.filter((c) => c === 'DATASET_COUNTERS.snapshot')).toHaveLength(SCALE - 7)
    expect(first.calls).toHaveLength(1 + SCALE - 7)

    const again = countingEnv(env)
    expect(await readOverview(again.env, names)).toEqual(views)
    expect(again.calls).toEqual(['COUNTERS_SUMMARY.read'])

    expect(views.map((v) => v.stats.dataset)).toEqual(names)
    for (const view of views) expect(view, view.stats.dataset).toEqual(await ownView(view.stats.dataset))
    expect(views.map((v) => v.stats.batches)).toEqual([1, 2, 3, 4, 5, ...Array<number>(SCALE - 5).fill(0)])
    expect(views[5]?.stats.failuresByReason).toEqual({ s3_unavailable: 1 })
    expect(views[6]?.stats.validations).toBe(1)
  })

  it('follows the exactly-once count of the dataset: a retried batch changes only duplicates', async () => {
    const [name = ''] = freshDatasets(1)
    const counters = countersFor(env, name)
    const once = batch(name, { batchId: 'sha256:retried' })
    const results = await Promise.all(Array.from({ length: 5 }, () => counters.recordBatch(once)))
    expect(results.filter((r) => r.counted)).toHaveLength(1)
    await counters.recordBatch(once)

    const [view] = await readOverview(env, [name])
    expect(view?.stats).toMatchObject({ batches: 1, events: 10, duplicates: 5 })
    expect(view?.series.reduce((acc, p) => acc + p.batches, 0)).toBe(1)
    expect(view).toEqual(await ownView(name))
  })

  it('holds every write of a burst of concurrent batches', async () => {
    const [name = ''] = freshDatasets(1)
    const counters = countersFor(env, name)
    const batches = Array.from({ length: 50 }, (_, i) => batch(name, { events: i + 1, receivedAt: Date.now() - (i % 3) * HOUR_MS }))
    await Promise.all(batches.map((b) => counters.recordBatch(b)))
    const [view] = await readOverview(env, [name])
    expect(view?.stats.batches).toBe(50)
    expect(view?.stats.events).toBe(batches.reduce((acc, b) => acc + b.events, 0))
    expect(view).toEqual(await ownView(name))
  })

  it('keeps the newest snapshot whatever order pushes arrive in', async () => {
    const [name = ''] = freshDatasets(1)
    await countersFor(env, name).recordBatch(batch(name))
    const [kept] = await summaryOf(env).read([name])
    expect(kept?.version).toBe(1)
    const older: DatasetSnapshot = { dataset: name, version: 0, totals: { ...(kept as DatasetSnapshot).totals, batches: 0 }, recent: [] }
    await summaryOf(env).put(older)
    await summaryOf(env).put({ ...(kept as DatasetSnapshot), totals: { ...(kept as DatasetSnapshot).totals, events: 999 } })
    expect(await summaryOf(env).read([name])).toEqual([kept])
  })

  it('asks a dataset written before the summary existed once, then reads it from the summary', async () => {
    const [name = ''] = freshDatasets(1)
    await countersFor(env, name).recordBatch(batch(name))
    await countersFor(env, name).recordBatch(batch(name))
    // As if the object had counted these before this version was deployed.
    await summaryTable((sql) => sql.exec('DELETE FROM snapshots WHERE dataset = ?', name))

    const first = countingEnv(env)
    const [view] = await readOverview(first.env, [name])
    expect(first.calls).toEqual(['COUNTERS_SUMMARY.read', 'DATASET_COUNTERS.snapshot'])
    expect(view?.stats.batches).toBe(2)
    const again = countingEnv(env)
    expect(await readOverview(again.env, [name])).toEqual([view])
    expect(again.calls).toEqual(['COUNTERS_SUMMARY.read'])
  })

  it('fails no batch while the summary is out of reach, and catches up from the alarm', async () => {
    const [name = ''] = freshDatasets(1)
    const counters = countersFor(env, name)
    await counters.recordBatch(batch(name))
    // A real failure of the real object: every put throws "no such table".
    await summaryTable((sql) => sql.exec('ALTER TABLE snapshots RENAME TO snapshots_away'))
    try {
      expect(await counters.recordBatch(batch(name))).toEqual({ counted: true })
      await counters.recordFailure('bad_gzip')
      expect(await counters.stats()).toMatchObject({ batches: 2, failures: 1 })
    } finally {
      await summaryTable((sql) => sql.exec('ALTER TABLE snapshots_away RENAME TO snapshots'))
    }

    const stub = env.DATASET_COUNTERS.get(env.DATASET_COUNTERS.idFromName(name))
    const [stale] = await summaryOf(env).read([name])
    expect(stale?.totals).toMatchObject({ batches: 1, failures: 0 })
    // The failed push moved the alarm to a minute from now, not the hour of pruning.
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())
    expect(alarm).not.toBeNull()
    expect((alarm ?? Infinity) - Date.now()).toBeLessThanOrEqual(60_000)

    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const [caughtUp] = await readOverview(env, [name])
    expect(caughtUp).toEqual(await ownView(name))
    expect(caughtUp?.stats).toMatchObject({ batches: 2, failures: 1 })
  })

  it(`holds a batch ${PUBLISH_WAIT_MS} ms at most while the summary does not answer, even behind another push`, async () => {
    const [name = ''] = freshDatasets(1)
    const counters = countersFor(env, name)
    await counters.recordBatch(batch(name))
    // The summary takes no call for 4.5 s, as an overloaded object would.
    const blocked = runInDurableObject(summaryOf(env), (_instance, state) => state.blockConcurrencyWhile(() => scheduler.wait(4_500)))
    await scheduler.wait(100)
    const timed = async (rec: BatchRecord) => {
      const started = Date.now()
      const result = await counters.recordBatch(rec)
      return { result, took: Date.now() - started }
    }
    const first = timed(batch(name))
    await scheduler.wait(300)
    // Its push waits behind the first one (which the summary leaves hanging), then hangs too:
    // about 3.7 s if a write waited for the pushes ahead of it.
    const second = await timed(batch(name))
    expect(second.result).toEqual({ counted: true })
    expect(second.took).toBeGreaterThanOrEqual(PUBLISH_WAIT_MS - 100)
    expect(second.took).toBeLessThan(PUBLISH_WAIT_MS + 700)
    expect((await first).result).toEqual({ counted: true })
    expect((await first).took).toBeLessThan(PUBLISH_WAIT_MS + 700)
    expect(await counters.stats()).toMatchObject({ batches: 3 })
    await blocked

    // The pushes that gave up moved the alarm to a minute from now; it brings the summary level.
    const stub = env.DATASET_COUNTERS.get(env.DATASET_COUNTERS.idFromName(name))
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())
    expect((alarm ?? Infinity) - Date.now()).toBeLessThanOrEqual(60_000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const [view] = await readOverview(env, [name])
    expect(view).toEqual(await ownView(name))
    expect(view?.stats.batches).toBe(3)
  })

  it('asks each dataset, one call each, when the summary cannot be read', async () => {
    const names = freshDatasets(3)
    for (const name of names) await countersFor(env, name).recordBatch(batch(name))
    await summaryTable((sql) => sql.exec('ALTER TABLE snapshots RENAME TO snapshots_away'))
    try {
      const counted = countingEnv(env)
      const views = await readOverview(counted.env, names)
      expect(counted.calls).toEqual(['COUNTERS_SUMMARY.read', ...names.map(() => 'DATASET_COUNTERS.snapshot')])
      for (const view of views) expect(view).toEqual(await ownView(view.stats.dataset))
      expect(views.map((v) => v.stats.batches)).toEqual([1, 1, 1])
    } finally {
      await summaryTable((sql) => sql.exec('ALTER TABLE snapshots_away RENAME TO snapshots'))
    }
  })
})
