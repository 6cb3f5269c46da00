import { within } from '../utils/within'
import type { CountersSummary } from './counters-summary'
import type { DatasetCounters } from './dataset-counters'
import type { BatchRecord, DatasetRecent, DatasetSnapshot, DatasetStats, HourlyPoint } from './types'

export type { BatchRecord, DatasetRecent, DatasetSnapshot, DatasetStats, DatasetTotals, HourlyPoint } from './types'

/** The part of the Worker's env the counters need; the generated `Env` satisfies it. */
export type CountersEnv = Pick<Env, 'DATASET_COUNTERS' | 'COUNTERS_SUMMARY'>

/**
 * Typed calls to one dataset's counters. Each method is one RPC to the dataset's Durable
 * Object; a rejected promise means the call did not reach it or it threw (bad record).
 */
export class DatasetCountersClient {
  constructor(
    readonly dataset: string,
    private readonly stub: DurableObjectStub<DatasetCounters>,
  ) {}

  /** Call only once the batch is durably in S3. Resolves `{counted: false}` for a batch id already counted. */
  recordBatch(rec: BatchRecord): Promise<{ counted: boolean }> {
    if (rec.dataset !== this.dataset) {
      return Promise.reject(new TypeError(`batch of ${rec.dataset} sent to the counters of ${this.dataset}`))
    }
    return this.stub.recordBatch(rec)
  }

  /** Whether this batch id was stored and counted before (within the last 7 days). */
  hasBatch(batchId: string): Promise<boolean> {
    return this.stub.hasBatch(batchId)
  }

  /** A Logpush destination check was answered. */
  recordValidation(): Promise<void> {
    return this.stub.recordValidation()
  }

  /** A batch was not stored; `reason` is a short code like 's3_unavailable', 'body_too_large', 'bad_gzip'. */
  recordFailure(reason: string): Promise<void> {
    return this.stub.recordFailure(reason)
  }

  async stats(): Promise<DatasetStats> {
    return { dataset: this.dataset, ...(await this.stub.stats()) }
  }

  /** The last 7 days by hour, oldest first; hours without activity are omitted. */
  series(): Promise<HourlyPoint[]> {
    return this.stub.series()
  }

  /** Totals and the last 48 hours, also pushed to the summary (best effort) on the way. */
  snapshot(): Promise<DatasetSnapshot> {
    return this.stub.snapshot()
  }
}

/** The one summary object of every dataset's totals (`CountersSummary`). */
export function summaryOf(env: Pick<Env, 'COUNTERS_SUMMARY'>): DurableObjectStub<CountersSummary> {
  const ns = env.COUNTERS_SUMMARY
  return ns.get(ns.idFromName('summary'))
}

/**
 * The counters of one dataset, an object per dataset name.
 * @example await countersFor(c.env, 'http_requests').recordBatch(record)
 */
export function countersFor(env: CountersEnv, dataset: string): DatasetCountersClient {
  const ns = env.DATASET_COUNTERS
  return new DatasetCountersClient(dataset, ns.get(ns.idFromName(dataset)))
}

/** A view waits this long for the summary before it asks each dataset instead. */
const SUMMARY_READ_TIMEOUT_MS = 2_000

/**
 * Totals and the last 48 hours of each dataset named, in that order, from the summary object:
 * one call, whatever the number of datasets. A dataset the summary has no snapshot of yet
 * (counters from before the summary, or a dataset never written) is asked for one, which it
 * also pushes to the summary, so that later reads find it: one extra call per such dataset, once.
 * The summary is only a copy: when it cannot be read, every dataset is asked, one call each.
 * @example const views = await readOverview(c.env, knownDatasets())
 */
export async function readOverview(env: CountersEnv, datasets: readonly string[]): Promise<DatasetRecent[]> {
  const kept = new Map<string, DatasetSnapshot>()
  try {
    for (const s of await within(summaryOf(env).read([...datasets]), SUMMARY_READ_TIMEOUT_MS, 'read of the summary')) kept.set(s.dataset, s)
  } catch (err) {
    console.error('counters: the summary could not be read; asking each dataset', err)
  }
  const missing = datasets.filter((name) => !kept.has(name))
  for (const s of await Promise.all(missing.map((name) => countersFor(env, name).snapshot()))) kept.set(s.dataset, s)
  return datasets.map((name) => {
    // Every name is kept by now: from the summary, or from the dataset asked just above.
    const s = kept.get(name)!
    return { stats: { dataset: name, ...s.totals }, series: s.recent }
  })
}
