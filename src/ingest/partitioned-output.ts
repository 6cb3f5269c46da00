import type { BatchOutput, CheckedEvent, FormatWriter } from '../ports'

/** One object of quarantine records being written line by line (gzip NDJSON, whatever the events' format). */
export interface LineWriter {
  writeLine(line: string): void | Promise<void>
  /** Stores the object; nothing of it is visible before this resolves. */
  close(): Promise<unknown>
  abort(): Promise<void>
}

export interface OutputStore {
  eventsKey(partition: string): string
  quarantineKey(): string
  /** A writer of events in the batch's output format. */
  open(key: string): FormatWriter
  openQuarantine(key: string): LineWriter
  /** Removes a stored object again (a batch is all or nothing for its sender). */
  remove(key: string): Promise<void>
}

interface Open<W> {
  key: string
  writer: W
}

/**
 * The pipeline's output as objects: one writer per event-time hour and one for quarantine,
 * opened on first use. Objects become visible only in `close`, all at the end of the batch.
 */
export class PartitionedOutput implements BatchOutput {
  private readonly writers = new Map<string, Open<FormatWriter>>()
  private quarantined: Open<LineWriter> | undefined

  constructor(private readonly store: OutputStore) {}

  event(partition: string, event: CheckedEvent): void | Promise<void> {
    return this.writer(partition).write(event)
  }

  quarantine(record: string): void | Promise<void> {
    if (!this.quarantined) {
      const key = this.store.quarantineKey()
      this.quarantined = { key, writer: this.store.openQuarantine(key) }
    }
    return this.quarantined.writer.writeLine(record)
  }

  /**
   * Stores every object and returns their keys. If any fails, every object of the batch is
   * aborted and removed so that a failed batch leaves nothing a reader could pick up twice, then
   * the error is rethrown.
   */
  async close(): Promise<string[]> {
    const open = this.open()
    const results = await Promise.allSettled(open.map((o) => o.writer.close()))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) {
      // A failed close may still have stored its object: a PUT whose answer was lost on the way
      // back. Removing a key that was never written is harmless, so every key is removed.
      await Promise.allSettled(
        open.map(async (o, i) => {
          if (results[i]!.status === 'rejected') await o.writer.abort()
          await this.store.remove(o.key)
        }),
      )
      throw failed.reason
    }
    return open.map((o) => o.key).sort()
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.open().map((o) => o.writer.abort()))
  }

  private open(): Open<FormatWriter | LineWriter>[] {
    const open: Open<FormatWriter | LineWriter>[] = [...this.writers.values()]
    if (this.quarantined) open.push(this.quarantined)
    return open
  }

  private writer(partition: string): FormatWriter {
    let entry = this.writers.get(partition)
    if (!entry) {
      const key = this.store.eventsKey(partition)
      entry = { key, writer: this.store.open(key) }
      this.writers.set(partition, entry)
    }
    return entry.writer
  }
}
