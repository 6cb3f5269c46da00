import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import app from '../../src/index'
import type { BatchResult } from '../../src/ingest/batch'
import type { ColumnField } from '../../src/ports'
import { knownDatasets, schemaFiles, schemas } from '../../src/schema/registry'
import { bucket } from '../helpers/bucket'
import { fixture, FORMATS } from '../helpers/fixtures'
import { expectRowMatchesLine, readParquet } from '../helpers/parquet'
import { bytes, gunzip, incompressibleText } from '../helpers/streams'
import { uniquePrefix } from '../storage/helpers'

// Parquet through the Worker: posted batches land as Parquet objects that a real reader (hyparquet)
// decodes to the rows acknowledged, each holding what the NDJSON line of the same event holds.

const TOKEN = 'dev-token'

type Ack = Pick<BatchResult, 'batchId' | 'events' | 'written' | 'quarantined' | 'objects' | 'keys'>

async function post(settings: Record<string, string>, dataset: string, body: Uint8Array): Promise<Ack> {
  const req = new Request(`http://worker/logpush/${dataset}`, { method: 'POST', body, headers: { Authorization: `Bearer ${TOKEN}` } })
  const res = await app.fetch(req, { ...env, ...settings } as unknown as Env)
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as Ack
}

async function objectBytes(key: string): Promise<Uint8Array> {
  const res = await bucket.getObject(key)
  if (!res) throw new Error(`no object ${key}`)
  return new Uint8Array(await res.arrayBuffer())
}

async function ndjsonLines(key: string): Promise<string[]> {
  const text = new TextDecoder().decode(await gunzip(await objectBytes(key)))
  return text.split('\n').filter((l) => l !== '')
}

/** The NDJSON object that holds the same events as a Parquet one. */
const twin = (parquetKey: string) => parquetKey.replace(/(^|\/)parquet\//, '$1logs/').replace(/\.parquet$/, '.json.gz')

/**
 * Posts `text` with both formats and expects every Parquet object to hold, row by row, what its
 * NDJSON twin holds; returns the Parquet rows' count and the objects' metadata.
 */
async function expectBothFormatsAgree(dataset: string, text: string, settings: Record<string, string> = {}) {
  const fields = schemaFiles()[dataset]!.fields as readonly ColumnField[]
  const ack = await post({ OUTPUT_FORMAT: 'ndjson,parquet', S3_PREFIX: uniquePrefix(`parquet-${dataset}`), ...settings }, dataset, bytes(text))
  const parquetKeys = ack.keys.filter((k) => k.endsWith('.parquet'))
  expect(parquetKeys.length, dataset).toBeGreaterThan(0)
  expect(ack.keys.filter((k) => k.endsWith('.json.gz') && !k.includes('/quarantine/')).sort(), dataset).toEqual(parquetKeys.map(twin).sort())
  let rows = 0
  const files = []
  for (const key of parquetKeys) {
    const parquet = await readParquet(await objectBytes(key))
    const lines = await ndjsonLines(twin(key))
    expect(parquet.rows.length, key).toBe(lines.length)
    parquet.rows.forEach((row, i) => expectRowMatchesLine(row, lines[i]!, fields, `${key} row ${i}`))
    rows += parquet.rows.length
    files.push({ key, ...parquet })
  }
  expect(rows, dataset).toBe(ack.written)
  return { ack, rows, files }
}

describe('OUTPUT_FORMAT=ndjson,parquet: the Parquet rows are the NDJSON lines, typed', () => {
  // Every dataset of the manifest, each with one of its fixtures (the timestamp formats in turn).
  for (const [i, dataset] of knownDatasets().entries()) {
    it(`${dataset}`, async () => {
      const { ack } = await expectBothFormatsAgree(dataset, fixture(`${dataset}.${FORMATS[i % FORMATS.length]}.ndjson`))
      expect(ack.written).toBe(ack.events)
    })
  }
})

describe('OUTPUT_FORMAT=parquet', () => {
  const schema = schemas().get('http_requests')!
  const lines = fixture('http_requests.unixnano.ndjson').trim().split('\n')

  it('writes Parquet objects only, under parquet/<table>/, one per hour, with the rows acknowledged and the unknown fields kept', async () => {
    const extra = lines.map((l, i) => `${l.slice(0, -1)},"NewField${i % 3}":{"n":${9007199254740993 + i},"s":"x"},"p_other":[1]}`)
    const text = `${[...extra, 'not json'].join('\n')}\n`
    const prefix = uniquePrefix('parquet-only')
    const ack = await post({ OUTPUT_FORMAT: 'parquet', S3_PREFIX: prefix }, 'http_requests', bytes(text))
    expect(ack).toMatchObject({ events: lines.length + 1, written: lines.length, quarantined: 1 })
    const events = ack.keys.filter((k) => !k.includes('quarantine/'))
    for (const key of events) expect(key.startsWith(`${prefix}parquet/${schema.table}/year=`) && key.endsWith('.parquet'), key).toBe(true)
    let rows = 0
    for (const key of events) {
      const { rows: got } = await readParquet(await objectBytes(key))
      rows += got.length
      for (const row of got) {
        const unknown = JSON.parse(row.p_unknown_fields as string) as Record<string, unknown>
        // A p_ field is a pipeline's own: NDJSON drops it, and so does Parquet.
        expect(Object.keys(unknown)).toEqual([expect.stringMatching(/^NewField[012]$/)])
        expect(row.p_unknown_fields).toMatch(/"n":900719925474\d{4}/)
      }
    }
    expect(rows).toBe(ack.written)
  })

  it('writes row groups by bytes and multipart parts as they fill, and the rows still match NDJSON', async () => {
    // 1 MiB parts (the local server takes small ones): row groups of 512 KiB of rows. Text that
    // zstd and gzip cannot shrink, in a field the schema lacks, makes the objects pass a part; one
    // hour, so that one partition holds the batch's budget.
    const dns = fixture('dns_logs.unixnano.ndjson').trim().split('\n')
    const many = Array.from({ length: 60 }, (_, copy) =>
      dns.map((l, i) => `${l.slice(0, -1).replace(/"Timestamp":\d+/, `"Timestamp":${1653483600 + copy * 20 + i}`)},"Blob":"${incompressibleText(3000)}"}`),
    ).flat()
    const { files, rows } = await expectBothFormatsAgree('dns_logs', `${many.join('\n')}\n`, { S3_PART_BYTES: String(1024 * 1024) })
    expect(rows).toBe(many.length)
    expect(files.reduce((n, f) => n + f.metadata.row_groups.length, 0)).toBeGreaterThan(files.length)
    for (const f of files) expect(f.metadata.row_groups.reduce((n, g) => n + Number(g.num_rows), 0)).toBe(f.rows.length)
    // Past one part an object goes as a multipart upload (a single PUT carries one part at most).
    const sizes = await Promise.all(files.map(async ({ key }) => (await bucket.headObject(key))?.size ?? 0))
    expect(Math.max(...sizes)).toBeGreaterThan(1024 * 1024)
  })
})
