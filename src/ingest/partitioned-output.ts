import type { BatchOutput, CheckedEvent, FormatWriter } from '../ports'
import { settleEach } from '../utils/settle-each'

/** One object of quarantine records being written line by line (gzip NDJSON, whatever the events' format). */
export interface LineWriter {
  writeLine(line: string): void | Promise<void>
  /** Stores the object; nothing of it is visible before this resolves. */
  close(): Promise<unknown>
  abort(): Promise<void>
}

/**
 * A writer of one partition's events into one object per output format (`FormatWriter` with
 * `close` resolving to what those formats stored).
 */
export type EventWriter = Omit<FormatWriter, 'close'> & { close(): Promise<unknown> }

export interface OutputStore {
  /** Keys of the partition's object number `n`, one per output format: 0 for the first, which has no `-<n>`. */
  eventsKeys(partition: string, n: number): string[]
  quarantineKey(): string
  /** A writer of events into the objects at `keys` (those of `eventsKeys`), in the batch's output formats. */
  open(keys: readonly string[]): EventWriter
  openQuarantine(key: string): LineWriter
  /** Removes a stored object again (a batch is all or nothing for its sender). */
  remove(key: string): Promise<void>
}

/**
 * Event writers working at once (holding a compressor); past it, the least recently used one is
 * suspended. Each costs about 230 KiB in Node (zlib's window and hash at level 6 and its output
 * buffer); in workerd a batch of 5,000 hours of one event each, every partition with its own
 * compressor and first part, grew the process by 2.2 GB, about 440 KB a partition. 64 of them
 * stay near 20-30 MB of a Worker's 128 MB, and a batch over a few hours never meets the cap.
 */
export const MAX_WORKING_WRITERS = 64

/**
 * The memory all open objects of a batch may hold for bytes not stored yet, in parts
 * (S3_PART_BYTES): room for two partitions streaming multipart uploads at once (a part filling
 * and a part in flight each), as a big batch across an hour's end does, and a part's worth for
 * every other partition. 40 MiB at the default 8 MiB parts. Derived from the part size, because
 * one object alone holds up to two parts: a smaller budget would split the realistic batches.
 */
const HELD_PARTS = 5

