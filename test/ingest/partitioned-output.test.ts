import { describe, expect, it } from 'vitest'
import httpTwoHours from '../../fixtures/http_requests.two-hours.ndjson?raw'
import { eventsKey, quarantineKey } from '../../src/ingest/layout'
import { type LineWriter, type OutputStore, PartitionedOutput } from '../../src/ingest/partitioned-output'
import { runPipeline } from '../../src/pipeline/run'
import type { CheckedEvent, FormatWriter, ObjectStorage, OutputFormat, StoredObject } from '../../src/ports'
import { schemas } from '../../src/schema/registry'
import { batchContext, bytes, limits, streamOf } from '../helpers/streams'

// The seam a second format lands at: a format that lays events out from their parts (no NDJSON
// text) goes through PartitionedOutput and the layout as the NDJSON one does.

type Row = { columns: Record<string, unknown>; unknown: (readonly [string, unknown])[]; p_event_time: string; p_row_id: string }

/** A format that keeps rows in memory, built from the event's parts as a columnar format would. */
function rowsFormat(stored: Map<string, Row[]>, failClose = ''): OutputFormat {
  return {
    name: 'rows',
    keyPrefix: 'rows/',
    extension: '.rows',
    contentType: 'application/json',
    contentEncoding: undefined,
    open(_storage, key): FormatWriter {
      const rows: Row[] = []
      return {
        write(event: CheckedEvent) {
          const columns: Record<string, unknown> = {}
          event.columns.forEach((name, i) => {
            const v = event.value(i)
            if (v !== undefined) columns[name] = v
          })
          rows.push({ columns, unknown: [...event.unknownFields()], p_event_time: event.standard.p_event_time, p_row_id: event.standard.p_row_id })
        },
        async suspend() {},
        held: 0,
        async close(): Promise<StoredObject> {
          if (key.includes(failClose) && failClose !== '') throw new Error(`close failed: ${key}`)
          stored.set(key, rows)
          return { key, bytes: rows.length, parts: 1 }
        },
        async abort() {},
      }
    },
  }
}

function memoryLines(stored: Map<string, string[]>, key: string): LineWriter {
  const lines: string[] = []
  return {
    writeLine: (line) => void lines.push(line),
    close: async () => stored.set(key, lines),
    abort: async () => {},
  }
}

const schema = schemas().get('http_requests')!
const NO_STORAGE = {} as ObjectStorage

function store(format: OutputFormat, rows: Map<string, Row[]>, quarantined: Map<string, string[]>, removed: string[]): OutputStore {
  return {
    eventsKeys: (partition, n) => [eventsKey('pre/', format, schema.table, partition, batchContext.batchId, n)],
    quarantineKey: () => quarantineKey('pre/', schema.dataset, '2026-11-25', batchContext.batchId),
    open: ([key]) => format.open(NO_STORAGE, key!, { fields: [] }),
    openQuarantine: (key) => memoryLines(quarantined, key),
    remove: async (key) => {
      removed.push(key)
      rows.delete(key)
    },
  }
}

const body = `${httpTwoHours.trim()}\nnot json\n`

describe('PartitionedOutput through an output format', () => {
  it('writes each hour through the format, under its prefix and extension, and quarantine as lines', async () => {
    const rows = new Map<string, Row[]>()
    const quarantined = new Map<string, string[]>()
    const out = new PartitionedOutput(store(rowsFormat(rows), rows, quarantined, []))
    const counts = await runPipeline(streamOf(bytes(body)), schema, { ...batchContext, logType: schema.logType }, limits, out)
    const keys = await out.close()

    const hour = (h: string) => `pre/rows/${schema.table}/year=2022/month=05/day=25/hour=${h}/${batchContext.batchId}.rows`
    const quarantine = `pre/quarantine/http_requests/year=2026/month=11/day=25/${batchContext.batchId}.json.gz`
    expect(keys).toEqual([hour('13'), hour('14'), quarantine].sort())
    const written = [...rows.values()].flat()
    expect(written).toHaveLength(counts.written)
    expect(counts.written).toBe(20)
    for (const [key, list] of rows) for (const row of list) expect(key).toContain(`/hour=${row.p_event_time.slice(11, 13)}/`)
    // Values as checked: the timestamp normalised, p_ fields apart from the columns.
    expect(written[0]!.columns.EdgeStartTimestamp).toBe(written[0]!.p_event_time)
    expect(new Set(written.map((r) => r.p_row_id)).size).toBe(20)
    expect(quarantined.get(quarantine)!.map((l) => JSON.parse(l) as unknown)).toEqual([
      { reason: expect.stringContaining('not valid JSON'), line: 21, raw: 'not json' },
    ])
  })

  it('removes every object of the batch when one fails to close', async () => {
    const rows = new Map<string, Row[]>()
    const removed: string[] = []
    const out = new PartitionedOutput(store(rowsFormat(rows, '/hour=14/'), rows, new Map(), removed))
    await runPipeline(streamOf(bytes(body)), schema, { ...batchContext, logType: schema.logType }, limits, out)
    await expect(out.close()).rejects.toThrow('close failed')
    expect(removed).toHaveLength(3)
    expect(rows.size).toBe(0)
  })
})

