// `logpush-edge ddl`: each schema type's mapping in each engine, DuckDB's views run on files laid
// out as the Worker lays them out, and the Athena and Snowflake statements against reviewed files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { athenaTable, athenaType } from '../../cli/commands/ddl/athena'
import { duckdbType, duckdbView } from '../../cli/commands/ddl/duckdb'
import { parseLocation, tableGlob } from '../../cli/commands/ddl/location'
import { snowflakeType, snowflakeValue } from '../../cli/commands/ddl/snowflake'
import { lakeTable } from '../../cli/commands/ddl/table'
import type { ManifestEntry, ValueSpec } from '../../src/schema/spec'
import { ROOT, runCli } from './run-cli'

const EXPECTED = join(ROOT, 'test', 'cli', 'ddl')
// A few datasets that hold every type between them: structs in structs, arrays of structs and
// of json (workers_trace_events), maps, float, smallint (firewall_events), int, and two
// fields whose names differ only in case (spectrum_events).
const REVIEWED = 'firewall_events,spectrum_events,workers_trace_events'
const LOCATION = 's3://example-logs/cloudflare/'

const STRUCT: ValueSpec = {
  type: 'object',
  fields: [
    { name: 'RayID', type: 'string' },
    { name: 'Status', type: 'int' },
  ],
}

// Each schema type, and what each engine calls it.
const TYPES: [string, ValueSpec, duckdb: string, athena: string, snowflake: string][] = [
  ['string', { type: 'string' }, 'VARCHAR', 'string', 'VARCHAR'],
  ['boolean', { type: 'boolean' }, 'BOOLEAN', 'boolean', 'BOOLEAN'],
  ['smallint', { type: 'smallint' }, 'SMALLINT', 'smallint', 'SMALLINT'],
  ['int', { type: 'int' }, 'INTEGER', 'int', 'INT'],
  ['bigint', { type: 'bigint' }, 'BIGINT', 'bigint', 'BIGINT'],
  ['float', { type: 'float' }, 'DOUBLE', 'double', 'FLOAT'],
  ['timestamp', { type: 'timestamp' }, 'TIMESTAMP', 'timestamp', 'TIMESTAMP_NTZ(9)'],
  ['json', { type: 'json' }, 'JSON', 'string', 'VARIANT'],
  ['array', { type: 'array', element: { type: 'bigint' } }, 'BIGINT[]', 'array<bigint>', 'ARRAY'],
  ['struct', STRUCT, 'STRUCT("RayID" VARCHAR, "Status" INTEGER)', 'struct<rayid:string,status:int>', 'OBJECT'],
  ['map', { type: 'object', element: { type: 'float' } }, 'MAP(VARCHAR, DOUBLE)', 'map<string,double>', 'OBJECT'],
]

function entry(fields: ManifestEntry['fields']): ManifestEntry {
  return { file: 'test.yml', schema: 'Test.Types', dataset: 'test_types', scope: ['zone'], table: 'test_types', fields }
}

const run = (args: string[]) => runCli(args)

describe.each(TYPES)('the %s type', (_name, spec, duckdb, athena, snowflake) => {
  it(`is ${duckdb} in DuckDB, ${athena} in Athena, ${snowflake} in Snowflake`, () => {
    expect(duckdbType(spec)).toBe(duckdb)
    expect(athenaType(spec)).toBe(athena)
    expect(snowflakeType(spec)).toBe(snowflake)
  })
})

describe('Snowflake reads a column from the VALUE of each format', () => {
  it('casts by the key as written, parses NDJSON timestamps with their nine digits and Parquet ones in UTC, takes json whole or parses Parquet text', () => {
    expect(snowflakeValue('ClientIP', { type: 'string' }, 'ndjson')).toBe('VALUE:"ClientIP"::VARCHAR')
    expect(snowflakeValue('When', { type: 'timestamp' }, 'ndjson')).toBe(`TO_TIMESTAMP_NTZ(VALUE:"When"::VARCHAR, 'YYYY-MM-DD HH24:MI:SS.FF9')`)
    expect(snowflakeValue('When', { type: 'timestamp' }, 'parquet')).toBe(`CONVERT_TIMEZONE('UTC', VALUE:"When"::TIMESTAMP_TZ)::TIMESTAMP_NTZ(9)`)
    expect(snowflakeValue('Metadata', { type: 'json' }, 'ndjson')).toBe('VALUE:"Metadata"')
    expect(snowflakeValue('Metadata', { type: 'json' }, 'parquet')).toBe('PARSE_JSON(VALUE:"Metadata"::VARCHAR)')
    expect(snowflakeValue('Cookies', { type: 'object', element: { type: 'string' } }, 'ndjson')).toBe('VALUE:"Cookies"::OBJECT')
  })
})

