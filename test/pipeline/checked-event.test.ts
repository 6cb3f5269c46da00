import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isPipelineField } from '../../src/pipeline/enrich'
import { EventParser } from '../../src/pipeline/parse'
import { type CheckedEvent, INDICATOR_COLUMNS, STANDARD_COLUMNS } from '../../src/ports'
import { schemas } from '../../src/schema/registry'
import { applyLineOps, FIXTURES, valueSets } from '../fuzz/arbitraries'
import { batchContext } from '../helpers/streams'

// The parser as an output format sees it: the values by column, the unknown fields and the
// standard fields must be what its NDJSON line holds, read back with each number's digits, on
// both of the parser's paths (the spliced line and the serialised record).

/** The line read back as the port says values are: numbers a double rounds as their text. */
function readBack(json: string): Record<string, unknown> {
  return JSON.parse(json, (_key, v: unknown, ctx: JSONReviverContext) =>
    typeof v === 'number' && (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v))) && ctx.source !== undefined
      ? JSON.rawJSON(ctx.source)
      : v,
  ) as Record<string, unknown>
}

/** A number, as a double or as text, by the exact value it stands for (`1e20` and its 21 digits alike). */
function exactNumber(v: number | string): string {
  if (typeof v === 'string') {
    if (/^-?\d+$/.test(v)) return BigInt(v).toString()
    const n = Number(v)
    if (!Number.isFinite(n)) return v
    v = n
  }
  return Number.isInteger(v) ? BigInt(v).toString() : String(v)
}

/** A value in a form `toEqual` compares exactly: numbers by value, object members in order (`__proto__` too). */
function comparable(v: unknown): unknown {
  if (typeof v === 'number') return { number: exactNumber(v) }
  if (JSON.isRawJSON(v)) return { number: exactNumber(v.rawJSON) }
  if (Array.isArray(v)) return v.map(comparable)
  if (typeof v === 'object' && v !== null) return { members: Object.entries(v).map(([k, x]) => [k, comparable(x)]) }
  return v
}

/** Checks every part of the event against its own line; false when the line is nested too deeply to read back. */
function expectConsistent(event: CheckedEvent, label: string): boolean {
  let line: Record<string, unknown>
  let values: unknown[]
  let unknown: readonly (readonly [string, unknown])[]
  try {
    line = readBack(event.json)
    values = event.columns.map((_, i) => event.value(i))
    unknown = event.unknownFields()
  } catch (err) {
    // A reviver recurses: a value thousands deep cannot be read back with its digits.
    if (err instanceof RangeError) return false
    throw err
  }
  const columns = new Set(event.columns)
  const own = (name: string) => (Object.hasOwn(line, name) ? line[name] : undefined)
  expect(comparable(values), `${label}: values by column`).toEqual(comparable(event.columns.map(own)))
  const unknownInLine = Object.entries(line).filter(([name]) => !columns.has(name) && !isPipelineField(name))
  expect(comparable(unknown), `${label}: unknown fields`).toEqual(comparable(unknownInLine))
  for (const name of STANDARD_COLUMNS) expect(event.standard[name], `${label}: ${name}`).toBe(line[name])
  for (const name of INDICATOR_COLUMNS) expect(event.standard[name], `${label}: ${name}`).toEqual(own(name) ?? [])
  return true
}

function parsers(dataset: string): EventParser[] {
  const schema = schemas().get(dataset)!
  const batch = { ...batchContext, logType: schema.logType }
  return [new EventParser(schema, batch), new EventParser(schema, batch, { encode: 'serialize' })]
}

/** Runs the lines through both paths; returns how many events each accepted. */
function expectLines(dataset: string, lines: string[]): number {
  let accepted = 0
  for (const parser of parsers(dataset)) {
    lines.forEach((line, i) => {
      if (parser.parse(line, i + 1) && expectConsistent(parser, line.slice(0, 200))) accepted++
    })
  }
  return accepted
}

const T = '"EdgeStartTimestamp":1653484780897169842'
const BIG = '12345678901234567890'