/** One object of the counting format: its members (a new one after each suspend), as rays. */
interface Counted {
  members: string[][]
  closed: boolean
}

/**
 * A format that keeps each object's events by member and holds 100 bytes per event: the limits'
 * arithmetic is then plain. `working` counts the writers with a member open, `peak` its maximum.
 */
function countingStore(failClose = '') {
  const objects = new Map<string, Counted>()
  const removed: string[] = []
  const state = { working: 0, peak: 0 }
  const store: OutputStore = {
    eventsKeys: (partition, n) => [`${partition}${n === 0 ? '' : `-${n}`}`],
    quarantineKey: () => 'quarantine',
    open([key]): FormatWriter {
      if (key === undefined) throw new Error('one format, one key')
      const object: Counted = { members: [], closed: false }
      objects.set(key, object)
      let open = false
      return {
        write(event: CheckedEvent) {
          if (!open) {
            object.members.push([])
            open = true
            state.peak = Math.max(state.peak, ++state.working)
          }
          object.members.at(-1)!.push(event.json)
        },
        async suspend() {
          if (open) state.working--
          open = false
        },
        get held() {
          return 100 * object.members.flat().length
        },
        async close(): Promise<StoredObject> {
          if (open) state.working--
          open = false
          if (failClose !== '' && key === failClose) throw new Error(`close failed: ${key}`)
          object.closed = true
          return { key, bytes: 0, parts: 1 }
        },
        async abort() {},
      }
    },
    openQuarantine: (key) => memoryLines(new Map(), key),
    remove: async (key) => void removed.push(key),
  }
  return { store, objects, removed, state }
}

/** Events named `<partition>:<i>`, one per entry of `partitions`, in that order. */
async function feed(out: PartitionedOutput, partitions: string[]): Promise<void> {
  for (const [i, p] of partitions.entries()) await out.event(p, { json: `${p}:${i}` } as CheckedEvent)
}

const roundRobin = (names: string[], rounds: number) => Array.from({ length: rounds }, () => names).flat()

