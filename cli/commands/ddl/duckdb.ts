import type { ValueSpec } from '../../../src/schema/spec'
import { type Column, type LakeTable, PARTITIONS } from './table'

const SCALARS = {
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  smallint: 'SMALLINT',
  int: 'INTEGER',
  bigint: 'BIGINT',
  float: 'DOUBLE',
  timestamp: 'TIMESTAMP',
  json: 'JSON',
} as const

/** A DuckDB identifier, always quoted: field names may be keywords (`When`) and keep their case. */
export function duckdbName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** A DuckDB string literal. */
export function duckdbString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/**
 * The DuckDB type of a schema type: timestamps as TIMESTAMP (UTC, microseconds), json as JSON,
 * arrays as lists, objects with fields as STRUCTs, objects with an element as MAPs.
 * @example duckdbType({ type: 'array', element: { type: 'bigint' } }) // 'BIGINT[]'
 */
export function duckdbType(spec: ValueSpec): string {
  if (spec.type === 'array') return `${duckdbType(spec.element)}[]`
  if (spec.type === 'object') {
    if ('element' in spec) return `MAP(VARCHAR, ${duckdbType(spec.element)})`
    return `STRUCT(${spec.fields.map((f) => `${duckdbName(f.name)} ${duckdbType(f)}`).join(', ')})`
  }
  return SCALARS[spec.type]
}

const HIVE_TYPES = `{${PARTITIONS.map((p) => `${duckdbString(p)}: 'INTEGER'`).join(', ')}}`
const PARTITION_LIST = PARTITIONS.join(', ')

/**
 * Columns in groups whose keys differ from each other ignoring case: DuckDB's JSON reader takes
 * a key per struct member, and a struct's member names are case-insensitive. Almost every table
 * is one group.
 */
function caseGroups(columns: readonly Column[]): Column[][] {
  const groups: { keys: Set<string>; columns: Column[] }[] = []
  for (const column of columns) {
    const key = column.key.toLowerCase()
    let group = groups.find((g) => !g.keys.has(key))
    if (!group) {
      group = { keys: new Set(), columns: [] }
      groups.push(group)
    }
    group.keys.add(key)
    group.columns.push(column)
  }
  return groups.map((g) => g.columns)
}

function jsonColumns(columns: readonly Column[], indent: string): string {
  return columns.map((c) => `${indent}${duckdbString(c.key)}: ${duckdbString(duckdbType(c.type))}`).join(',\n')
}

/**
 * The SELECT of an NDJSON table over the objects that `glob` matches. Each line is read with
 * the schema's types (DuckDB's ISO-8601 reading of `YYYY-MM-DD HH:MM:SS.fffffffff` keeps the
 * microseconds, as the Parquet output does); the partition folders are read as integers.
 */
function ndjsonSelect(table: LakeTable, glob: string): string {
  const groups = caseGroups(table.columns)
  if (groups.length === 1) {
    return [
      // The columns in the order given, then the partitions, which read_json adds in its own order.
      `SELECT * EXCLUDE (${PARTITION_LIST}), ${PARTITION_LIST}`,
      `FROM read_json(`,
      `  ${duckdbString(glob)},`,
      `  format = 'newline_delimited', compression = 'gzip',`,
      `  hive_partitioning = true, hive_types = ${HIVE_TYPES},`,
      `  columns = {`,
      jsonColumns(table.columns, '    '),
      `  }`,
      `)`,
    ].join('\n')
  }
  // Keys that differ only in case: one typed struct per group, read from the same line.
  const groupOf = new Map<Column, number>()
  groups.forEach((g, i) => {
    for (const c of g) groupOf.set(c, i)
  })
  const select = table.columns.map((c) => {
    const member = `e${groupOf.get(c)}.${duckdbName(c.key)}`
    return `  ${c.name === c.key ? member : `${member} AS ${duckdbName(c.name)}`},`
  })
  const structs = groups.map((g, i) => {
    const structure = JSON.stringify(Object.fromEntries(g.map((c) => [c.key, duckdbType(c.type)])))
    return `  json_transform("json", ${duckdbString(structure)}) AS e${i},`
  })
  return [
    `SELECT`,
    ...select,
    `  ${PARTITION_LIST}`,
    `FROM (SELECT`,
    ...structs,
    `  ${PARTITION_LIST}`,
    `  FROM read_ndjson_objects(${duckdbString(glob)}, compression = 'gzip', hive_partitioning = true, hive_types = ${HIVE_TYPES}))`,
  ].join('\n')
}

