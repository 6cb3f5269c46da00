// The column contract of the Parquet output: which columns a table's files have, their Parquet
// types, and how an event's values become the values the writer takes. The DDL of every engine and
// the readers of the files rely on it:
//   the schema's fields in order, then p_log_type, p_event_time, p_parse_time, p_row_id,
//   p_source_id, p_source_label, the nine p_any_* lists, then p_unknown_fields (JSON text of every
//   field the schema does not know, null when there is none), all OPTIONAL.
// Types: string -> BYTE_ARRAY STRING, boolean -> BOOLEAN, bigint -> INT64, int -> INT32, smallint ->
// INT32 INT_16, float -> DOUBLE, timestamp -> INT64 TIMESTAMP(MICROS, UTC), json -> BYTE_ARRAY
// JSON, array -> LIST, struct -> group, map -> MAP (STRING keys), p_any_* -> LIST of STRING.
// Microseconds, not the nanoseconds the NDJSON text keeps: Athena and Snowflake read timestamps to
// the microsecond at most (a nanosecond column reads wrong or not at all there), DuckDB reads
// microseconds as its own TIMESTAMP WITH TIME ZONE.
import type { SchemaElement } from 'hyparquet'
import { type ColumnField, type ColumnType, INDICATOR_COLUMNS, STANDARD_COLUMNS } from '../../ports'
import { daysFromCivil } from '../../utils/civil-date'

export { INDICATOR_COLUMNS, STANDARD_COLUMNS }

/** The last column: what NDJSON keeps and the typed columns cannot hold. */
export const UNKNOWN_FIELDS_COLUMN = 'p_unknown_fields'

const STANDARD_TYPES: Record<(typeof STANDARD_COLUMNS)[number], ColumnType> = {
  p_log_type: { type: 'string' },
  p_event_time: { type: 'timestamp' },
  p_parse_time: { type: 'timestamp' },
  p_row_id: { type: 'string' },
  p_source_id: { type: 'string' },
  p_source_label: { type: 'string' },
}

/** A value as the event gives it (null or undefined: none) -> the value the writer takes. */
export type Convert = (value: unknown) => unknown
/** The members of a value the schema gives no column, in the value's own shape, or undefined. */
export type Residue = (value: unknown) => unknown

/** One top-level column of the file. */
export interface ParquetColumn {
  readonly name: string
  /** Its schema elements, depth first, the column's own first. */
  readonly elements: readonly SchemaElement[]
  /** Min/max statistics, for engines to skip row groups; not for JSON, whose bounds would be whole documents. */
  readonly statistics: boolean
  readonly convert: Convert
}

/** The columns of one table's files. */
export interface ParquetLayout {
  /** The file's schema: the root, then every column's elements. */
  readonly schema: SchemaElement[]
  /** Every column in file order; the first `fields` are the schema's, by the event's column index. */
  readonly columns: readonly ParquetColumn[]
  /** How many of `columns` are the schema's fields. */
  readonly fields: number
  /**
   * By the schema's column index: for a column with structs inside, what a value has beyond their
   * fields. It goes into p_unknown_fields under the column's name, at the same path as in the
   * event, so the JSON path that reads it from NDJSON reads it there too.
   */
  readonly residues: readonly (Residue | undefined)[]
}

const OPTIONAL = 'OPTIONAL'
const C0 = 48

/**
 * Microseconds since the epoch of a timestamp as the pipeline writes it,
 * `YYYY-MM-DD HH:MM:SS.fffffffff` (UTC); the nanoseconds below the microsecond are dropped
 * (rounded down, as the digits are a non-negative fraction of the second).
 * @example timestampMicros('2022-05-25 13:25:26.123456789') // 1653485126123456n
 */
export function timestampMicros(text: string): bigint {
  const days = daysFromCivil(digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2))
  const seconds = days * 86400 + digits(text, 11, 2) * 3600 + digits(text, 14, 2) * 60 + digits(text, 17, 2)
  // Below 2^53 for every year from 1 to 9999 (3e11 s), so the double is exact.
  return BigInt(seconds) * 1_000_000n + BigInt(text.length > 20 ? digits(text, 20, 6) : 0)
}

