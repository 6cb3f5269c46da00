import type { DatasetCounters } from './dataset-counters'
import type { BatchRecord, DatasetStats, HourlyPoint } from './types'

export type { BatchRecord, DatasetStats, DatasetTotals, HourlyPoint } from './types'

/** The part of the Worker's env the counters need; the generated `Env` satisfies it. */
export type CountersEnv = Pick<Env, 'DATASET_COUNTERS'>

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
}

/**
 * The counters of one dataset, an object per dataset name.
 * @example await countersFor(c.env, 'http_requests').recordBatch(record)
 */
export function countersFor(env: CountersEnv, dataset: string): DatasetCountersClient {
  const ns = env.DATASET_COUNTERS
  return new DatasetCountersClient(dataset, ns.get(ns.idFromName(dataset)))
}
