import { epochMillis } from '../schema/timestamp'
import { countersFor, type CountersEnv } from './client'
import type { BatchRecord } from './types'

/** What ingest hands the counters of a stored batch: the record but its arrival time, with the latest p_event_time as written ('' when no event was). */
export type StoredBatch = Omit<BatchRecord, 'receivedAt' | 'maxEventTime'> & { maxEventTime: string }

/**
 * Counts a stored batch, once per batch id. Returns true when the batch had been counted
 * before (a Logpush retry after a lost answer). Counting never fails the batch: the data is
 * already durable, so a counters outage is logged and the batch reported as new.
 * @example const duplicate = await countStoredBatch(c.env, result, receivedAt)
 */
export async function countStoredBatch(env: CountersEnv, result: StoredBatch, receivedAt: number): Promise<boolean> {
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
    console.error('counters: recordBatch failed', result.dataset, err)
    return false
  }
}

/** Counts a destination check; best effort. */
export async function countValidation(env: CountersEnv, dataset: string): Promise<void> {
  await countersFor(env, dataset)
    .recordValidation()
    .catch((err: unknown) => console.error('counters: recordValidation failed', dataset, err))
}

/** Counts a batch that was refused or could not be stored, by reason code; best effort. */
export async function countFailure(env: CountersEnv, dataset: string, reason: string): Promise<void> {
  await countersFor(env, dataset)
    .recordFailure(reason)
    .catch((err: unknown) => console.error('counters: recordFailure failed', dataset, err))
}