function digits(s: string, at: number, n: number): number {
  let v = 0
  for (let i = at; i < at + n; i++) v = v * 10 + (s.charCodeAt(i) - C0)
  return v
}

/**
 * A JSON value as the writer's JSON columns take it. The writer turns a value into text with
 * `JSON.stringify(toJson(v))`, and its `toJson` copies objects into plain ones (a member named
 * `__proto__` would become a prototype, and be lost) and turns bigints into doubles. An object
 * without a prototype is passed through as it is, and its `toJSON` hands JSON.stringify the value
 * itself: the text is JSON.stringify's, every digit of a `JSON.rawJSON` number kept.
 */
function jsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value !== 'object' || JSON.isRawJSON(value)) return value
  const wrapped = Object.create(null) as { toJSON(): unknown }
  wrapped.toJSON = () => value
  return wrapped
}

/** A member set that may hold `__proto__` as an own key: JSON text of the members, nothing inherited. */
export function memberSet(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>
}

function int64(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'number') return BigInt(value)
  if (JSON.isRawJSON(value)) return BigInt(value.rawJSON)
  throw new TypeError(`parquet: expected an integer for a bigint column, got ${typeof value}`)
}

function double(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'number') return value
  // A float column keeps an integer beyond 2^53 as its text; within a double's range.
  if (JSON.isRawJSON(value)) return Number(value.rawJSON)
  throw new TypeError(`parquet: expected a number for a float column, got ${typeof value}`)
}

function timestamp(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return timestampMicros(value)
  throw new TypeError(`parquet: expected a normalised timestamp, got ${typeof value}`)
}

const asIs: Convert = (value) => value ?? null

function scalarElement(name: string, type: Exclude<ColumnType['type'], 'array' | 'object'>): SchemaElement {
  switch (type) {
    case 'string':
      return { name, repetition_type: OPTIONAL, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }
    case 'boolean':
      return { name, repetition_type: OPTIONAL, type: 'BOOLEAN' }
    case 'bigint':
      return { name, repetition_type: OPTIONAL, type: 'INT64' }
    case 'int':
      return { name, repetition_type: OPTIONAL, type: 'INT32' }
    case 'smallint':
      // The converted type alone, which readers take as INT(16, signed): hyparquet-writer writes the
      // logical INTEGER's bit width as an i32 where Thrift has an i8, and DuckDB refuses the footer.
      return { name, repetition_type: OPTIONAL, type: 'INT32', converted_type: 'INT_16' }
    case 'float':
      return { name, repetition_type: OPTIONAL, type: 'DOUBLE' }
    case 'timestamp':
      return {
        name,
        repetition_type: OPTIONAL,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      }
    case 'json':
      return { name, repetition_type: OPTIONAL, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } }
  }
}

function scalarConvert(type: Exclude<ColumnType['type'], 'array' | 'object'>): Convert {
  switch (type) {
    case 'bigint':
      return int64
    case 'float':
      return double
    case 'timestamp':
      return timestamp
    case 'json':
      return jsonValue
    default:
      // string, boolean, int, smallint: the checked value is already what the column holds.
      return asIs
  }
}

interface Mapped {
  elements: SchemaElement[]
  convert: Convert
  /** Undefined when the type has no struct inside: then nothing of a value can be unknown. */
  residue: Residue | undefined
  /** Whether a JSON leaf is inside. */
  json: boolean
}

/**
 * The Parquet shape of one column or struct member: its schema elements (depth first), how an
 * event's value becomes the writer's, and what of a value the shape has no place for.
 * @example mapColumn('Tags', { type: 'array', element: { type: 'string' } }).elements.length // 3 (LIST, list, element)
 */