describe('PartitionedOutput keeps memory bounded', () => {
  it('counts what each open object costs, so that one event in each of very many hours is bounded too', async () => {
    const { store, objects } = countingStore()
    // Each object holds its event's 100 bytes and costs 100 more: room for five open at once.
    const out = new PartitionedOutput(store, { workingWriters: 2, heldBytes: 1000, openObjectBytes: 100 })
    const hours = Array.from({ length: 1000 }, (_, i) => `h${i}`)
    let mostOpen = 0
    for (const [i, hour] of hours.entries()) {
      await out.event(hour, { json: `${hour}:${i}` } as CheckedEvent)
      mostOpen = Math.max(mostOpen, [...objects.values()].filter((o) => !o.closed).length)
    }
    expect(await out.close()).toEqual([...hours].sort())
    expect(mostOpen).toBe(6)
  })

  it('suspends the least recently used writer past the cap and resumes it in the same object', async () => {
    const { store, objects, state } = countingStore()
    const out = new PartitionedOutput(store, { workingWriters: 2, heldBytes: Infinity })
    await feed(out, roundRobin(['a', 'b', 'c'], 3))
    const keys = await out.close()

    expect(keys).toEqual(['a', 'b', 'c'])
    expect(state.peak).toBe(2)
    // Round robin over three with room for two: every event resumes its object in a new member.
    expect(objects.get('a')!.members).toEqual([['a:0'], ['a:3'], ['a:6']])
    expect(objects.get('c')!.members).toEqual([['c:2'], ['c:5'], ['c:8']])
  })

  it('keeps a writer working while it is used, suspending the one used least recently', async () => {
    const { store, objects } = countingStore()
    const out = new PartitionedOutput(store, { workingWriters: 2, heldBytes: Infinity })
    // a stays in use between b and c, so b is the one suspended when c comes, then c when b comes back.
    await feed(out, ['a', 'b', 'a', 'c', 'a', 'b', 'a'])
    await out.close()
    expect(objects.get('a')!.members).toEqual([['a:0', 'a:2', 'a:4', 'a:6']])
    expect(objects.get('b')!.members).toEqual([['b:1'], ['b:5']])
    expect(objects.get('c')!.members).toEqual([['c:3']])
  })

  it('writes one member per object when nothing reaches the limits', async () => {
    const { store, objects } = countingStore()
    const out = new PartitionedOutput(store, { workingWriters: 2, heldBytes: 1000, openObjectBytes: 0 })
    await feed(out, ['h13', 'h13', 'h14', 'h13', 'h14'])
    expect(await out.close()).toEqual(['h13', 'h14'])
    expect([...objects.values()].map((o) => o.members.length)).toEqual([1, 1])
  })

  it('stores the object holding most once the budget is passed; its hour goes on in <key>-1, -2', async () => {
    const { store, objects } = countingStore()
    // 100 bytes an event, 350 allowed: the fourth event over the budget stores the largest.
    const out = new PartitionedOutput(store, { workingWriters: 8, heldBytes: 350, openObjectBytes: 0 })
    await feed(out, ['a', 'a', 'b', 'a', 'b', 'a', 'a', 'a', 'a', 'b'])
    const keys = await out.close()

    expect(keys).toEqual(['a', 'a-1', 'a-2', 'b'])
    expect(objects.get('a')!.members.flat()).toEqual(['a:0', 'a:1', 'a:3'])
    // a-1 and b tie at 200 when b:9 comes: the tie goes to a, the partition that came first.
    expect(objects.get('a-1')!.members.flat()).toEqual(['a:5', 'a:6'])
    expect(objects.get('a-2')!.members.flat()).toEqual(['a:7', 'a:8'])
    expect(objects.get('b')!.members.flat()).toEqual(['b:2', 'b:4', 'b:9'])
    // Every event once, across the objects.
    expect([...objects.values()].flatMap((o) => o.members.flat())).toHaveLength(10)
  })

  it('decides the same way every time the same events come', async () => {
    const order = Array.from({ length: 200 }, (_, i) => `p${(i * 7) % 13}`)
    const run = async () => {
      const { store, objects } = countingStore()
      const out = new PartitionedOutput(store, { workingWriters: 3, heldBytes: 1500, openObjectBytes: 0 })
      await feed(out, order)
      return { keys: await out.close(), members: [...objects].map(([k, o]) => [k, o.members]) }
    }
    const first = await run()
    expect(first.keys.some((k) => k.includes('-'))).toBe(true)
    expect(await run()).toEqual(first)
  })

  it('breaks a tie for the largest by the partition that came first', async () => {
    const { store, objects } = countingStore()
    const out = new PartitionedOutput(store, { workingWriters: 8, heldBytes: 300, openObjectBytes: 0 })
    // At z, x and y hold 200 each: x is stored. At the last y, y holds most (200) and is stored.
    await feed(out, ['x', 'y', 'x', 'y', 'z', 'x', 'y'])
    expect(await out.close()).toEqual(['x', 'x-1', 'y', 'y-1', 'z'])
    expect(objects.get('x')!.members.flat()).toEqual(['x:0', 'x:2'])
    expect(objects.get('y')!.members.flat()).toEqual(['y:1', 'y:3'])
  })

  it('removes the objects stored early as well when the batch fails to close', async () => {
    const { store, removed } = countingStore('b')
    const out = new PartitionedOutput(store, { workingWriters: 8, heldBytes: 150, openObjectBytes: 0 })
    await feed(out, ['a', 'a', 'b', 'a'])
    await expect(out.close()).rejects.toThrow('close failed: b')
    expect(removed.sort()).toEqual(['a', 'a-1', 'b'])
  })

  it('removes the objects stored early when the batch is aborted', async () => {
    const { store, removed } = countingStore()
    const out = new PartitionedOutput(store, { workingWriters: 8, heldBytes: 150, openObjectBytes: 0 })
    await feed(out, ['a', 'a', 'a'])
    await out.abort()
    expect(removed).toEqual(['a'])
  })
})
