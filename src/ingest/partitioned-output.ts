import type { BatchOutput, CheckedEvent } from '../ports'

/** One object being written line by line (a gzip NDJSON object in S3, in production). */
export interface LineWriter {
  writeLine(line: string): void | Promise<void>
  /** Stores the object; nothing of it is visible before this resolves. */
  close(): Promise<unknown>
  abort(): Promise<void>
}

export interface OutputStore {
  logsKey(partition: string): string
  quarantineKey(): string
  open(key: string): LineWriter
  /** Removes a stored object again (a batch is all or nothing for its sender). */
  remove(key: string): Promise<void>
}

const QUARANTINE = 'quarantine'

/**
 * The pipeline's output as objects: one writer per event-time hour and one for quarantine,
 * opened on first use. Objects become visible only in `close`, all at the end of the batch.
 */
export class PartitionedOutput implements BatchOutput {
  private readonly writers = new Map<string, { key: string; writer: LineWriter }>()

  constructor(private readonly store: OutputStore) {}

  event(partition: string, event: CheckedEvent): void | Promise<void> {
    return this.writer(partition).writeLine(event.json)
  }

  quarantine(record: string): void | Promise<void> {
    return this.writer(QUARANTINE).writeLine(record)
  }

  /**
   * Stores every object and returns their keys. If any fails, every object of the batch is
   * aborted and removed so that a failed batch leaves nothing a reader could pick up twice, then
   * the error is rethrown.
   */
  async close(): Promise<string[]> {
    const open = [...this.writers.values()]
    const results = await Promise.allSettled(open.map((o) => o.writer.close()))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) {
      // A failed close may still have stored its object: a PUT whose answer was lost on the way
      // back. Removing a key that was never written is harmless, so every key is removed.
      await Promise.allSettled(open.map(async (o, i) => {
        if (results[i]!.status === 'rejected') await o.writer.abort()
        await this.store.remove(o.key)
      }))
      throw failed.reason
    }
    return open.map((o) => o.key).sort()
  }

  async abort(): Promise<void> {
    await Promise.allSettled([...this.writers.values()].map((o) => o.writer.abort()))
  }

  private writer(partition: string): LineWriter {
    let entry = this.writers.get(partition)
    if (!entry) {
      const key = partition === QUARANTINE ? this.store.quarantineKey() : this.store.logsKey(partition)
      entry = { key, writer: this.store.open(key) }
      this.writers.set(partition, entry)
    }
    return entry.writer
  }
}