describe('a table', () => {
  it('has the schema fields in order, then the p_ fields as enrichment writes them, then (Parquet) p_unknown_fields', () => {
    const ndjson = lakeTable(entry([{ name: 'When', type: 'timestamp', isEventTime: true, required: true }]), 'ndjson')
    expect(ndjson.columns.map((c) => c.name)).toEqual([
      'When',
      'p_log_type',
      'p_event_time',
      'p_parse_time',
      'p_row_id',
      'p_source_id',
      'p_source_label',
      'p_any_ip_addresses',
      'p_any_domain_names',
      'p_any_trace_ids',
      'p_any_emails',
      'p_any_usernames',
      'p_any_sha256_hashes',
      'p_any_sha1_hashes',
      'p_any_md5_hashes',
      'p_any_mac_addresses',
    ])
    const types = Object.fromEntries(ndjson.columns.map((c) => [c.name, duckdbType(c.type)]))
    expect(types).toMatchObject({ p_event_time: 'TIMESTAMP', p_parse_time: 'TIMESTAMP', p_row_id: 'VARCHAR', p_any_emails: 'VARCHAR[]' })
    const parquet = lakeTable(entry([{ name: 'When', type: 'timestamp' }]), 'parquet')
    expect(parquet.columns.at(-1)).toMatchObject({ name: 'p_unknown_fields', type: { type: 'json' } })
  })

  it('names a field that equals an earlier one ignoring case, or a partition, <name>_<n>, as DuckDB does', () => {
    const table = lakeTable(
      entry([
        { name: 'ClientASN', type: 'bigint' },
        { name: 'ClientAsn', type: 'bigint' },
        { name: 'clientasn', type: 'bigint' },
        { name: 'Hour', type: 'int' },
      ]),
      'ndjson',
    )
    expect(table.columns.slice(0, 4).map((c) => [c.name, c.key])).toEqual([
      ['ClientASN', 'ClientASN'],
      ['ClientAsn_1', 'ClientAsn'],
      ['clientasn_2', 'clientasn'],
      ['Hour_1', 'Hour'],
    ])
    expect(table.renamed).toBe(true)
  })
})

describe('--location', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'logpush-edge-location-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('takes s3://bucket/prefix with or without the last slash, and refuses other URLs and missing folders', () => {
    expect(parseLocation('s3://example-logs/cloudflare')).toEqual({
      kind: 's3',
      bucket: 'example-logs',
      prefix: 'cloudflare/',
      url: 's3://example-logs/cloudflare/',
    })
    expect(parseLocation('s3://example-logs')).toMatchObject({ prefix: '', url: 's3://example-logs/' })
    expect(() => parseLocation('https://example.com/logs/')).toThrow(/expected s3:\/\/<bucket>\/<prefix>\//)
    expect(() => parseLocation(join(dir, 'missing'))).toThrow(/no such folder/)
  })

  it("reads npm start's data folder as its local S3 server's bucket, with s3rver's file names, and a plain copy as it is", () => {
    const hour = join(dir, '.data', 's3', 'cloudflare-logs', 'logs', 't', 'year=2026', 'month=01', 'day=02', 'hour=03')
    mkdirSync(hour, { recursive: true })
    writeFileSync(join(hour, 'b.json.gz._S3rver_metadata.json'), '{}')
    writeFileSync(join(hour, 'b.json.gz._S3rver_object'), '')
    const local = parseLocation(join(dir, '.data'))
    expect(local).toEqual({ kind: 'local', root: join(dir, '.data', 's3', 'cloudflare-logs'), suffix: '._S3rver_object' })
    expect(tableGlob(local, 'ndjson', 't')).toBe(`${local.kind === 'local' && local.root}/logs/t/year=*/month=*/day=*/hour=*/*.json.gz._S3rver_object`)
    const copy = join(dir, 'copy', 'parquet', 't', 'year=2026', 'month=01', 'day=02', 'hour=03')
    mkdirSync(copy, { recursive: true })
    writeFileSync(join(copy, 'b.parquet'), '')
    expect(parseLocation(join(dir, 'copy'))).toEqual({ kind: 'local', root: join(dir, 'copy'), suffix: '' })
  })
})

