import { describe, expect, it } from 'vitest'
import type { SchemaElement } from 'hyparquet'
import { INDICATOR_COLUMNS, mapColumn, parquetLayout, STANDARD_COLUMNS, timestampMicros, UNKNOWN_FIELDS_COLUMN } from '../../src/formats/parquet/columns'
import { ParquetObjectWriter } from '../../src/formats/parquet/writer'
import { ENRICHED_FIELDS } from '../../src/ports'
import { EventParser } from '../../src/pipeline/parse'
import type { ColumnField } from '../../src/ports'
import { compileSchema } from '../../src/schema/compile'
import type { SchemaFile } from '../../src/schema/spec'
import { batchContext } from '../helpers/streams'
import { memoryStorage, readParquet } from '../helpers/parquet'

// The column contract, type by type: the schema elements each schema type maps to, and the values
// a real reader (hyparquet) gets back from a file the writer made of events the parser checked.

const OPTIONAL = 'OPTIONAL'

/** A one-dataset schema with a field of each type the schema format has, nested ones too. */
const file: SchemaFile = {
  schema: 'Test.Types',
  dataset: 'test_types',
  scope: ['zone'],
  table: 'test_types',
  fields: [
    { name: 'When', type: 'timestamp', required: true, isEventTime: true, timeFormats: ['cloudflare'] },
    { name: 'Str', type: 'string', indicators: ['ip'] },
    { name: 'Bool', type: 'boolean' },
    { name: 'Big', type: 'bigint' },
    { name: 'Int', type: 'int' },
    { name: 'Small', type: 'smallint' },
    { name: 'Float', type: 'float' },
    { name: 'Json', type: 'json' },
    { name: 'Strings', type: 'array', element: { type: 'string' } },
    {
      name: 'Hops',
      type: 'array',
      element: {
        type: 'object',
        fields: [
          { name: 'name', type: 'string' },
          { name: 'rtt', type: 'array', element: { type: 'float' } },
        ],
      },
    },
    {
      name: 'Stats',
      type: 'object',
      fields: [
        { name: 'sent', type: 'bigint' },
        { name: 'at', type: 'timestamp' },
        { name: 'inner', type: 'object', fields: [{ name: 'ok', type: 'boolean' }] },
      ],
    },
    { name: 'Headers', type: 'object', element: { type: 'string' } },
    { name: 'Scores', type: 'object', element: { type: 'float' } },
    { name: 'Docs', type: 'array', element: { type: 'json' } },
  ],
}
const schema = compileSchema(file)
const fields = file.fields as readonly ColumnField[]

async function writeAndRead(lines: string[]): Promise<Awaited<ReturnType<typeof readParquet>>> {
  const storage = memoryStorage()
  const parser = new EventParser(schema, { ...batchContext, logType: schema.logType })
  const writer = new ParquetObjectWriter({ storage, key: 'k.parquet', layout: parquetLayout(fields), codec: 'ZSTD', rowGroupBytes: 1 << 20, minPartSize: 1 })
  for (const [i, line] of lines.entries()) {
    expect(parser.parse(line, i + 1), parser.reason).toBe(true)
    await writer.write(parser)
  }
  await writer.close()
  return readParquet(storage.objects.get('k.parquet')!.bytes)
}

/** The elements of a column in the file's own schema, as the reader parsed them. */
function elementsOf(schemaElements: SchemaElement[], name: string): SchemaElement[] {
  const at = schemaElements.findIndex((e) => e.name === name)
  let pending = 1
  const out: SchemaElement[] = []
  for (let i = at; pending > 0; i++) {
    out.push(schemaElements[i]!)
    pending += (schemaElements[i]!.num_children ?? 0) - 1
  }
  return out
}

const T = '"When":"2022-05-25T13:25:26.123456789Z"'

