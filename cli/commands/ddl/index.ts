import { knownDatasets, schemaFiles } from '../../../src/schema/registry'
import { type Command, EXIT_OK, UsageError, parseCommandOptions, printJson } from '../../command'
import { PROJECTED_YEARS, athenaTable } from './athena'
import { duckdbEmptyView, duckdbView } from './duckdb'
import { type Location, hasObjects, parseLocation, tableGlob, tableLocation } from './location'
import { STORAGE_INTEGRATION, snowflakePreamble, snowflakeTable } from './snowflake'
import { type LakeFormat, lakeTable } from './table'

const ENGINES = ['athena', 'duckdb', 'snowflake'] as const
type Engine = (typeof ENGINES)[number]
const FORMATS: readonly LakeFormat[] = ['ndjson', 'parquet']

const OPTIONS = {
  engine: { type: 'string' },
  format: { type: 'string' },
  location: { type: 'string' },
  datasets: { type: 'string' },
} as const

/** One table's statement, as `ddl --json` lists it. */
export interface TableDdl {
  dataset: string
  table: string
  sql: string
}

/** `ddl --json`: what runs first (the engine's set-up, as comments or statements), then one statement per table. */
export interface DdlReport {
  engine: Engine
  format: LakeFormat
  location: string
  preamble: string
  tables: TableDdl[]
}

function help(): string {
  return `Usage: logpush-edge ddl --engine <athena|duckdb|snowflake> [--format <ndjson|parquet>]
                       --location <s3://bucket/prefix/ or a local folder> [--datasets <a,b>|all] [--json]

Prints the table definitions of the chosen datasets over what the Worker writes at
--location (the bucket and S3_PREFIX): typed columns from the schemas, then Panther's p_
fields, partitions year, month, day and hour as integers, timestamps as timestamps.

  athena     CREATE EXTERNAL TABLE with partition projection (no crawler, no MSCK REPAIR);
             NDJSON through the OpenX JSON SerDe with case-sensitive key mappings
  duckdb     CREATE OR REPLACE VIEW over read_json / read_parquet (s3:// needs httpfs and
             a secret; a local folder is read in place)
  snowflake  a file format, a stage and CREATE EXTERNAL TABLE with typed virtual columns

Options:
  --engine <name>      athena, duckdb or snowflake
  --format <name>      ndjson (default: logs/, gzip NDJSON) or parquet (parquet/)
  --location <where>   s3://<bucket>/<prefix>/ as the Worker's S3_BUCKET and S3_PREFIX, or
                       (duckdb only) a local folder holding logs/ or parquet/: a copy of the
                       bucket, or npm start's .data/ (its local S3 server's bucket is read)
  --datasets <list>    comma-separated dataset names, or all (default)
  --json               {engine,format,location,preamble,tables:[{dataset,table,sql}]}
  -h, --help           this text

Datasets: ${knownDatasets().join(', ')}.

Column names are the schema's; a field whose name equals an earlier one's ignoring case
(engines fold case) is <name>_1. Exit status: 0, or 2 for bad usage.
`
}