/** The budget of held bytes for a part size; see `OutputLimits.heldBytes`. */
export function heldBudget(partSize: number): number {
  return HELD_PARTS * partSize
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024
// What an open object costs beyond the bytes it holds: its writers' own state, about 1.3 KB for a
// suspended one (measured in Node, 100,000 open hours). Counted in the held bytes, so that a batch
// over more hours than a Worker can keep open (years of hours, one event each) is bounded too:
// 40 MiB admits about 20,000 open objects before the largest is stored.
const OPEN_OBJECT_BYTES = 2048
// Objects stored (or removed) at once when the batch ends. A Worker keeps at most six connections
// open at a time and queues the rest, each with its body: 5,000 open hours closed all at once grew
// workerd by 777 MB, outside the isolate's heap; six at a time, by 154 MB (bench:workerd-memory, 5000h).
const STORE_CONCURRENCY = 6

export interface OutputLimits {
  /** Event writers working at once; past it the least recently used is suspended. */
  workingWriters: number
  /** Bytes all open event objects may hold (`FormatWriter.held`); past it the one holding most is stored. */
  heldBytes: number
  /** What each open object counts towards `heldBytes` beyond its writer's `held`. */
  openObjectBytes: number
}

interface Open<W> {
  /** The object's key in each format (quarantine: its one key). */
  keys: readonly string[]
  writer: W
}

interface Partition {
  readonly name: string
  /** The object being written, if any. */
  current: Open<EventWriter> | undefined
  /** Objects of the partition already stored: the next one's key ends in `-<stored>`. */
  stored: number
  /** Its writer's `held` as last added to the total. */
  counted: number
  /** Its writer holds its working state (it is in the LRU list). */
  working: boolean
}

/**
 * The pipeline's output as objects: one writer per event-time hour and one for quarantine,
 * opened on first use, with memory bounded whatever the batch's shape. At most
 * `workingWriters` writers work at once: the least recently used is suspended (its gzip member
 * finished, its compressor released) and resumes in the same object, so events interleaved over
 * many hours still make one object per hour. When the bytes held by all open objects pass
 * `heldBytes`, the object holding most is stored at once and its partition's later events go to
 * the next object, `<batchId>-1`, `-2`, …: the same keys on a retry, as the batch's lines come
 * in the same order and every decision is taken from counts, not from timing.
 * Other objects become visible in `close`, at the end of the batch.
 */
export class PartitionedOutput implements BatchOutput {
  private readonly limits: OutputLimits
  private readonly partitions = new Map<string, Partition>()
  // Working partitions, least recently used first (a Map keeps insertion order).
  private readonly working = new Map<string, Partition>()
  // The partition of the last event: its held bytes are counted when the next event comes.
  private last: Partition | undefined
  private held = 0
  // Keys stored before the end of the batch, removed again if the batch fails.
  private readonly storedKeys: string[] = []
  private quarantined: Open<LineWriter> | undefined

  constructor(
    private readonly store: OutputStore,
    limits: Partial<OutputLimits> = {},
  ) {
    this.limits = { workingWriters: MAX_WORKING_WRITERS, heldBytes: heldBudget(DEFAULT_PART_SIZE), openObjectBytes: OPEN_OBJECT_BYTES, ...limits }
    if (!(this.limits.workingWriters >= 1)) throw new RangeError('PartitionedOutput: workingWriters must be at least 1')
  }

  event(partition: string, event: CheckedEvent): void | Promise<void> {
    const last = this.last
    if (last) this.count(last)
    // The common case, consecutive events of one hour: no lookup, no promise of ours.
    if (last?.name === partition && last.working && this.held <= this.limits.heldBytes) return last.current!.writer.write(event)
    return this.enter(partition, event)
  }

  quarantine(record: string): void | Promise<void> {
    if (!this.quarantined) {
      const key = this.store.quarantineKey()
      this.quarantined = { keys: [key], writer: this.store.openQuarantine(key) }
    }
    return this.quarantined.writer.writeLine(record)
  }

  /**
   * Stores every object and returns the keys of all the batch's objects. If any fails, every
   * object of the batch is aborted and removed so that a failed batch leaves nothing a reader
   * could pick up twice, then the error is rethrown.
   */
  async close(): Promise<string[]> {
    const open = this.open()
    const results = await settleEach(open, STORE_CONCURRENCY, (o) => o.writer.close())
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) {
      // A failed close may still have stored its object: a PUT whose answer was lost on the way
      // back. Removing a key that was never written is harmless, so every key is removed.
      await settleEach(open, STORE_CONCURRENCY, async (o, i) => {
        if (results[i]!.status === 'rejected') await o.writer.abort()
        for (const key of o.keys) await this.store.remove(key)
      })
      await settleEach(this.storedKeys, STORE_CONCURRENCY, (key) => this.store.remove(key))
      throw failed.reason
    }
    return [...this.storedKeys, ...open.flatMap((o) => o.keys)].sort()
  }

  /** Aborts the open objects and removes those the batch stored already. Never rejects. */
  async abort(): Promise<void> {
    await settleEach(this.open(), STORE_CONCURRENCY, (o) => o.writer.abort())
    await settleEach(this.storedKeys, STORE_CONCURRENCY, (key) => this.store.remove(key))
  }

  private open(): Open<EventWriter | LineWriter>[] {
    const open: Open<EventWriter | LineWriter>[] = []
    for (const p of this.partitions.values()) if (p.current) open.push(p.current)
    if (this.quarantined) open.push(this.quarantined)
    return open
  }

  private async enter(name: string, event: CheckedEvent): Promise<void> {
    while (this.held > this.limits.heldBytes) await this.storeLargest()
    let p = this.partitions.get(name)
    if (!p) {
      p = { name, current: undefined, stored: 0, counted: 0, working: false }
      this.partitions.set(name, p)
    }
    if (p.working) {
      // Most recently used now.
      this.working.delete(name)
    } else {
      if (this.working.size >= this.limits.workingWriters) await this.suspendLeastRecent()
      if (!p.current) {
        const keys = this.store.eventsKeys(name, p.stored)
        p.current = { keys, writer: this.store.open(keys) }
      }
      p.working = true
    }
    this.working.set(name, p)
    this.last = p
    await p.current!.writer.write(event)
  }

  // Brings the total up to date with the partition's writer.
  private count(p: Partition): void {
    const held = p.current ? this.limits.openObjectBytes + p.current.writer.held : 0
    this.held += held - p.counted
    p.counted = held
  }

  private async suspendLeastRecent(): Promise<void> {
    const p = this.working.values().next().value!
    this.working.delete(p.name)
    p.working = false
    await p.current!.writer.suspend()
    this.count(p)
  }

  // Ties go to the partition that came first in the batch, so the choice is the same on a retry.
  private async storeLargest(): Promise<void> {
    let largest: Partition | undefined
    for (const p of this.partitions.values()) if (p.current && (!largest || p.counted > largest.counted)) largest = p
    const p = largest!
    const { keys, writer } = p.current!
    p.current = undefined
    p.stored++
    if (p.working) this.working.delete(p.name)
    p.working = false
    this.count(p)
    // Listed before it is stored: a close that fails may still have stored it, and a failed
    // batch removes every key it listed.
    this.storedKeys.push(...keys)
    await writer.close()
  }
}
