// The lake as a data engineer reads it: every dataset's fixture posted through the real Worker
// (wrangler's harness, workerd, OUTPUT_FORMAT=ndjson,parquet) into a real S3-protocol server, then
// the bucket read back by DuckDB through the views `logpush-edge ddl --engine duckdb` prints for
// each format (NDJSON in the main schema, Parquet in `pq`), and through `query`.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { duckdbType } from '../../cli/commands/ddl/duckdb'
import { lakeTable } from '../../cli/commands/ddl/table'
import { schemaFiles } from '../../src/schema/registry'
import { INGEST_TOKEN, OUTPUT_BUCKET, type Stack, startStack } from '../e2e-node/harness'
import { ROOT, runCli } from './run-cli'

// Posts in flight at once: enough to overlap the Worker's waits on storage on two cores.
const CONCURRENCY = 4
const DATASETS = Object.values(schemaFiles())

interface Ack {
  written: number
  quarantined: number
}

let stack: Stack
let home: string
let bucket: string
let db: DuckDBInstance
let sql: DuckDBConnection
/** Events written per table, from the Worker's acknowledgements. */
const written = new Map<string, number>()

const cli = (args: string[], cwd = ROOT) => runCli(args, { cwd })

async function post(dataset: string): Promise<Ack> {
  const body = readFileSync(join(ROOT, 'fixtures', `${dataset}.unixnano.ndjson.gz`))
  const res = await fetch(new URL(`/logpush/${dataset}`, stack.workerUrl), { method: 'POST', body, headers: { Authorization: `Bearer ${INGEST_TOKEN}` } })
  expect(res.status, `${dataset}: ${await res.clone().text()}`).toBe(200)
  return (await res.json()) as Ack
}

async function rows(query: string): Promise<Record<string, unknown>[]> {
  return (await sql.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[]
}

/** A type as DuckDB writes it (it quotes a struct member's name only where it must). */
async function canonical(type: string): Promise<string> {
  const [row] = await rows(`select typeof(CAST(NULL AS ${type})) AS t`)
  return row!.t as string
}

beforeAll(async () => {
  // No S3_PREFIX: the bucket's folder is laid out as npm start's .data/s3/cloudflare-logs/.
  stack = await startStack({ S3_PREFIX: '', OUTPUT_FORMAT: 'ndjson,parquet' })
  bucket = join(stack.directory, OUTPUT_BUCKET)
  const queue = [...DATASETS]
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let entry = queue.shift(); entry; entry = queue.shift()) {
        const ack = await post(entry.dataset)
        expect(ack.quarantined, entry.dataset).toBe(0)
        written.set(entry.table, ack.written)
      }
    }),
  )
  db = await DuckDBInstance.create(':memory:')
  sql = await db.connect()
  for (const format of ['ndjson', 'parquet']) {
    const ddl = await cli(['ddl', '--engine', 'duckdb', '--format', format, '--location', bucket, '--json'])
    expect(ddl.stderr).toBe('')
    expect(ddl.code).toBe(0)
    const report = JSON.parse(ddl.stdout) as { tables: { table: string; sql: string }[] }
    // The two formats' views have the same names: Parquet's go into a schema of their own.
    if (format === 'parquet') await sql.run('CREATE SCHEMA pq; USE pq')
    await sql.run(report.tables.map((t) => t.sql).join('\n'))
    await sql.run('USE memory.main')
  }
  // `query` reads npm start's data folder from where it runs: one laid out as npm start lays it.
  home = mkdtempSync(join(tmpdir(), 'logpush-edge-lake-'))
  mkdirSync(join(home, '.data'))
  symlinkSync(stack.directory, join(home, '.data', 's3'))
}, 300_000)

afterAll(async () => {
  sql?.closeSync()
  db?.closeSync()
  await stack?.close()
  if (home) rmSync(home, { recursive: true, force: true })
})

