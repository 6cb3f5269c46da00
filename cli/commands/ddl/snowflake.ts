import type { ValueSpec } from '../../../src/schema/spec'
import { type LakeFormat, type LakeTable, PARTITIONS } from './table'

const SCALARS = {
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  smallint: 'SMALLINT',
  int: 'INT',
  bigint: 'BIGINT',
  float: 'FLOAT',
  // Nanoseconds, as NDJSON writes them; Parquet's microseconds fit.
  timestamp: 'TIMESTAMP_NTZ(9)',
  json: 'VARIANT',
} as const

/** The stage the external tables read, created by the statements `snowflakePreamble` gives. */
export const STAGE = 'logpush_edge'
/** The storage integration the stage uses: created once per account by an administrator (README, "Query it"). */
export const STORAGE_INTEGRATION = 'logpush_edge_s3'
/** The named file format of each layout. */
export const FILE_FORMATS: Record<LakeFormat, { name: string; options: string }> = {
  ndjson: { name: 'logpush_edge_ndjson', options: 'TYPE = JSON COMPRESSION = GZIP' },
  parquet: { name: 'logpush_edge_parquet', options: 'TYPE = PARQUET USE_LOGICAL_TYPE = TRUE' },
}

/**
 * The Snowflake type of a schema type. Arrays, structs and maps are semi-structured (ARRAY,
 * OBJECT): external tables take no structured types.
 * @example snowflakeType({ type: 'timestamp' }) // 'TIMESTAMP_NTZ(9)'
 */
export function snowflakeType(spec: ValueSpec): string {
  if (spec.type === 'array') return 'ARRAY'
  if (spec.type === 'object') return 'OBJECT'
  return SCALARS[spec.type]
}

/** NDJSON timestamps are text: UTC, nine fraction digits. */
const NDJSON_TIMESTAMP = 'YYYY-MM-DD HH24:MI:SS.FF9'

/**
 * The expression that reads a column from an external table's VALUE: the key quoted (JSON and
 * Parquet names are case-sensitive), then cast to the column's type.
 * @example snowflakeValue('EdgeStartTimestamp', { type: 'timestamp' }, 'ndjson') // `TO_TIMESTAMP_NTZ(VALUE:"EdgeStartTimestamp"::VARCHAR, 'YYYY-MM-DD HH24:MI:SS.FF9')`
 */
export function snowflakeValue(key: string, spec: ValueSpec, format: LakeFormat): string {
  const value = `VALUE:"${key}"`
  if (spec.type === 'timestamp') {
    if (format === 'ndjson') return `TO_TIMESTAMP_NTZ(${value}::VARCHAR, '${NDJSON_TIMESTAMP}')`
    // Parquet's TIMESTAMP(MICROS, UTC) is an instant (USE_LOGICAL_TYPE): its UTC wall time, not the session's.
    return `CONVERT_TIMEZONE('UTC', ${value}::TIMESTAMP_TZ)::TIMESTAMP_NTZ(9)`
  }
  // Parquet holds json as text; NDJSON as the value itself.
  if (spec.type === 'json') return format === 'ndjson' ? value : `PARSE_JSON(${value}::VARCHAR)`
  return `${value}::${snowflakeType(spec)}`
}

/**
 * An unquoted identifier would be read in upper case, and a keyword (`When`) would not parse:
 * quoting the upper-case name is the same identifier as the unquoted name, so `select
 * ClientCountry from ...` works, and it parses whatever the name.
 */
function identifier(name: string): string {
  return `"${name.toUpperCase()}"`
}

function literal(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

/**
 * The statements an external table needs first: the file format and the stage on `url`
 * (`s3://bucket/prefix/`), through the storage integration.
 */
export function snowflakePreamble(url: string, format: LakeFormat): string {
  const { name, options } = FILE_FORMATS[format]
  return [
    `CREATE FILE FORMAT IF NOT EXISTS ${name} ${options};`,
    `CREATE STAGE IF NOT EXISTS ${STAGE} URL = ${literal(url)} STORAGE_INTEGRATION = ${STORAGE_INTEGRATION};`,
    '',
  ].join('\n')
}

/**
 * `CREATE EXTERNAL TABLE` of a table under the stage: a typed virtual column per field, and the
 * partitions (year, month, day, hour) parsed from each object's path, so queries that filter on
 * them read only those folders. `AUTO_REFRESH = FALSE`: run `ALTER EXTERNAL TABLE ... REFRESH`
 * (or set up event notifications) to see new objects.
 */
export function snowflakeTable(table: LakeTable): string {
  const { folder, pattern } = table.format === 'ndjson' ? { folder: 'logs', pattern: '.*[.]json[.]gz' } : { folder: 'parquet', pattern: '.*[.]parquet' }
  const partitions = PARTITIONS.map((p) => `  ${identifier(p)} INT AS (TO_NUMBER(REGEXP_SUBSTR(METADATA$FILENAME, '/${p}=([0-9]+)/', 1, 1, 'e', 1)))`)
  const columns = table.columns.map((c) => `  ${identifier(c.name)} ${snowflakeType(c.type)} AS (${snowflakeValue(c.key, c.type, table.format)})`)
  return [
    `-- ${table.logType} (${table.dataset}), ${table.format}`,
    `CREATE OR REPLACE EXTERNAL TABLE ${table.table} (`,
    [...columns, ...partitions].join(',\n'),
    `)`,
    `PARTITION BY (${PARTITIONS.map(identifier).join(', ')})`,
    `LOCATION = @${STAGE}/${folder}/${table.table}/`,
    `PATTERN = '${pattern}'`,
    `FILE_FORMAT = (FORMAT_NAME = '${FILE_FORMATS[table.format].name}')`,
    `AUTO_REFRESH = FALSE;`,
    '',
  ].join('\n')
}
