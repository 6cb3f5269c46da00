import { ENRICHED_FIELDS } from '../../../src/ports'
import type { ManifestEntry, ValueSpec } from '../../../src/schema/spec'

/** The two layouts the Worker writes (DESIGN.md, "Output layout"). */
export type LakeFormat = 'ndjson' | 'parquet'

/** The Hive-style partition folders of every table, outermost first; each holds an integer. */
export const PARTITIONS = ['year', 'month', 'day', 'hour'] as const

/** The top folder of each format under the bucket's prefix, and its objects' extension. */
export const FORMAT_LAYOUT: Record<LakeFormat, { folder: string; extension: string }> = {
  ndjson: { folder: 'logs/', extension: '.json.gz' },
  parquet: { folder: 'parquet/', extension: '.parquet' },
}

/** The Parquet column that keeps the members a schema has no field for, as JSON text. */
export const UNKNOWN_FIELDS = 'p_unknown_fields'

/** One column of a table as the engines see it. */
export interface Column {
  /**
   * The column's name: the field's, or `<field>_<n>` (n = 1, 2, ...) when an earlier column's
   * name equals it ignoring case, as DuckDB names such columns. Athena and Snowflake fold case,
   * and real schemas have such pairs (an older spelling beside a newer one, a zone and an
   * account variant of one dataset).
   */
  name: string
  /** The member's name in an NDJSON line, and the Parquet column's name. */
  key: string
  type: ValueSpec
  description?: string
}

/** A dataset's table in one format: its columns in the order the Parquet contract gives them. */
export interface LakeTable {
  dataset: string
  table: string
  logType: string
  format: LakeFormat
  columns: Column[]
  /** Whether a column was renamed because its name equals an earlier one's ignoring case. */
  renamed: boolean
}

const STRING: ValueSpec = { type: 'string' }
const TIMESTAMP: ValueSpec = { type: 'timestamp' }
const STRING_LIST: ValueSpec = { type: 'array', element: STRING }

// The enrichment writes the names; their types follow from Panther's meaning of them.
function standardType(name: string): ValueSpec {
  if (name.startsWith('p_any_')) return STRING_LIST
  return name === 'p_event_time' || name === 'p_parse_time' ? TIMESTAMP : STRING
}

/**
 * The table of a schema in a format: the schema's fields in order, then Panther's standard
 * fields in the order enrichment writes them, then (Parquet only) the unknown fields' column.
 * The partitions (year, month, day, hour) come from the object keys, not from the columns.
 * @example lakeTable(schemaFiles().http_requests, 'ndjson').columns[0].name // 'BotDetectionIDs'
 */
export function lakeTable(entry: ManifestEntry, format: LakeFormat): LakeTable {
  const fields: Omit<Column, 'name'>[] = entry.fields.map((field) => ({ key: field.name, type: field, description: field.description }))
  for (const name of ENRICHED_FIELDS) fields.push({ key: name, type: standardType(name) })
  if (format === 'parquet') fields.push({ key: UNKNOWN_FIELDS, type: { type: 'json' }, description: 'Members the schema has no field for, as a JSON object.' })
  const taken = new Set<string>(PARTITIONS)
  let renamed = false
  const columns = fields.map((field) => {
    let name = field.key
    for (let n = 1; taken.has(name.toLowerCase()); n++) name = `${field.key}_${n}`
    renamed ||= name !== field.key
    taken.add(name.toLowerCase())
    return { name, ...field }
  })
  return { dataset: entry.dataset, table: entry.table, logType: entry.schema, format, columns, renamed }
}