function choice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (value === undefined) throw new UsageError(`--${flag} is required: one of ${allowed.join(', ')} (see \`logpush-edge ddl --help\`)`)
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} ${value}: expected one of ${allowed.join(', ')}`)
  return value as T
}

/**
 * The datasets a `--datasets` value names (`all` or none: every served one), in the manifest's order.
 * @example chosenDatasets('http_requests,dns_logs') // ['dns_logs', 'http_requests']
 */
export function chosenDatasets(value: string | undefined): string[] {
  const served = knownDatasets()
  if (value === undefined || value === 'all') return served
  const names = value.split(',').map((s) => s.trim())
  const unknown = names.filter((n) => !served.includes(n))
  if (unknown.length > 0) throw new UsageError(`--datasets: ${unknown.join(', ')} not served; use all or some of ${served.join(', ')}`)
  return served.filter((d) => names.includes(d))
}

/**
 * DuckDB views of the datasets at a location: over a local folder, a table with no object yet
 * is an empty typed view (DuckDB refuses a view over a glob that matches nothing).
 */
export function duckdbViews(location: Location, format: LakeFormat, datasets: readonly string[]): TableDdl[] {
  return datasets.map((dataset) => {
    const table = lakeTable(schemaFiles()[dataset]!, format)
    const empty = location.kind === 'local' && !hasObjects(location, format, table.table)
    return { dataset, table: table.table, sql: empty ? duckdbEmptyView(table) : duckdbView(table, tableGlob(location, format, table.table)) }
  })
}

function preamble(engine: Engine, location: Location, format: LakeFormat): string {
  const where = location.kind === 's3' ? location.url : location.root
  const head = `-- ${engine} tables over ${where} (${format}), by logpush-edge ddl.\n`
  if (engine === 'duckdb') {
    if (location.kind === 'local') return head
    return `${head}-- Reading s3:// needs the httpfs extension (DuckDB loads it) and a secret, made once per session or with CREATE PERSISTENT SECRET:
--   CREATE SECRET (TYPE s3, PROVIDER credential_chain);                          -- AWS, from your usual credentials
--   CREATE SECRET (TYPE s3, KEY_ID '<key>', SECRET '<secret>', REGION 'auto',
--                  ENDPOINT '<account_id>.r2.cloudflarestorage.com', URL_STYLE 'path');  -- R2's S3 API
`
  }
  if (engine === 'athena') {
    return `${head}-- Run each statement in the Athena database of your choice. Partitions are projected for years ${PROJECTED_YEARS.join('-')};
-- filter on year (and month, day, hour) to read only those folders.
`
  }
  return `${head}-- Needs a storage integration named ${STORAGE_INTEGRATION} that may read ${where} (README, "Query it").
${snowflakePreamble(where, format)}`
}

/**
 * The statements `ddl` prints.
 * @example ddlReport('athena', 'ndjson', parseLocation('s3://logs/'), ['http_requests']).tables[0].table // 'cloudflare_httprequest'
 */
export function ddlReport(engine: Engine, format: LakeFormat, location: Location, datasets: readonly string[]): DdlReport {
  if (engine !== 'duckdb' && location.kind === 'local') {
    throw new UsageError(`--location ${location.root}: ${engine} reads S3, give s3://<bucket>/<prefix>/ (only duckdb reads a local folder)`)
  }
  const tables =
    engine === 'duckdb'
      ? duckdbViews(location, format, datasets)
      : datasets.map((dataset) => {
          const table = lakeTable(schemaFiles()[dataset]!, format)
          const sql = engine === 'athena' ? athenaTable(table, tableLocation(location, format, table.table)) : snowflakeTable(table)
          return { dataset, table: table.table, sql }
        })
  return { engine, format, location: location.kind === 's3' ? location.url : location.root, preamble: preamble(engine, location, format), tables }
}

/** `ddl --engine <e> --location <l>`: table definitions for every dataset, from the schemas. */
export const ddl: Command = {
  name: 'ddl',
  summary: 'print table definitions (Athena, DuckDB, Snowflake) for the bucket the Worker writes',
  help,
  async run(argv) {
    const values = parseCommandOptions('ddl', argv, OPTIONS)
    const engine = choice('engine', values.engine, ENGINES)
    const format = choice('format', values.format, FORMATS, 'ndjson')
    if (values.location === undefined) throw new UsageError('--location is required: s3://<bucket>/<prefix>/ or a local folder (see `logpush-edge ddl --help`)')
    const report = ddlReport(engine, format, parseLocation(values.location), chosenDatasets(values.datasets))
    if (values.json) printJson(report)
    else process.stdout.write(`${report.preamble}\n${report.tables.map((t) => t.sql).join('\n')}`)
    return EXIT_OK
  },
}
