import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EventParser } from '../../src/pipeline/parse'
import { knownDatasets, schemas } from '../../src/schema/registry'
import { applyLineOps, FIXTURES, valueSets } from '../fuzz/arbitraries'
import { datasetFixtures, fixture } from '../helpers/fixtures'
import { REAL_SHAPES } from '../helpers/real-shapes'
import { batchContext } from '../helpers/streams'

// The output is the line's own text with the checks' changes spliced in. Serialising the checked
// record is the reference: both must write the same event (as JSON values, numbers compared by the
// value their text stands for, exactly) and give the same verdict and reason.

type Verdict = { ok: true; partition: string; event: unknown } | { ok: false; reason: string }

/** A number's text as the value it stands for: `1.0` and `1` alike, digits beyond a double kept. */
function numberValue(source: string): string {
  const n = Number(source)
  return Number.isFinite(n) && (Number.isSafeInteger(n) || !Number.isInteger(n)) ? String(n) : source.replace(/^(-?)0*(\d)/, '$1$2')
}

function valueOf(json: string): unknown {
  try {
    return JSON.parse(json, (_k, v, ctx: JSONReviverContext) => (typeof v === 'number' ? { number: numberValue(ctx.source ?? String(v)) } : v))
  } catch (err) {
    // A reviver recurses: deep values are compared as text.
    if (err instanceof RangeError) return { deep: json.length }
    throw err
  }
}

function parseWith(parser: EventParser, line: string, lineNo: number): Verdict {
  return parser.parse(line, lineNo) ? { ok: true, partition: parser.partition, event: valueOf(parser.json) } : { ok: false, reason: parser.reason }
}

function parsers(dataset: string): { splice: EventParser; serialize: EventParser } {
  const schema = schemas().get(dataset)!
  const batch = { ...batchContext, logType: schema.logType }
  return { splice: new EventParser(schema, batch), serialize: new EventParser(schema, batch, { encode: 'serialize' }) }
}

function expectSame(dataset: string, lines: string[]): void {
  const { splice, serialize } = parsers(dataset)
  lines.forEach((line, i) => {
    const spliced = parseWith(splice, line, i + 1)
    const reference = parseWith(serialize, line, i + 1)
    // Where the reference runs out of stack, the splicer, which never recurses, gets further.
    if (!reference.ok && reference.reason.startsWith('nested too deeply to process')) return
    expect(spliced, line.slice(0, 300)).toEqual(reference)
    if (spliced.ok) expect(splice.json).not.toContain('\n')
  })
}

const T = '"EdgeStartTimestamp":1653484780897169842'

describe('spliced output equals the serialised record', () => {
  it('for every line of every fixture of every dataset, and lines in the shapes Logpush sends', () => {
    for (const f of datasetFixtures(knownDatasets()))
      expectSame(
        f.dataset,
        fixture(f.file)
          .split('\n')
          .filter((l) => l.trim() !== ''),
      )
    for (const { dataset, lines } of FIXTURES) expectSame(dataset, lines)
    for (const { dataset, lines } of REAL_SHAPES) expectSame(dataset, lines)
  })

  it('for lines the splicer hands to the general way, and for text it must copy exactly', () => {
    expectSame('http_requests', [
      // duplicate keys (JSON.parse keeps the last), in a column and in an unknown field
      `{${T},"ClientIP":"192.0.2.1","ClientIP":"2001:DB8::1"}`,
      `{${T},"X":1,"X":{"a":2}}`,
      // keys written with escapes, one of them a column's
      `{${T},"Client\\u0049P":"192.0.2.1"}`,
      `{${T},"a\\"b":1}`,
      // fields the pipeline adds, given by the sender
      `{${T},"p_row_id":"mine","p_any_ip_addresses":["x"],"p_other":1}`,
      // whitespace everywhere JSON allows it
      ` \t{ "EdgeStartTimestamp" :\t1653484780897169842 , "ClientIP" : "192.0.2.1" ,"N": [ 1 , 2 ] } \t`,
      // integers written as JSON.stringify would not write them, in integer, float and string columns
      `{${T},"EdgeResponseStatus":2.0e2,"ClientSrcPort":-0,"EdgeResponseCompressionRatio":1.50,"ClientRequestPath":1.0}`,
      // values a column converts: "" dropped, strings to numbers and booleans, numbers to strings
      `{${T},"EdgeResponseStatus":"","ClientSrcPort":"443","WorkerSubrequest":"true","ClientRequestHost":12345678901234567890}`,
      // every member dropped but the required one, and an object with nothing else
      `{"EdgeResponseStatus":"",${T},"ClientSrcPort":""}`,
      `{${T}}`,
      // a change inside an array column, and an array left alone
      `{${T},"FirewallMatchesRuleIDs":[1,"a"],"BotTags":["x"]}`,
      // strings with escapes, quotes and backslashes before a closing quote
      `{${T},"ClientRequestPath":"/a\\\\","ClientRequestUserAgent":"x\\"y\\\\\\"z","U":"\\\\\\\\"}`,
      // nested json values with strings holding braces
      `{${T},"RequestHeaders":{"a":"}{][","b":[{"c":"\\"}"}]}}`,
      // keys beyond the ASCII range, and more members than the scanner first makes room for
      `{${T},"ключ":"значение","鍵🔑":1,"ClientIP":"192.0.2.1"}`,
      `{${T},${Array.from({ length: 3000 }, (_, i) => `"F${i}":${i % 2 ? `"v${i}"` : i}`).join(',')},"EdgeResponseStatus":"200"}`,
    ])
  })

  it('for mutated fixture lines (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURES), valueSets, (fixture, ops) => expectSame(fixture.dataset, applyLineOps(fixture.lines.slice(0, 4), ops))),
      { numRuns: 300 },
    )
  })
})