describe('DuckDB views on objects laid out as the Worker writes them', () => {
  let dir: string
  let db: DuckDBInstance
  let sql: DuckDBConnection
  // Every type, nested timestamps included: the Parquet view turns each UTC timestamp into a TIMESTAMP.
  const fields: ManifestEntry['fields'] = [
    ...TYPES.map(([name, spec]) => ({ name: `${name}_field`, ...spec })),
    { name: 'Times', type: 'array', element: { type: 'timestamp' } },
    { name: 'TimeMap', type: 'object', element: { type: 'timestamp' } },
    {
      name: 'Nested',
      type: 'object',
      fields: [
        { name: 'At', type: 'timestamp' },
        { name: 'Inner', type: 'object', fields: [{ name: 'At', type: 'timestamp' }] },
      ],
    },
  ]
  const line = {
    string_field: "it's",
    boolean_field: true,
    smallint_field: -32768,
    int_field: 2147483647,
    bigint_field: JSON.rawJSON('9007199254740993'),
    float_field: 0.5,
    timestamp_field: '2026-01-02 03:59:59.999999999',
    json_field: { a: [1, 'b'] },
    array_field: [1, 2],
    struct_field: { RayID: '8f0c1d2e3a4b5c6d', Status: 200 },
    map_field: { 'cf.bot': 0.25 },
    Times: ['2026-01-02 03:00:00.000001999'],
    TimeMap: { first: '2026-01-02 03:00:00.123456789' },
    Nested: { At: '2026-01-02 03:04:05.000000000', Inner: { At: '2026-01-02 03:04:06.100000000' } },
    p_log_type: 'Test.Types',
    p_event_time: '2026-01-02 03:59:59.999999999',
    p_parse_time: '2026-01-02 04:00:00.000000000',
    p_row_id: 'r1',
    p_source_id: 's',
    p_source_label: 'l',
    p_any_ip_addresses: ['192.0.2.1'],
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logpush-edge-views-'))
    db = await DuckDBInstance.create(':memory:')
    sql = await db.connect()
    const hour = ['year=2026', 'month=01', 'day=02', 'hour=03']
    mkdirSync(join(dir, 'logs', 'test_types', ...hour), { recursive: true })
    writeFileSync(
      join(dir, 'logs', 'test_types', ...hour, 'b.json.gz'),
      gzipSync(`${JSON.stringify(line)}\n{"p_row_id":"r2","p_event_time":"2026-01-02 03:00:00.000000000"}\n`),
    )
    // The Parquet contract's physical types, written by DuckDB: UTC timestamps in microseconds
    // (TIMESTAMP WITH TIME ZONE), json as JSON-annotated text, lists, structs, maps.
    const ndjson = lakeTable(entry(fields), 'ndjson')
    await sql.run(`SET TimeZone = 'UTC'`)
    await sql.run(duckdbView(ndjson, tableGlob(parseLocation(dir), 'ndjson', 'test_types')))
    const parquetTypes = (spec: ValueSpec): string => duckdbType(spec).replaceAll('TIMESTAMP', 'TIMESTAMPTZ')
    const columns = lakeTable(entry(fields), 'parquet').columns.map((c) =>
      c.name === 'p_unknown_fields' ? `'{"Extra":1}'::JSON AS p_unknown_fields` : `CAST("${c.name}" AS ${parquetTypes(c.type)}) AS "${c.name}"`,
    )
    mkdirSync(join(dir, 'parquet', 'test_types', ...hour), { recursive: true })
    await sql.run(
      `COPY (SELECT ${columns.join(', ')} FROM test_types ORDER BY p_row_id) TO '${join(dir, 'parquet', 'test_types', ...hour, 'b.parquet')}' (FORMAT parquet)`,
    )
    await sql.run(`SET TimeZone = 'America/New_York'`)
  })

  afterAll(() => {
    sql?.closeSync()
    db?.closeSync()
    rmSync(dir, { recursive: true, force: true })
  })

  async function rows(query: string): Promise<Record<string, unknown>[]> {
    return (await sql.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[]
  }

  it('NDJSON: each value typed, timestamps cut to the microsecond (never rounded into the next hour), partitions as integers', async () => {
    const [row] = await rows(`select * from test_types where p_row_id = 'r1'`)
    expect(row).toMatchObject({
      string_field: "it's",
      boolean_field: true,
      smallint_field: -32768,
      int_field: 2147483647,
      bigint_field: '9007199254740993',
      float_field: 0.5,
      timestamp_field: '2026-01-02 03:59:59.999999',
      json_field: '{"a":[1,"b"]}',
      array_field: ['1', '2'],
      struct_field: { RayID: '8f0c1d2e3a4b5c6d', Status: 200 },
      map_field: [{ key: 'cf.bot', value: 0.25 }],
      Times: ['2026-01-02 03:00:00.000001'],
      Nested: { At: '2026-01-02 03:04:05', Inner: { At: '2026-01-02 03:04:06.1' } },
      p_event_time: '2026-01-02 03:59:59.999999',
      p_any_ip_addresses: ['192.0.2.1'],
      p_any_emails: null,
      year: 2026,
      month: 1,
      day: 2,
      hour: 3,
    })
    const [types] = await rows(`select typeof(p_event_time) AS t, typeof(json_field) AS j, typeof(hour) AS h from test_types limit 1`)
    expect(types).toEqual({ t: 'TIMESTAMP', j: 'JSON', h: 'INTEGER' })
  })

  it('Parquet: the same values and types as NDJSON for the same events, whatever the session time zone, plus p_unknown_fields', async () => {
    await sql.run(`CREATE OR REPLACE TABLE from_ndjson AS SELECT * FROM test_types`)
    await sql.run(duckdbView(lakeTable(entry(fields), 'parquet'), tableGlob(parseLocation(dir), 'parquet', 'test_types')))
    const [differ] = await rows(`select count(*)::INTEGER AS n from (select * exclude (p_unknown_fields) from test_types except select * from from_ndjson)`)
    expect(differ!.n).toBe(0)
    const [count] = await rows(`select count(*)::INTEGER AS n from test_types`)
    expect(count!.n).toBe(2)
    const described = await rows(`describe test_types`)
    const ndjson = await rows(`describe from_ndjson`)
    expect(described.slice(0, -5).map((r) => [r.column_name, r.column_type])).toEqual(ndjson.slice(0, -4).map((r) => [r.column_name, r.column_type]))
    expect(described.at(-5)).toMatchObject({ column_name: 'p_unknown_fields', column_type: 'JSON' })
  })
})

