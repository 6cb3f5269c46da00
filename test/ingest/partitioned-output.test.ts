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
    eventsKey: (partition, n) => eventsKey('pre/', format, schema.table, partition, batchContext.batchId, n),
    quarantineKey: () => quarantineKey('pre/', schema.dataset, '2026-11-25', batchContext.batchId),
    open: (key) => format.open(NO_STORAGE, key, {}),
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
    expect(quarantined.get(quarantine)!.map((l) => JSON.parse(l) as unknown)).toEqual([{ reason: expect.stringContaining('not valid JSON'), line: 21, raw: 'not json' }])
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
