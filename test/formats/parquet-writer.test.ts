import { describe, expect, it } from 'vitest'
import httpUnixnano from '../../fixtures/http_requests.unixnano.ndjson?raw'
import { parquetFormat } from '../../src/formats/parquet'
import { parquetLayout } from '../../src/formats/parquet/columns'
import { ParquetObjectWriter } from '../../src/formats/parquet/writer'
import { eventsKey, quarantineKey } from '../../src/ingest/layout'
import { type LineWriter, type OutputStore, PartitionedOutput } from '../../src/ingest/partitioned-output'
import { EventParser } from '../../src/pipeline/parse'
import { runPipeline } from '../../src/pipeline/run'
import type { ColumnField, FormatWriter } from '../../src/ports'
import { schemaFiles, schemas } from '../../src/schema/registry'
import { memoryStorage, readParquet } from '../helpers/parquet'
import { batchContext, bytes, limits, streamOf } from '../helpers/streams'

// The Parquet writer's memory: row groups by bytes, what an object holds when suspended, sizes
// that do not change when a batch is retried, and a batch over thousands of hours within the
// budget of held bytes the NDJSON path has.

const schema = schemas().get('http_requests')!
const fields = schemaFiles().http_requests!.fields as readonly ColumnField[]
const layout = parquetLayout(fields)
const lines = httpUnixnano.trim().split('\n')

function writer(storage = memoryStorage(), rowGroupBytes = 1 << 20) {
  return new ParquetObjectWriter({ storage, key: 'k.parquet', layout, codec: 'GZIP', rowGroupBytes, minPartSize: 1, partSize: 64 * 1024 })
}

async function writeLines(w: ParquetObjectWriter, parseTime = batchContext.parseTime, copies = 1): Promise<number[]> {
  const parser = new EventParser(schema, { ...batchContext, logType: schema.logType, parseTime })
  const held: number[] = []
  for (let copy = 0; copy < copies; copy++) {
    for (const [i, line] of lines.entries()) {
      expect(parser.parse(line, copy * lines.length + i + 1)).toBe(true)
      await w.write(parser)
      held.push(w.held)
    }
  }
  return held
}

describe('ParquetObjectWriter', () => {
  it('writes a row group each time its rows reach rowGroupBytes, counted from their text', async () => {
    const storage = memoryStorage()
    const text = lines.reduce((n, l) => n + l.length, 0)
    // About four lines' worth of rows a group.
    const w = writer(storage, (8 * text) / lines.length)
    await writeLines(w)
    const { rowGroups } = await w.close()
    const { metadata, rows } = await readParquet(storage.objects.get('k.parquet')!.bytes)
    expect(rows).toHaveLength(lines.length)
    expect(metadata.row_groups).toHaveLength(rowGroups)
    expect(rowGroups).toBeGreaterThanOrEqual(3)
    expect(rowGroups).toBeLessThanOrEqual(lines.length)
  })

  it('keeps its rows when suspended, counted in held, and writes them in its next row group', async () => {
    const storage = memoryStorage()
    const w = writer(storage)
    const held = await writeLines(w)
    await w.suspend()
    expect(w.held).toBeLessThanOrEqual(held.at(-1)!)
    expect(w.held).toBeGreaterThan(lines.reduce((n, l) => n + l.length, 0))
    await writeLines(w)
    const { rowGroups, rows } = await w.close()
    expect({ rowGroups, rows }).toEqual({ rowGroups: 1, rows: 2 * lines.length })
    expect((await readParquet(storage.objects.get('k.parquet')!.bytes)).rows).toHaveLength(2 * lines.length)
  })

  it('makes objects of the same size, and the same held figures, when the batch is retried later', async () => {
    const a = memoryStorage()
    const b = memoryStorage()
    const wa = writer(a, 4096)
    const wb = writer(b, 4096)
    const heldA = await writeLines(wa, '2026-11-25 10:00:00.000000000', 3)
    const heldB = await writeLines(wb, '2026-11-27 23:59:59.999000000', 3)
    expect(heldB).toEqual(heldA)
    await wa.close()
    await wb.close()
    expect(b.objects.get('k.parquet')!.bytes.byteLength).toBe(a.objects.get('k.parquet')!.bytes.byteLength)
  })

  it('stores the pages of a small row group, and of a column with no value, uncompressed', async () => {
    const codecsOf = async (copies: number) => {
      const storage = memoryStorage()
      const w = writer(storage)
      await writeLines(w, batchContext.parseTime, copies)
      await w.close()
      const { metadata } = await readParquet(storage.objects.get('k.parquet')!.bytes)
      return new Map(metadata.row_groups[0]!.columns.map((c) => [c.meta_data!.path_in_schema.join('.'), c.meta_data!.codec]))
    }
    // 20 rows: under 32, every page uncompressed.
    expect(new Set((await codecsOf(1)).values())).toEqual(new Set(['UNCOMPRESSED']))
    // 40 rows: compressed, but for a column the fixture never fills and p_parse_time.
    const codecs = await codecsOf(2)
    expect(codecs.get('ClientRequestHost')).toBe('GZIP')
    expect(codecs.get('p_parse_time')).toBe('UNCOMPRESSED')
    // The fixture has every field and no unknown one: p_unknown_fields is the column with no value.
    expect(lines.some((l) => l.includes('"p_unknown_fields"'))).toBe(false)
    expect(codecs.get('p_unknown_fields')).toBe('UNCOMPRESSED')
  })

  it('stores nothing when aborted, and is done with', async () => {
    const storage = memoryStorage()
    const w = writer(storage, 1024)
    await writeLines(w, batchContext.parseTime, 5)
    await w.abort(new Error('the batch failed'))
    expect(storage.objects.size).toBe(0)
    await expect(w.close()).rejects.toThrow()
  })
})