// Parquet's UTC timestamps read as TIMESTAMP WITH TIME ZONE, which DuckDB shows in the session's
// zone; the views give UTC TIMESTAMPs in both formats. epoch_us and make_timestamp involve no zone.
function fromParquet(expr: string, spec: ValueSpec, depth = 0): string | undefined {
  if (spec.type === 'timestamp') return `make_timestamp(epoch_us(${expr}))`
  if (spec.type === 'array') {
    const v = `v${depth}`
    const inner = fromParquet(v, spec.element, depth + 1)
    return inner && `list_transform(${expr}, ${v} -> ${inner})`
  }
  if (spec.type !== 'object') return undefined
  if ('element' in spec) {
    const v = `v${depth}`
    const inner = fromParquet(`${v}.value`, spec.element, depth + 1)
    return inner && `map_from_entries(list_transform(map_entries(${expr}), ${v} -> {'key': ${v}.key, 'value': ${inner}}))`
  }
  const members = spec.fields.map((f) => {
    const member = `${expr}.${duckdbName(f.name)}`
    return { name: f.name, expr: fromParquet(member, f, depth + 1), member }
  })
  if (members.every((m) => m.expr === undefined)) return undefined
  const pack = members.map((m) => `${duckdbName(m.name)} := ${m.expr ?? m.member}`).join(', ')
  return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${pack}) END`
}

/**
 * The SELECT of a Parquet table: columns by name, across files whose columns differ
 * (`union_by_name`: an object written before the schema gained a field reads NULL there).
 * DuckDB names the second of two columns that differ only in case `<name>_1`, as the columns are named.
 */
function parquetSelect(table: LakeTable, glob: string): string {
  const select = table.columns.map((c) => {
    const column = duckdbName(c.name)
    const typed = c.type.type === 'json' ? `CAST(${column} AS JSON)` : (fromParquet(column, c.type) ?? column)
    return `  ${typed === column ? column : `${typed} AS ${column}`}`
  })
  return [
    `SELECT`,
    `${select.join(',\n')},`,
    `  ${PARTITION_LIST}`,
    `FROM read_parquet(${duckdbString(glob)}, hive_partitioning = true, hive_types = ${HIVE_TYPES}, union_by_name = true)`,
  ].join('\n')
}

/**
 * `CREATE OR REPLACE VIEW` of a table over the objects `glob` matches (a local path or an
 * s3:// URL, in DuckDB's glob syntax).
 * @example duckdbView(lakeTable(entry, 'ndjson'), 's3://logs/logs/cloudflare_httprequest/year=* /month=* /day=* /hour=* /*.json.gz')
 */
export function duckdbView(table: LakeTable, glob: string): string {
  const select = table.format === 'ndjson' ? ndjsonSelect(table, glob) : parquetSelect(table, glob)
  return `-- ${table.logType} (${table.dataset}), ${table.format}\nCREATE OR REPLACE VIEW ${duckdbName(table.table)} AS\n${select};\n`
}

/**
 * A view with the table's columns and no rows, for a table with nothing written yet: DuckDB
 * refuses a view over a glob that matches no file, and a query naming the table should get an
 * empty answer, not an error.
 */
export function duckdbEmptyView(table: LakeTable): string {
  const columns = [
    ...table.columns.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS ${duckdbName(c.name)}`),
    ...PARTITIONS.map((p) => `CAST(NULL AS INTEGER) AS ${p}`),
  ]
  return `-- ${table.logType} (${table.dataset}): no objects yet\nCREATE OR REPLACE VIEW ${duckdbName(table.table)} AS\nSELECT ${columns.join(', ')}\nWHERE false;\n`
}
