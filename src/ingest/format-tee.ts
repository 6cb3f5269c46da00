import type { CheckedEvent, FormatWriter, StoredObject } from '../ports'
import type { EventWriter } from './partitioned-output'

/**
 * One partition's events written in several formats at once (`OUTPUT_FORMAT=ndjson,parquet`):
 * each event goes to every format's writer, and the partition's objects are stored, split and
 * removed together, so an NDJSON object and its Parquet twin always hold the same events. The
 * bytes they hold add up in `held`: the batch's one budget bounds both.
 * @example const writer = new FormatTee([ndjson.open(storage, ndjsonKey, options), parquet.open(storage, parquetKey, options)])
 */
export class FormatTee implements EventWriter {
  constructor(private readonly writers: readonly FormatWriter[]) {}

  get held(): number {
    let held = 0
    for (const w of this.writers) held += w.held
    return held
  }

  async write(event: CheckedEvent): Promise<void> {
    // One after the other: the event is valid only until this settles, and each writer takes
    // what it needs of it before its own write settles.
    for (const w of this.writers) await w.write(event)
  }

  async suspend(): Promise<void> {
    for (const w of this.writers) await w.suspend()
  }

  /** Stores every format's object; if one fails, the others are aborted and its error thrown. */
  async close(): Promise<StoredObject[]> {
    const results = await Promise.allSettled(this.writers.map((w) => w.close()))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) {
      await this.abort(failed.reason)
      throw failed.reason
    }
    return results.map((r) => (r as PromiseFulfilledResult<StoredObject>).value)
  }

  async abort(reason?: unknown): Promise<void> {
    await Promise.all(this.writers.map((w) => w.abort(reason)))
  }
}