describe.each(DATASETS.map((entry) => [entry.dataset, entry] as const))('%s in NDJSON, read by DuckDB through the ddl views', (_dataset, entry) => {
  const table = lakeTable(entry, 'ndjson')

  it('has as many rows as the Worker acknowledged, every column typed as the schema says', async () => {
    const [count] = await rows(`select count(*)::INTEGER AS n from ${table.table}`)
    expect(written.get(table.table)).toBeGreaterThan(0)
    expect(count!.n).toBe(written.get(table.table))

    const described = await rows(`describe ${table.table}`)
    const expected = [
      ...(await Promise.all(table.columns.map(async (c) => ({ name: c.name, type: await canonical(duckdbType(c.type)) })))),
      ...['year', 'month', 'day', 'hour'].map((name) => ({ name, type: 'INTEGER' })),
    ]
    expect(described.map((r) => ({ name: r.column_name, type: r.column_type }))).toEqual(expected)
    expect(described.find((r) => r.column_name === 'p_event_time')?.column_type).toBe('TIMESTAMP')
  })

  it('reads every field the fixture sends (no key lost to case folding), and p_event_time as written, to the microsecond', async () => {
    // The fixture has a value for every field in some line; a column that reads all NULL is a
    // key the view does not find.
    const nonNull = table.columns.filter((c) => !c.key.startsWith('p_any_')).map((c) => `count(${JSON.stringify(c.name)}) AS ${JSON.stringify(c.name)}`)
    const [counts] = await rows(`select ${nonNull.join(', ')} from ${table.table}`)
    const empty = Object.entries(counts!).filter(([, n]) => Number(n) === 0)
    expect(empty.map(([name]) => name)).toEqual([])

    const glob = `${bucket}/logs/${table.table}/*/*/*/*/*.json.gz._S3rver_object`
    const [mismatch] = await rows(
      `select count(*)::INTEGER AS n from ${table.table} v join (select json->>'p_row_id' AS id, json->>'p_event_time' AS t from read_ndjson_objects('${glob}', compression = 'gzip')) r on v.p_row_id = r.id
       where strftime(v.p_event_time, '%Y-%m-%d %H:%M:%S.%f') <> left(r.t, 26) or v.year <> year(v.p_event_time) or v.hour <> hour(v.p_event_time)`,
    )
    expect(mismatch!.n).toBe(0)
  })
})

describe.each(DATASETS.map((entry) => [entry.dataset, entry] as const))('%s in Parquet, read by DuckDB through the ddl views', (_dataset, entry) => {
  const table = lakeTable(entry, 'parquet')
  const ndjson = lakeTable(entry, 'ndjson')

  it('has the rows the Worker acknowledged, typed as the NDJSON view is, plus p_unknown_fields', async () => {
    const [count] = await rows(`select count(*)::INTEGER AS n from pq.${table.table}`)
    expect(count!.n).toBe(written.get(table.table))
    const types = async (schema: string) => (await rows(`describe ${schema}.${table.table}`)).map((r) => ({ name: r.column_name, type: r.column_type }))
    const main = await types('main')
    const parquet = await types('pq')
    expect(parquet.filter((c) => c.name !== 'p_unknown_fields')).toEqual(main)
    expect(parquet.find((c) => c.name === 'p_unknown_fields')?.type).toBe('JSON')
  })

  it('gives the same values as the NDJSON view for the same batch, timestamps to the microsecond', async () => {
    const columns = [...ndjson.columns.map((c) => JSON.stringify(c.name)), 'year', 'month', 'day', 'hour'].join(', ')
    const [diff] = await rows(
      `select (select count(*) from (select ${columns} from main.${table.table} except all select ${columns} from pq.${table.table}))::INTEGER AS missing,
              (select count(*) from (select ${columns} from pq.${table.table} except all select ${columns} from main.${table.table}))::INTEGER AS extra`,
    )
    expect(diff).toEqual({ missing: 0, extra: 0 })
  })
})

describe('query', () => {
  it('answers the README question after npm start and a curl, from npm start data folder, as a table and as JSON', async () => {
    const question = 'select ClientCountry, count(*) from cloudflare_httprequest group by 1 order by 2 desc, 1'
    const human = await cli(['query', question], home)
    expect(human.stderr).toBe('')
    expect(human.code).toBe(0)
    const lines = human.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ClientCountry +count_star\(\)$/)
    expect(lines[1]).toMatch(/^VARCHAR +BIGINT$/)
    expect(lines.at(-1)).toMatch(/^\(\d+ rows?\)$/)

    const json = await cli(['query', question, '--json'], home)
    const report = JSON.parse(json.stdout) as { columns: { name: string; type: string }[]; rows: { ClientCountry: string; 'count_star()': number }[] }
    expect(report.columns).toEqual([
      { name: 'ClientCountry', type: 'VARCHAR' },
      { name: 'count_star()', type: 'BIGINT' },
    ])
    expect(report.rows.reduce((n, r) => n + r['count_star()'], 0)).toBe(written.get('cloudflare_httprequest'))
    expect(lines.length).toBe(report.rows.length + 4)
  })

  it('says what to do without a data folder, and refuses SQL DuckDB refuses: exit 2', async () => {
    const none = await cli(['query', 'select 1'], join(home, '.data', 's3'))
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no \.data\/ folder here: run `npm start`/)
    const bad = await cli(['query', 'select * from no_such_table', '--data', bucket])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('Table with name no_such_table does not exist')
  })
})