describe('the parser as a checked event', () => {
  it('gives what its line holds, for every fixture line', () => {
    let accepted = 0
    for (const { dataset, lines } of FIXTURES) accepted += expectLines(dataset, lines)
    expect(accepted).toBeGreaterThan(100)
  })

  it('gives what its line holds, for the lines that test the splicer', () => {
    const cases = [
      // integers beyond 2^53: a bigint column, a float and a string column, unknown and json values, nested
      `{${T},"CacheResponseBytes":${BIG.slice(0, 19)},"EdgeResponseCompressionRatio":12345678901234567,"ClientRequestHost":${BIG},"X":${BIG},"Y":{"a":[${BIG},1.5,-0]},"RequestHeaders":{"n":${BIG}}}`,
      `{${T},"CacheResponseBytes":"${BIG.slice(0, 19)}","Z":1e400,"W":[1e20,-1.5E+999]}`,
      // a key given twice (JSON.parse keeps the last), in a column and in an unknown field
      `{${T},"ClientIP":"192.0.2.1","ClientIP":"2001:DB8::1"}`,
      `{${T},"X":1,"X":{"a":${BIG}}}`,
      // keys written with escapes, one of them a column's
      `{${T},"Client\\u0049P":"192.0.2.1","a\\"b":1}`,
      // changes inside an array column
      `{${T},"FirewallMatchesRuleIDs":[1,"a",${BIG}],"BotTags":["x"]}`,
      // the standard fields given by the sender: replaced; other p_ names: dropped
      `{${T},"p_row_id":"mine","p_event_time":"2000-01-01","p_any_ip_addresses":["x"],"p_other":1,"ClientIP":"192.0.2.1"}`,
      // values a column converts or drops, and a null it keeps
      `{${T},"EdgeResponseStatus":"","ClientSrcPort":"443","WorkerSubrequest":"true","EdgeResponseCompressionRatio":"1.50","ClientRequestPath":1.0,"CacheResponseStatus":2.0e2,"BotScore":null}`,
      // unknown names an object would take for its prototype, and whitespace everywhere
      ` { "EdgeStartTimestamp" : 1653484780897169842 , "__proto__" : {"polluted":1} , "constructor" : 2 , "toString" : "x" } `,
      `{${T}}`,
      // indicators, several of each kind, duplicates and case
      `{${T},"ClientIP":"2001:DB8::1","EdgeServerIP":"192.0.2.1","OriginIP":"192.0.2.1","ClientRequestHost":"WWW.Example.COM","RayID":"7f3a","ParentRayID":"00"}`,
      // timestamps in their other forms
      '{"EdgeStartTimestamp":"2022-05-25T13:25:26.123456789+09:30","EdgeEndTimestamp":1653484780}',
    ]
    expect(expectLines('http_requests', cases)).toBe(2 * cases.length)
    const audit = [
      `{"ID":"a","ResourceType":"zone","When":"2022-05-25T13:25:26Z","Metadata":{"zone_id":${BIG},"n":[9007199254740993]},"NewValue":${BIG},"OldValue":"x"}`,
      `{"ID":"a","ResourceType":"zone","When":"2022-05-25T13:25:26Z","NewValue":{"deep":{"deeper":[1,{"x":${BIG}}]}},"Extra":[${BIG}]}`,
    ]
    expect(expectLines('audit_logs', audit)).toBe(2 * audit.length)
  })

  it('gives values whose types a columnar format can take', () => {
    const [splice, serialize] = parsers('http_requests')
    for (const parser of [splice!, serialize!]) {
      const line = `{${T},"CacheResponseBytes":${BIG.slice(0, 19)},"ClientASN":"13335","EdgeResponseStatus":"","BotScore":null,"ClientRequestHost":${BIG},"X":${BIG}}`
      expect(parser.parse(line, 7)).toBe(true)
      const value = (name: string) => parser.value(parser.columns.indexOf(name))
      expect(value('EdgeStartTimestamp')).toBe('2022-05-25 13:19:40.897169842')
      const bytes = value('CacheResponseBytes')
      expect(JSON.isRawJSON(bytes) && bytes.rawJSON).toBe(BIG.slice(0, 19))
      expect(value('ClientASN')).toBe(13335)
      expect(value('EdgeResponseStatus')).toBeUndefined()
      expect(value('BotScore')).toBeNull()
      expect(value('ClientRequestHost')).toBe(BIG)
      expect(value('ClientIP')).toBeUndefined()
      const [[name, x]] = parser.unknownFields() as [[string, unknown]]
      expect(name).toBe('X')
      expect(JSON.isRawJSON(x) && x.rawJSON).toBe(BIG)
      expect(parser.standard.p_row_id).toBe(`${batchContext.batchId.slice(0, 24)}00000007`)
      expect(parser.standard.p_event_time).toBe('2022-05-25 13:19:40.897169842')
    }
  })

  it('gives what its line holds, for mutated fixture lines (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURES), valueSets, (fixture, ops) => {
        expectLines(fixture.dataset, applyLineOps(fixture.lines.slice(0, 4), ops))
      }),
      { numRuns: 300 },
    )
  })
})