describe('Athena', () => {
  it('maps every key that is not lower case, at every level, and gives a case-folded duplicate its own name', () => {
    const sql = athenaTable(
      lakeTable(
        entry([
          { name: 'ClientASN', type: 'bigint' },
          { name: 'ClientAsn', type: 'bigint' },
          {
            name: 'Event',
            type: 'object',
            fields: [
              { name: 'RayID', type: 'string' },
              { name: 'status', type: 'int' },
            ],
          },
        ]),
        'ndjson',
      ),
      's3://example-logs/logs/test_types/',
    )
    expect(sql).toContain('  `clientasn` bigint,\n  `clientasn_1` bigint,\n  `event` struct<rayid:string,status:int>,\n')
    expect(sql).toContain(
      "  'case.insensitive' = 'false',\n  'mapping.clientasn' = 'ClientASN',\n  'mapping.clientasn_1' = 'ClientAsn',\n  'mapping.event' = 'Event',\n  'mapping.rayid' = 'RayID'\n)",
    )
  })
})

describe.each(['athena', 'snowflake'])('ddl --engine %s', (engine) => {
  it.each(['ndjson', 'parquet'])(`--format %s prints the reviewed statements (test/cli/ddl/${engine}-<format>.sql)`, async (format) => {
    const r = await run(['ddl', '--engine', engine, '--format', format, '--location', LOCATION, '--datasets', REVIEWED])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(readFileSync(join(EXPECTED, `${engine}-${format}.sql`), 'utf8'))
  })

  it('refuses a local folder: it reads S3 (exit 2)', async () => {
    const r = await run(['ddl', '--engine', engine, '--location', ROOT])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${engine} reads S3, give s3://<bucket>/<prefix>/`)
  })
})

describe('ddl usage', () => {
  it('needs --engine and --location, and served dataset names (exit 2, saying what to do)', async () => {
    expect((await run(['ddl', '--location', LOCATION])).stderr).toContain('--engine is required: one of athena, duckdb, snowflake')
    expect((await run(['ddl', '--engine', 'duckdb'])).stderr).toContain('--location is required')
    const unknown = await run(['ddl', '--engine', 'duckdb', '--location', LOCATION, '--datasets', 'http_requests,nope'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('--datasets: nope not served')
  })

  it('--json: the preamble and one statement per table, in the manifest order', async () => {
    const r = await run(['ddl', '--engine', 'duckdb', '--location', LOCATION, '--datasets', 'spectrum_events,http_requests', '--json'])
    const report = JSON.parse(r.stdout) as {
      engine: string
      format: string
      location: string
      preamble: string
      tables: { dataset: string; table: string; sql: string }[]
    }
    expect(report).toMatchObject({ engine: 'duckdb', format: 'ndjson', location: LOCATION })
    expect(report.preamble).toContain('CREATE SECRET (TYPE s3')
    expect(report.tables.map((t) => [t.dataset, t.table])).toEqual([
      ['http_requests', 'cloudflare_httprequest'],
      ['spectrum_events', 'cloudflare_spectrum'],
    ])
    expect(report.tables[0]!.sql).toContain(`read_json(\n  '${LOCATION}logs/cloudflare_httprequest/year=*/month=*/day=*/hour=*/*.json.gz',`)
  })
})
