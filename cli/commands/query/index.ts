import type { DuckDBResultReader } from '@duckdb/node-api'
import { knownDatasets } from '../../../src/schema/registry'
import { type Command, EXIT_OK, UsageError, parseCommandArgs, printJson } from '../../command'
import { duckdbViews } from '../ddl'
import { parseLocation } from '../ddl/location'
import type { LakeFormat } from '../ddl/table'

const OPTIONS = {
  data: { type: 'string' },
  format: { type: 'string' },
  'max-rows': { type: 'string' },
} as const

/** npm start's data folder, where its local S3 server keeps the bucket. */
const DEFAULT_DATA = '.data'
const DEFAULT_MAX_ROWS = 100
/** The widest a cell is printed in the table for humans; --json prints every value whole. */
const MAX_CELL = 60
const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'])

/** `query --json`: the answer's columns with their DuckDB types, and every row. */
export interface QueryReport {
  columns: { name: string; type: string }[]
  rows: Record<string, unknown>[]
}

function help(): string {
  return `Usage: logpush-edge query "<SQL>" [--data <folder>] [--format <ndjson|parquet>] [--max-rows <n>] [--json]

Runs DuckDB SQL over what the Worker wrote to the local bucket: one typed view per table
(the views of \`logpush-edge ddl --engine duckdb\`; a table with nothing written yet is an
empty view), and prints the answer.

  npm run cli -- query "select ClientCountry, count(*) from cloudflare_httprequest group by 1"

Options:
  --data <folder>      npm start's data folder (default ${DEFAULT_DATA}/, which its local S3 server
                       writes to), or a folder holding the bucket's logs/ and parquet/
  --format <name>      ndjson (default: logs/) or parquet (parquet/)
  --max-rows <n>       rows printed in the table (default ${DEFAULT_MAX_ROWS}, 0 for all); --json prints all
  --json               {columns:[{name,type}],rows:[{<column>:<value>}]}; integers that a double
                       holds exactly are numbers, other integers and timestamps are strings
  -h, --help           this text

Tables: ${knownDatasets().length} datasets' tables, such as cloudflare_httprequest; \`show tables\`
lists them, \`describe <table>\` gives the columns. Exit status: 0, or 2 for bad usage or a
query DuckDB refuses (its message says why).
`
}

function maxRows(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_ROWS
  if (!/^\d+$/.test(value)) throw new UsageError(`--max-rows must be a whole number (0 for all), got "${value}"`)
  return Number(value)
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text
}

/** The answer as an aligned text table, numbers to the right. */
function renderTable(report: QueryReport, limit: number): string {
  const shown = limit === 0 ? report.rows : report.rows.slice(0, limit)
  const cells = shown.map((row) => report.columns.map((c) => cell(row[c.name])))
  const widths = report.columns.map((c, i) => Math.max(c.name.length, c.type.length, ...cells.map((r) => r[i]!.length)))
  const numeric = report.columns.map((c) => INTEGER_TYPES.has(c.type) || c.type === 'DOUBLE' || c.type === 'FLOAT' || c.type.startsWith('DECIMAL'))
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  const out = [line(report.columns.map((c) => c.name)), line(report.columns.map((c) => c.type)), line(widths.map((w) => '-'.repeat(w)))]
  for (const row of cells) out.push(line(row))
  const n = report.rows.length
  out.push(`(${n} row${n === 1 ? '' : 's'}${shown.length < n ? `, first ${shown.length} shown: --max-rows 0 for all` : ''})`)
  return `${out.join('\n')}\n`
}

// DuckDB's JSON conversion writes every BIGINT as a string; a count is a number to a script.
function toReport(reader: DuckDBResultReader): QueryReport {
  const columns = reader.columnNames().map((name, i) => ({ name, type: String(reader.columnTypes()[i]) }))
  const integers = columns.filter((c) => INTEGER_TYPES.has(c.type)).map((c) => c.name)
  const rows = reader.getRowObjectsJson() as Record<string, unknown>[]
  for (const row of rows) {
    for (const name of integers) {
      const v = row[name]
      if (typeof v === 'string' && Number.isSafeInteger(Number(v))) row[name] = Number(v)
    }
  }
  return { columns, rows }
}

/** `query "<SQL>"`: DuckDB over the local bucket, one typed view per table. */
export const query: Command = {
  name: 'query',
  summary: 'run DuckDB SQL over the local bucket (npm start), one typed view per table',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('query', argv, OPTIONS)
    if (positionals.length !== 1)
      throw new UsageError('give one SQL text: logpush-edge query "select count(*) from cloudflare_httprequest" (see `logpush-edge query --help`)')
    const format = values.format ?? 'ndjson'
    if (format !== 'ndjson' && format !== 'parquet') throw new UsageError(`--format ${format}: expected ndjson or parquet`)
    const limit = maxRows(values['max-rows'])
    const data = values.data ?? DEFAULT_DATA
    let location: ReturnType<typeof parseLocation>
    try {
      location = parseLocation(data)
    } catch (err) {
      if (values.data === undefined && err instanceof UsageError) {
        throw new UsageError(
          `no ${DEFAULT_DATA}/ folder here: run \`npm start\` in the project's folder and post a batch (see the README), or pass --data <folder>`,
        )
      }
      throw err
    }
    if (location.kind !== 'local')
      throw new UsageError(`--data ${data}: a local folder; for s3:// use \`logpush-edge ddl --engine duckdb --location ${data}\` in DuckDB`)

    const { DuckDBInstance } = await import('@duckdb/node-api')
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    try {
      await connection.run(
        duckdbViews(location, format as LakeFormat, knownDatasets())
          .map((v) => v.sql)
          .join('\n'),
      )
      let reader: DuckDBResultReader
      try {
        reader = await connection.runAndReadAll(positionals[0]!)
      } catch (err) {
        throw new UsageError(`DuckDB: ${(err as Error).message}`)
      }
      const report = toReport(reader)
      if (values.json) printJson(report)
      else process.stdout.write(renderTable(report, limit))
      return EXIT_OK
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  },
}
