import { epochMillis } from '../schema/timestamp'
import { countersFor, type CountersEnv } from './client'
import type { BatchRecord } from './types'

/** What becomes of an error of the counters: counting never fails a batch, so it is only told. */
export type CountFailed = (err: unknown) => void

const logged =
  (what: string, dataset: string): CountFailed =>
  (err) =>
    console.error(`counters: ${what} failed`, dataset, err)

/** What ingest hands the counters of a stored batch: the record but its arrival time, with the latest p_event_time as written ('' when no event was). */
export type StoredBatch = Omit<BatchRecord, 'receivedAt' | 'maxEventTime'> & { maxEventTime: string }

/**
 * Counts a stored batch, once per batch id. Returns true when the batch had been counted
 * before (a Logpush retry after a lost answer). Counting never fails the batch: the data is
 * already durable, so a counters outage goes to `failed` (the log by default) and the batch is
 * reported as new.
 * @example const duplicate = await countStoredBatch(c.env, result, receivedAt)
 */
export async function countStoredBatch(
  env: CountersEnv,
  result: StoredBatch,
  receivedAt: number,
  failed: CountFailed = logged('recordBatch', result.dataset),
): Promise<boolean> {
  try {
    const { counted } = await countersFor(env, result.dataset).recordBatch({
      batchId: result.batchId,
      dataset: result.dataset,
      receivedAt,
      events: result.events,
      written: result.written,
      quarantined: result.quarantined,
      bytesReceived: result.bytesReceived,
      bytesDecompressed: result.bytesDecompressed,
      objects: result.objects,
      maxEventTime: result.maxEventTime === '' ? null : epochMillis(result.maxEventTime),
    })
    return !counted
  } catch (err) {
    failed(err)
    return false
  }
}

/** Counts a destination check; best effort. */
export async function countValidation(env: CountersEnv, dataset: string, failed: CountFailed = logged('recordValidation', dataset)): Promise<void> {
  await countersFor(env, dataset).recordValidation().catch(failed)
}

/** Counts a batch that was refused or could not be stored, by reason code; best effort. */
export async function countFailure(env: CountersEnv, dataset: string, reason: string, failed: CountFailed = logged('recordFailure', dataset)): Promise<void> {
  await countersFor(env, dataset).recordFailure(reason).catch(failed)
}