describe('Parquet column types', () => {
  it('string: BYTE_ARRAY STRING (UTF8), the text as checked (a number in a string column as its text)', async () => {
    expect(mapColumn('Str', { type: 'string' }).elements).toEqual([
      { name: 'Str', repetition_type: OPTIONAL, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
    ])
    const { rows } = await writeAndRead([`{${T},"Str":"héllo ✓"}`, `{${T},"Str":42}`, `{${T},"Str":""}`, `{${T}}`])
    expect(rows.map((r) => r.Str)).toEqual(['héllo ✓', '42', '', null])
  })

  it('boolean: BOOLEAN', async () => {
    expect(mapColumn('Bool', { type: 'boolean' }).elements).toEqual([{ name: 'Bool', repetition_type: OPTIONAL, type: 'BOOLEAN' }])
    const { rows } = await writeAndRead([`{${T},"Bool":true}`, `{${T},"Bool":"false"}`, `{${T},"Bool":null}`])
    expect(rows.map((r) => r.Bool)).toEqual([true, false, null])
  })

  it('bigint: INT64, every digit kept beyond 2^53 (numbers and digit strings)', async () => {
    expect(mapColumn('Big', { type: 'bigint' }).elements).toEqual([{ name: 'Big', repetition_type: OPTIONAL, type: 'INT64' }])
    const { rows } = await writeAndRead([`{${T},"Big":9223372036854775807}`, `{${T},"Big":"-9007199254740993"}`, `{${T},"Big":12}`])
    expect(rows.map((r) => r.Big)).toEqual([9223372036854775807n, -9007199254740993n, 12n])
  })

  it('int: INT32', async () => {
    expect(mapColumn('Int', { type: 'int' }).elements).toEqual([{ name: 'Int', repetition_type: OPTIONAL, type: 'INT32' }])
    const { rows } = await writeAndRead([`{${T},"Int":-2147483648}`, `{${T},"Int":"2147483647"}`])
    expect(rows.map((r) => r.Int)).toEqual([-2147483648, 2147483647])
  })

  it('smallint: INT32 annotated INT_16 (signed 16 bits)', async () => {
    expect(mapColumn('Small', { type: 'smallint' }).elements).toEqual([{ name: 'Small', repetition_type: OPTIONAL, type: 'INT32', converted_type: 'INT_16' }])
    const { rows, metadata } = await writeAndRead([`{${T},"Small":-32768}`, `{${T},"Small":32767}`])
    expect(rows.map((r) => r.Small)).toEqual([-32768, 32767])
    expect(elementsOf(metadata.schema, 'Small')[0]).toMatchObject({ type: 'INT32', converted_type: 'INT_16', logical_type: undefined })
  })

  it('float: DOUBLE (an integer beyond 2^53 in a float column as the nearest double)', async () => {
    expect(mapColumn('Float', { type: 'float' }).elements).toEqual([{ name: 'Float', repetition_type: OPTIONAL, type: 'DOUBLE' }])
    const { rows } = await writeAndRead([`{${T},"Float":0.1}`, `{${T},"Float":"-1.5e3"}`, `{${T},"Float":12345678901234567890}`])
    expect(rows.map((r) => r.Float)).toEqual([0.1, -1500, 12345678901234567890])
  })

  it('timestamp: INT64 TIMESTAMP(MICROS, UTC), the nanoseconds cut to microseconds, years 1 to 9999', async () => {
    const element = {
      name: 'When',
      repetition_type: OPTIONAL,
      type: 'INT64',
      converted_type: 'TIMESTAMP_MICROS',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    }
    expect(mapColumn('When', { type: 'timestamp' }).elements).toEqual([element])
    const { rows, metadata } = await writeAndRead([
      '{"When":1653485126123456789}',
      '{"When":"0001-01-01T00:00:00.000000999Z"}',
      '{"When":"9999-12-31T23:59:59.999999999Z"}',
      '{"When":"1969-12-31T23:59:59.5Z"}',
    ])
    expect(rows.map((r) => r.When)).toEqual([1653485126123456n, -62135596800000000n, 253402300799999999n, -500000n])
    expect(timestampMicros('2022-05-25 13:25:26.123456789')).toBe(1653485126123456n)
    expect(elementsOf(metadata.schema, 'When')[0]).toMatchObject(element)
  })

  it('json: BYTE_ARRAY JSON, the value as JSON text (every digit, a __proto__ member, a string)', async () => {
    expect(mapColumn('Json', { type: 'json' }).elements).toEqual([
      { name: 'Json', repetition_type: OPTIONAL, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } },
    ])
    const { rows } = await writeAndRead([
      `{${T},"Json":{"a":[1,{"b":12345678901234567890}],"__proto__":{"x":1}}}`,
      `{${T},"Json":"text"}`,
      `{${T},"Json":[]}`,
      `{${T},"Json":null}`,
    ])
    expect(rows.map((r) => r.Json)).toEqual(['{"a":[1,{"b":12345678901234567890}],"__proto__":{"x":1}}', '"text"', '[]', null])
  })

  it('array: a three-level LIST of its element, empty lists kept apart from none', async () => {
    expect(mapColumn('Strings', { type: 'array', element: { type: 'string' } }).elements).toEqual([
      { name: 'Strings', repetition_type: OPTIONAL, converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: OPTIONAL, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
    ])
    const { rows } = await writeAndRead([`{${T},"Strings":["a","b",7]}`, `{${T},"Strings":[]}`, `{${T}}`, `{${T},"Docs":[{"k":1},null,"s"]}`])
    expect(rows.map((r) => r.Strings)).toEqual([['a', 'b', '7'], [], null, null])
    expect(rows[3]!.Docs).toEqual(['{"k":1}', null, '"s"'])
  })

  it('struct: a group of its fields, nested and inside lists, typed all the way down', async () => {
    const hops = mapColumn('Hops', fields.find((f) => f.name === 'Hops')!).elements
    expect(hops.map((e) => [e.name, e.repetition_type, e.type ?? e.converted_type ?? `group(${e.num_children})`])).toEqual([
      ['Hops', OPTIONAL, 'LIST'],
      ['list', 'REPEATED', 'group(1)'],
      ['element', OPTIONAL, 'group(2)'],
      ['name', OPTIONAL, 'BYTE_ARRAY'],
      ['rtt', OPTIONAL, 'LIST'],
      ['list', 'REPEATED', 'group(1)'],
      ['element', OPTIONAL, 'DOUBLE'],
    ])
    const { rows } = await writeAndRead([
      `{${T},"Stats":{"sent":"123","at":1653485126000000000,"inner":{"ok":true}},"Hops":[{"name":"a","rtt":[1.5,2]},{"name":"b"}]}`,
      `{${T},"Stats":{"sent":9223372036854775807}}`,
    ])
    expect(rows[0]!.Stats).toEqual({ sent: 123n, at: 1653485126000000n, inner: { ok: true } })
    expect(rows[0]!.Hops).toEqual([
      { name: 'a', rtt: [1.5, 2] },
      { name: 'b', rtt: null },
    ])
    expect(rows[1]!.Stats).toEqual({ sent: 9223372036854775807n, at: null, inner: null })
  })

  it('map: MAP of STRING keys to its element', async () => {
    expect(mapColumn('Headers', { type: 'object', element: { type: 'string' } }).elements).toEqual([
      { name: 'Headers', repetition_type: OPTIONAL, converted_type: 'MAP', logical_type: { type: 'MAP' }, num_children: 1 },
      { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
      { name: 'key', repetition_type: 'REQUIRED', type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
      { name: 'value', repetition_type: OPTIONAL, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
    ])
    const { rows } = await writeAndRead([`{${T},"Headers":{"a":"1","b":"x"},"Scores":{"p":0.5,"q":"2"}}`, `{${T},"Headers":{}}`])
    expect(rows[0]!.Headers).toEqual({ a: '1', b: 'x' })
    expect(rows[0]!.Scores).toEqual({ p: 0.5, q: 2 })
    expect(rows[1]!.Headers).toEqual({})
  })

  it('standard fields: strings and timestamps after the schema fields, then the nine p_any_* lists of strings, then p_unknown_fields', async () => {
    const layout = parquetLayout(fields)
    const names = layout.columns.map((c) => c.name)
    expect(names).toEqual([...fields.map((f) => f.name), ...STANDARD_COLUMNS, ...INDICATOR_COLUMNS, UNKNOWN_FIELDS_COLUMN])
    // In the order enrichment writes them, which the table definitions (cli ddl) follow too.
    expect([...STANDARD_COLUMNS, ...INDICATOR_COLUMNS]).toEqual([...ENRICHED_FIELDS])
    expect(layout.schema.every((e) => e.name === 'schema' || e.repetition_type !== 'REQUIRED' || e.name === 'key')).toBe(true)
    const { rows, metadata } = await writeAndRead([`{${T},"Str":"192.0.2.1"}`])
    const row = rows[0]!
    expect(row).toMatchObject({
      p_log_type: 'Test.Types',
      p_event_time: 1653485126123456n,
      p_row_id: `${batchContext.batchId.slice(0, 24)}00000001`,
      p_any_ip_addresses: ['192.0.2.1'],
      p_any_domain_names: null,
      p_unknown_fields: null,
    })
    expect(typeof row.p_parse_time).toBe('bigint')
    for (const name of ['p_event_time', 'p_parse_time'])
      expect(elementsOf(metadata.schema, name)[0]).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MICROS' })
    for (const name of INDICATOR_COLUMNS)
      expect(elementsOf(metadata.schema, name).map((e) => e.type ?? e.converted_type ?? 'group')).toEqual(['LIST', 'group', 'BYTE_ARRAY'])
    expect(elementsOf(metadata.schema, UNKNOWN_FIELDS_COLUMN)[0]).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'JSON' })
  })

  it('p_unknown_fields: the fields the schema lacks, and what its structs lack at their own path', async () => {
    const { rows } = await writeAndRead([
      `{${T},"New":{"deep":[1,2]},"Big2":12345678901234567890,"__proto__":"p","Stats":{"sent":1,"extra":"x","inner":{"ok":false,"more":[true]}},"Hops":[{"name":"a"},{"name":"b","ttl":3}]}`,
    ])
    expect(JSON.parse(rows[0]!.p_unknown_fields as string)).toEqual({
      New: { deep: [1, 2] },
      Big2: 12345678901234567890,
      ['__proto__']: 'p',
      Stats: { extra: 'x', inner: { more: [true] } },
      Hops: [null, { ttl: 3 }],
    })
    expect(rows[0]!.p_unknown_fields).toContain('"Big2":12345678901234567890')
    expect(rows[0]!.p_unknown_fields).toContain('"__proto__":"p"')
  })

  it('refuses a schema field named like a standard column', () => {
    expect(() => parquetLayout([{ name: 'p_row_id', type: 'string' }])).toThrow('two columns named p_row_id')
  })
})