describe('Parquet through PartitionedOutput: one event in each of very many hours', () => {
  // Each hour is a file of its own, and a file of 137 columns costs milliseconds to encode: 800
  // hours, with parts small enough that the budget (320 KiB) holds only a fraction of them at once.
  it('stays within the budget of held bytes and writes every event', { timeout: 60_000 }, async () => {
    const HOURS = 800
    const PART = 64 * 1024
    const BUDGET = 5 * PART
    const storage = memoryStorage()
    const format = parquetFormat('GZIP')
    const open = new Set<FormatWriter>()
    let peak = 0
    const store: OutputStore = {
      eventsKeys: (partition, n) => [eventsKey('', format, schema.table, partition, batchContext.batchId, n)],
      quarantineKey: () => quarantineKey('', schema.dataset, '2026-11-25', batchContext.batchId),
      open([key]) {
        const w = format.open(storage, key!, { fields, partSize: PART, minPartSize: 1 })
        open.add(w)
        return {
          get held() {
            return w.held
          },
          async write(event) {
            await w.write(event)
            let total = 0
            // PartitionedOutput counts 2 KiB more for each open object.
            for (const o of open) total += o.held + 2048
            peak = Math.max(peak, total)
          },
          suspend: () => w.suspend(),
          close: () => w.close().finally(() => open.delete(w)),
          abort: () => w.abort(),
        }
      },
      openQuarantine: (): LineWriter => ({ writeLine() {}, close: async () => {}, abort: async () => {} }),
      remove: async (key) => void storage.objects.delete(key),
    }
    // One tiny event an hour, hour after hour: thousands of partitions open at once.
    const base = Date.UTC(2022, 0, 1) / 1000
    const body = Array.from(
      { length: HOURS },
      (_, h) => `{"EdgeStartTimestamp":${base + h * 3600},"RayID":"${h.toString(16)}","ClientIP":"192.0.2.${h % 250}"}`,
    ).join('\n')
    const out = new PartitionedOutput(store, { heldBytes: BUDGET })
    const counts = await runPipeline(streamOf(bytes(body)), schema, { ...batchContext, logType: schema.logType }, limits, out)
    const keys = await out.close()
    expect(counts.written).toBe(HOURS)
    // Past the budget by one event's row and one more object's cost at most, before the largest is stored.
    expect(peak).toBeLessThan(BUDGET + 16 * 1024)
    expect(peak).toBeGreaterThan(0.8 * BUDGET)
    let rows = 0
    for (const key of keys) rows += (await readParquet(storage.objects.get(key)!.bytes)).rows.length
    expect(rows).toBe(HOURS)
    expect(new Set(keys.map((k) => k.slice(0, k.lastIndexOf('/')))).size).toBe(HOURS)
  })
})