export function mapColumn(name: string, spec: ColumnType): Mapped {
  if (spec.type === 'array') {
    const element = mapColumn('element', spec.element)
    const convertElement = element.convert
    return {
      elements: [
        { name, repetition_type: OPTIONAL, converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...element.elements,
      ],
      // A new array always: the event's arrays are not the writer's to keep.
      convert: (value) => (Array.isArray(value) ? value.map(convertElement) : null),
      residue: element.residue && arrayResidue(element.residue),
      json: element.json,
    }
  }
  if (spec.type === 'object' && 'fields' in spec) {
    const members = spec.fields.map((f) => ({ name: f.name, ...mapColumn(f.name, f) }))
    return {
      elements: [{ name, repetition_type: OPTIONAL, num_children: members.length }, ...members.flatMap((m) => m.elements)],
      convert: (value) => {
        if (typeof value !== 'object' || value === null) return null
        const record = value as Record<string, unknown>
        const out: Record<string, unknown> = {}
        // Schema field names are never Object.prototype's (the schema format refuses them).
        for (const m of members) out[m.name] = m.convert(record[m.name])
        return out
      },
      residue: structResidue(members),
      json: members.some((m) => m.json),
    }
  }
  if (spec.type === 'object') {
    const value = mapColumn('value', spec.element)
    const convertValue = value.convert
    return {
      elements: [
        { name, repetition_type: OPTIONAL, converted_type: 'MAP', logical_type: { type: 'MAP' }, num_children: 1 },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        { name: 'key', repetition_type: 'REQUIRED', type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
        ...value.elements,
      ],
      convert: (v) => {
        if (typeof v !== 'object' || v === null) return null
        const record = v as Record<string, unknown>
        return Object.keys(record).map((key) => ({ key, value: convertValue(record[key]) }))
      },
      residue: value.residue && mapResidue(value.residue),
      json: value.json,
    }
  }
  return { elements: [scalarElement(name, spec.type)], convert: scalarConvert(spec.type), residue: undefined, json: spec.type === 'json' }
}

function arrayResidue(element: Residue): Residue {
  return (value) => {
    if (!Array.isArray(value)) return undefined
    let any = false
    const out = value.map((item) => {
      const r = element(item)
      if (r === undefined) return null
      any = true
      return r
    })
    return any ? out : undefined
  }
}

function mapResidue(element: Residue): Residue {
  return (value) => {
    if (typeof value !== 'object' || value === null) return undefined
    const record = value as Record<string, unknown>
    let out: Record<string, unknown> | undefined
    for (const key of Object.keys(record)) {
      const r = element(record[key])
      if (r !== undefined) (out ??= memberSet())[key] = r
    }
    return out
  }
}

function structResidue(members: readonly { name: string; residue: Residue | undefined }[]): Residue {
  const byName = new Map(members.map((m) => [m.name, m.residue]))
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    const record = value as Record<string, unknown>
    let out: Record<string, unknown> | undefined
    for (const key of Object.keys(record)) {
      if (!byName.has(key)) {
        // A member set to undefined is one the check emptied (""): NDJSON leaves it out too.
        if (record[key] !== undefined) (out ??= memberSet())[key] = record[key]
        continue
      }
      const inner = byName.get(key)
      const r = inner?.(record[key])
      if (r !== undefined) (out ??= memberSet())[key] = r
    }
    return out
  }
}

function column(name: string, spec: ColumnType): ParquetColumn {
  const { elements, convert, json } = mapColumn(name, spec)
  return { name, elements, convert, statistics: !json }
}

const STRING_LIST: ColumnType = { type: 'array', element: { type: 'string' } }

/**
 * The columns of the files of a table whose schema has `fields` (in the event's column order):
 * the contract above.
 * @example parquetLayout(fields).schema[0] // { name: 'schema', num_children: fields.length + 16 }
 */
export function parquetLayout(fields: readonly ColumnField[]): ParquetLayout {
  const mapped = fields.map((f) => ({ name: f.name, ...mapColumn(f.name, f) }))
  const columns: ParquetColumn[] = [
    ...mapped.map((m) => ({ name: m.name, elements: m.elements, convert: m.convert, statistics: !m.json })),
    ...STANDARD_COLUMNS.map((name) => column(name, STANDARD_TYPES[name])),
    ...INDICATOR_COLUMNS.map((name) => column(name, STRING_LIST)),
    column(UNKNOWN_FIELDS_COLUMN, { type: 'json' }),
  ]
  const names = new Set<string>()
  for (const c of columns) {
    // A schema field named like a standard column would make two columns of one name.
    if (names.has(c.name)) throw new Error(`parquet: two columns named ${c.name}`)
    names.add(c.name)
  }
  return {
    schema: [{ name: 'schema', num_children: columns.length }, ...columns.flatMap((c) => c.elements)],
    columns,
    fields: fields.length,
    residues: mapped.map((m) => m.residue),
  }
}
