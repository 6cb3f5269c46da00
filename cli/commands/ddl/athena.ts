import type { ValueSpec } from '../../../src/schema/spec'
import { type LakeTable, PARTITIONS } from './table'

const SCALARS = {
  string: 'string',
  boolean: 'boolean',
  smallint: 'smallint',
  int: 'int',
  bigint: 'bigint',
  float: 'double',
  timestamp: 'timestamp',
  // JSON text: the JSON SerDe gives an object or array in a string column as its text, and
  // Parquet holds json as annotated strings. Query it with json_extract.
  json: 'string',
} as const

/**
 * The years the partition projection covers. Athena projects only the partitions a query's
 * filter on year/month/day/hour allows, so a wide range costs nothing on filtered queries; an
 * unfiltered one lists every hour of it. Widen it in the table when data leaves it.
 */
export const PROJECTED_YEARS = [2019, 2039] as const

/** Athena (Hive DDL) names: lower case, as Athena folds them, unique within a table. */
class Names {
  // Athena name -> the JSON key it reads.
  readonly keys = new Map<string, string>()

  /** The Athena name of a member named `key`: its lower case, else that plus `_<n>` where the lower case is another key's. */
  name(key: string, preferred = key.toLowerCase()): string {
    let name = preferred
    for (let n = 1; this.keys.has(name) && this.keys.get(name) !== key; n++) name = `${preferred}_${n}`
    this.keys.set(name, key)
    return name
  }
}

/**
 * The Athena type of a schema type; struct members get their names from `names`.
 * @example athenaType({ type: 'object', element: { type: 'float' } }) // 'map<string,double>'
 */
export function athenaType(spec: ValueSpec, names = new Names()): string {
  if (spec.type === 'array') return `array<${athenaType(spec.element, names)}>`
  if (spec.type === 'object') {
    if ('element' in spec) return `map<string,${athenaType(spec.element, names)}>`
    return `struct<${spec.fields.map((f) => `${names.name(f.name)}:${athenaType(f, names)}`).join(',')}>`
  }
  return SCALARS[spec.type]
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "\\'")}'`
}

/**
 * `CREATE EXTERNAL TABLE` of a table at `location` (its folder, `s3://bucket/prefix/logs/<table>/`):
 * partition projection on year/month/day/hour, so no crawler or `MSCK REPAIR TABLE` is needed.
 * NDJSON is read by the OpenX JSON SerDe with case-sensitive keys: Athena folds column names
 * to lower case, so every key that is not lower case is mapped, at every level (the SerDe's
 * mappings apply to struct members too). Parquet is read by column name, or by position in a
 * table with two columns whose names differ only in case (Athena matches names ignoring case).
 */
export function athenaTable(table: LakeTable, location: string): string {
  const names = new Names()
  const columns = table.columns.map((c) => {
    const name = names.name(c.key, c.name.toLowerCase())
    return `  \`${name}\` ${athenaType(c.type, names)}`
  })
  const lines = [
    `-- ${table.logType} (${table.dataset}), ${table.format}`,
    ...(table.format === 'parquet' && table.renamed
      ? ['-- Read by position: two columns differ only in case. Re-create the table when the schema gains a column.']
      : []),
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${table.table}\` (`,
    columns.join(',\n'),
    `)`,
    `PARTITIONED BY (${PARTITIONS.map((p) => `\`${p}\` int`).join(', ')})`,
  ]
  if (table.format === 'ndjson') {
    const mappings = [...names.keys].filter(([name, key]) => name !== key).map(([name, key]) => `  ${quote(`mapping.${name}`)} = ${quote(key)}`)
    lines.push(
      `ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'`,
      `WITH SERDEPROPERTIES (`,
      [`  'case.insensitive' = 'false'`, ...mappings].join(',\n'),
      `)`,
    )
  } else if (table.renamed) {
    lines.push(`ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'`)
    lines.push(`WITH SERDEPROPERTIES ('parquet.column.index.access' = 'true')`)
    lines.push(`STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'`)
    lines.push(`OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'`)
  } else {
    lines.push(`STORED AS PARQUET`)
  }
  const template = `${location}${PARTITIONS.map((p) => `${p}=\${${p}}/`).join('')}`
  const projection = [
    `'projection.enabled' = 'true'`,
    `'projection.year.type' = 'integer'`,
    `'projection.year.range' = '${PROJECTED_YEARS.join(',')}'`,
    ...(
      [
        ['month', '1,12'],
        ['day', '1,31'],
        ['hour', '0,23'],
      ] as const
    ).flatMap(([p, range]) => [`'projection.${p}.type' = 'integer'`, `'projection.${p}.range' = '${range}'`, `'projection.${p}.digits' = '2'`]),
    `'storage.location.template' = ${quote(template)}`,
  ]
  lines.push(`LOCATION ${quote(location)}`, `TBLPROPERTIES (`, projection.map((p) => `  ${p}`).join(',\n'), `);`)
  return `${lines.join('\n')}\n`
}
