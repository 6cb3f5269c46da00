import { describe, expect, it } from 'vitest'
import { MINIMAL, one, run } from '../helpers/pipeline'

const HTTP = MINIMAL.http_requests!

/** A line with `field` set to a raw JSON value, so numbers beyond 2^53 arrive as Logpush writes them. */
function line(field: string, rawValue: string, base: Record<string, unknown> = HTTP): string {
  return `${JSON.stringify(base).slice(0, -1)},"${field}":${rawValue}}`
}

async function value(field: string, rawValue: string): Promise<{ json?: string; reason?: string; out?: unknown }> {
  const r = await one('http_requests', line(field, rawValue))
  return { json: r.json, reason: r.reason, out: r.event?.[field] }
}

describe('integers', () => {
  // [column, raw JSON value, expected output text or null for a bad value]
  const CASES: [string, string, string | null][] = [
    ['EdgeResponseStatus', '32767', '32767'],
    ['EdgeResponseStatus', '"32767"', '32767'],
    ['EdgeResponseStatus', '-32768', '-32768'],
    ['EdgeResponseStatus', '32768', null],
    ['EdgeResponseStatus', '"32768"', null],
    ['EdgeResponseStatus', '-32769', null],
    ['ClientSrcPort', '2147483647', '2147483647'],
    ['ClientSrcPort', '"2147483647"', '2147483647'],
    ['ClientSrcPort', '-2147483648', '-2147483648'],
    ['ClientSrcPort', '2147483648', null],
    ['ClientSrcPort', '"-2147483649"', null],
    ['ClientSrcPort', '99999999999999999999', null],
    ['ZoneID', '9223372036854775807', '9223372036854775807'],
    ['ZoneID', '"9223372036854775807"', '9223372036854775807'],
    ['ZoneID', '-9223372036854775807', '-9223372036854775807'],
    ['ZoneID', '"-9223372036854775808"', '-9223372036854775808'],
    ['ZoneID', '9223372036854775808', null],
    ['ZoneID', '"-9223372036854775809"', null],
    ['ZoneID', '9007199254740993', '9007199254740993'],
    ['ZoneID', '"9007199254740993"', '9007199254740993'],
    ['ZoneID', '9007199254740991', '9007199254740991'],
    ['ZoneID', '"000123"', '123'],
    ['ZoneID', '"-0"', '0'],
    ['ZoneID', '1e3', '1000'],
    ['ZoneID', '1.5', null],
    ['ZoneID', '"1.5"', null],
    ['ZoneID', '"12a"', null],
    ['ZoneID', '" 12"', null],
    ['ZoneID', '"+12"', null],
    ['ZoneID', '"1e3"', null],
    ['ZoneID', '"-"', null],
    ['ZoneID', '1e300', null],
    ['ZoneID', 'true', null],
    ['ZoneID', '[1]', null],
  ]

  for (const [field, raw, want] of CASES) {
    it(`${field} ${raw} -> ${want ?? 'bad value'}`, async () => {
      const { json, reason } = await value(field, raw)
      if (want === null) {
        const type = field === 'ZoneID' ? 'bigint' : field === 'ClientSrcPort' ? 'int' : 'smallint'
        expect(reason).toBe(`${field}: expected ${type}, got ${raw}`)
      } else {
        expect(reason).toBeUndefined()
        // The output text itself: JSON.parse of it would round beyond 2^53.
        expect(json).toContain(`"${field}":${want},`)
      }
    })
  }

  it('keeps every digit of big integers in unknown fields and json values, with no big integer in a column', async () => {
    const raw =
      '{"EdgeStartTimestamp":"2022-05-25T13:25:26Z","UnknownBig":12345678901234567890123,"RequestHeaders":{"x-id":-9007199254740993,"list":[18446744073709551615]}}'
    const { json, reason } = await one('http_requests', raw)
    expect(reason).toBeUndefined()
    expect(json).toContain('"UnknownBig":12345678901234567890123')
    expect(json).toContain('"RequestHeaders":{"x-id":-9007199254740993,"list":[18446744073709551615]}')
    const audit = await one('audit_logs', '{"ID":"x","ResourceType":"zone","When":"2022-05-25T13:25:26Z","Metadata":{"zone_id": 9007199254740993}}')
    // Copied as written, space and all.
    expect(audit.json).toContain('"Metadata":{"zone_id": 9007199254740993}')
  })

  it('keeps numbers beyond a double (1e400) as their text, never as "Infinity" or null (was: both)', async () => {
    const raw =
      '{"EdgeStartTimestamp":"2022-05-25T13:25:26Z","ClientRequestPath":1e400,"BotTags":["a",-1.5E+999],"UnknownHuge":1e400,"RequestHeaders":{"x":[2e308]}}'
    const { json, reason } = await one('http_requests', raw)
    expect(reason).toBeUndefined()
    expect(json).toContain('"ClientRequestPath":"1e400","BotTags":["a","-1.5E+999"]')
    expect(json).toContain('"UnknownHuge":1e400,"RequestHeaders":{"x":[2e308]}')
    // A float column takes no number beyond a double, shown as written, whichever way the line goes.
    for (const extra of ['', ',"Big":12345678901234567890']) {
      const bad = await one('http_requests', `{"EdgeStartTimestamp":"2022-05-25T13:25:26Z","EdgeResponseCompressionRatio":1e400${extra}}`)
      expect(bad.reason).toBe('EdgeResponseCompressionRatio: expected float, got 1e400')
    }
  })

  it('keeps every digit of big integers in columns, unknown fields and json values', async () => {
    const raw =
      '{"EdgeStartTimestamp":"2022-05-25T13:25:26Z","ZoneID":9223372036854775807,"UnknownBig":12345678901234567890123,"RequestHeaders":{"x-id":-9007199254740993,"list":[18446744073709551615]}}'
    const { json, reason } = await one('http_requests', raw)
    expect(reason).toBeUndefined()
    expect(json).toContain('"ZoneID":9223372036854775807')
    expect(json).toContain('"UnknownBig":12345678901234567890123')
    expect(json).toContain('"RequestHeaders":{"x-id":-9007199254740993,"list":[18446744073709551615]}')
  })
})

describe('bad values of every type', () => {
  // [dataset, column, raw JSON value, the reason]
  const CASES: [string, string, string, string][] = [
    ['http_requests', 'CacheTieredFill', '"yes"', 'CacheTieredFill: expected boolean, got "yes"'],
    ['http_requests', 'CacheTieredFill', '"TRUE"', 'CacheTieredFill: expected boolean, got "TRUE"'],
    ['http_requests', 'CacheTieredFill', '1', 'CacheTieredFill: expected boolean, got 1'],
    ['http_requests', 'CacheTieredFill', '{}', 'CacheTieredFill: expected boolean, got {}'],
    ['http_requests', 'EdgeResponseCompressionRatio', '"abc"', 'EdgeResponseCompressionRatio: expected float, got "abc"'],
    ['http_requests', 'EdgeResponseCompressionRatio', '"0x10"', 'EdgeResponseCompressionRatio: expected float, got "0x10"'],
    ['http_requests', 'EdgeResponseCompressionRatio', '"0b11"', 'EdgeResponseCompressionRatio: expected float, got "0b11"'],
    ['http_requests', 'EdgeResponseCompressionRatio', '"Infinity"', 'EdgeResponseCompressionRatio: expected float, got "Infinity"'],
    ['http_requests', 'EdgeResponseCompressionRatio', '" 1.5"', 'EdgeResponseCompressionRatio: expected float, got " 1.5"'],
    ['http_requests', 'EdgeResponseCompressionRatio', '1e400', 'EdgeResponseCompressionRatio: expected float, got 1e400'],
    ['http_requests', 'EdgeResponseCompressionRatio', 'false', 'EdgeResponseCompressionRatio: expected float, got false'],
    ['http_requests', 'BotTags', '"bing"', 'BotTags: expected [string], got "bing"'],
    ['http_requests', 'BotTags', '{"0":"bing"}', 'BotTags: expected [string], got {"0":"bing"}'],
    ['http_requests', 'BotTags', '["ok",{"a":1}]', 'BotTags[1]: bad element of [string], got {"a":1}'],
    ['http_requests', 'BotTags', '["ok",null]', 'BotTags[1]: bad element of [string], got null'],
    ['http_requests', 'BotTags', '["ok",["nested"]]', 'BotTags[1]: bad element of [string], got ["nested"]'],
    ['firewall_events', 'Metadata', '"filter=1"', 'Metadata: expected {string:string}, got "filter=1"'],
    ['firewall_events', 'Metadata', '["a"]', 'Metadata: expected {string:string}, got ["a"]'],
    ['firewall_events', 'Metadata', '{"filter":{"id":1}}', 'Metadata.filter: bad element of {string:string}, got {"id":1}'],
    ['firewall_events', 'Metadata', '{"ok":"x","filter":[1]}', 'Metadata.filter: bad element of {string:string}, got [1]'],
    ['http_requests', 'ClientIP', '{"v4":"1.2.3.4"}', 'ClientIP: expected string, got {"v4":"1.2.3.4"}'],
    ['http_requests', 'ClientIP', '["1.2.3.4"]', 'ClientIP: expected string, got ["1.2.3.4"]'],
    ['http_requests', 'ClientSrcPort', '"443/tcp"', 'ClientSrcPort: expected int, got "443/tcp"'],
    ['http_requests', 'EdgeResponseStatus', '200.5', 'EdgeResponseStatus: expected smallint, got 200.5'],
    ['http_requests', 'EdgeEndTimestamp', 'false', 'EdgeEndTimestamp: expected timestamp, got false'],
    ['audit_logs', 'ActionResult', '"ok"', 'ActionResult: expected boolean, got "ok"'],
    ['audit_logs', 'ID', '{"id":1}', 'ID: expected string, got {"id":1}'],
    ['spectrum_events', 'ClientPort', '"x"', 'ClientPort: expected int, got "x"'],
  ]

  it('quarantines each with a reason naming the field, what was expected and what came', async () => {
    for (const [dataset, field, raw, reason] of CASES) {
      const r = await one(dataset, line(field, raw, MINIMAL[dataset]))
      expect(r.reason, `${dataset}.${field} = ${raw}`).toBe(reason)
    }
  })

  it('shortens a long bad value in the reason', async () => {
    const long = 'x'.repeat(500)
    const { reason } = await value('CacheTieredFill', JSON.stringify(long))
    expect(reason).toBe(`CacheTieredFill: expected boolean, got "${'x'.repeat(60)}...`)
  })

  it('reports the first bad field of a line and keeps the rest of the batch', async () => {
    const body = [line('ClientSrcPort', '"x"', { ...HTTP, EdgeResponseStatus: 'y' }), JSON.stringify(HTTP)].join('\n')
    const r = await run('http_requests', body)
    expect(r.reasons.map((q) => q.reason)).toEqual(['ClientSrcPort: expected int, got "x"'])
    expect(r.counts).toMatchObject({ events: 2, written: 1, quarantined: 1 })
  })

  it('quarantines lines that are not JSON objects, and keeps their text', async () => {
    const body = ['{"EdgeStartTimestamp":1}', '[1,2]', '"text"', '42', 'null', '{"EdgeStartTimestamp":', '{"a":1}{"b":2}'].join('\n')
    const r = await run('http_requests', body)
    expect(r.reasons.map((q) => [q.line, q.raw])).toEqual([
      [2, '[1,2]'],
      [3, '"text"'],
      [4, '42'],
      [5, 'null'],
      [6, '{"EdgeStartTimestamp":'],
      [7, '{"a":1}{"b":2}'],
    ])
    expect(r.reasons.slice(0, 4).map((q) => q.reason)).toEqual([
      'expected a JSON object, got an array',
      'expected a JSON object, got a string',
      'expected a JSON object, got a number',
      'expected a JSON object, got null',
    ])
    expect(r.reasons[4]!.reason).toMatch(/^not valid JSON: /)
    expect(r.reasons[5]!.reason).toMatch(/^not valid JSON: /)
  })
})

describe('what is accepted as it is, or converted', () => {
  it('turns numbers and booleans given for a string column into their text', async () => {
    const { event } = await one('http_requests', { ...HTTP, EdgeRateLimitID: 0, WAFFlags: 1.5, ClientRequestSource: true, BotTags: [7, false] })
    expect(event).toMatchObject({ EdgeRateLimitID: '0', WAFFlags: '1.5', ClientRequestSource: 'true', BotTags: ['7', 'false'] })
    const { json } = await one('http_requests', line('RayID', '12345678901234567890'))
    expect(json).toContain('"RayID":"12345678901234567890"')
  })

  it('turns a number given as a map value into its text, like a string column', async () => {
    const { event } = await one('firewall_events', { ...MINIMAL.firewall_events, Metadata: { filter: 5, ok: 'x', flag: true } })
    expect(event!.Metadata).toEqual({ filter: '5', ok: 'x', flag: 'true' })
  })

  it('keeps json columns as JSON values of any kind', async () => {
    for (const v of [{ a: { b: [1, null, 'c'] } }, [1, 2], 'text', 42, true, {}]) {
      const { event } = await one('audit_logs', { ...MINIMAL.audit_logs, Metadata: v })
      expect(event!.Metadata).toEqual(v)
    }
  })

  it('keeps unknown fields as they came, in place', async () => {
    const raw =
      '{"Zeta":{"x":[1,2.5,"é",null,{"deep":true}]},"EdgeStartTimestamp":"2022-05-25T13:25:26Z","BotDetectionIDs":[7,8,9],"Cookies":{"key":"value"},"Empty":"","Nothing":null}'
    const { json } = await one('http_requests', raw)
    expect(
      json!.startsWith(
        '{"Zeta":{"x":[1,2.5,"é",null,{"deep":true}]},"EdgeStartTimestamp":"2022-05-25 13:25:26.000000000","BotDetectionIDs":[7,8,9],"Cookies":{"key":"value"},"Empty":"","Nothing":null,',
      ),
    ).toBe(true)
  })
})

describe('null and empty values (see compile.ts)', () => {
  it('keeps null in an optional column, and treats it as missing in a required one', async () => {
    const { event } = await one('http_requests', { ...HTTP, ClientIP: null, ZoneID: null, BotTags: null, CacheTieredFill: null })
    expect(event).toMatchObject({ ClientIP: null, ZoneID: null, BotTags: null, CacheTieredFill: null })
    expect((await one('audit_logs', { ...MINIMAL.audit_logs, ID: null })).reason).toBe('ID: required field is missing')
  })

  it('keeps "" in a string column, and drops it from typed columns where it means no value', async () => {
    const { event } = await one('http_requests', {
      ...HTTP,
      ClientIP: '',
      ZoneID: '',
      ClientSrcPort: '',
      EdgeResponseStatus: '',
      CacheTieredFill: '',
      EdgeResponseCompressionRatio: '',
      EdgeEndTimestamp: '',
    })
    expect(event!.ClientIP).toBe('')
    for (const k of ['ZoneID', 'ClientSrcPort', 'EdgeResponseStatus', 'CacheTieredFill', 'EdgeResponseCompressionRatio', 'EdgeEndTimestamp'])
      expect(event, k).not.toHaveProperty(k)
    expect(event!.p_any_ip_addresses).toBeUndefined()
  })

  it('treats "" in a required column as empty, "" in a required string column as a value', async () => {
    expect((await one('http_requests', { EdgeStartTimestamp: '' })).reason).toBe('EdgeStartTimestamp: required field is empty')
    expect((await one('audit_logs', { ...MINIMAL.audit_logs, ID: '' })).event!.ID).toBe('')
  })

  it('does not take "" for an array or a map', async () => {
    expect((await one('http_requests', { ...HTTP, BotTags: '' })).reason).toBe('BotTags: expected [string], got ""')
    expect((await one('firewall_events', { ...MINIMAL.firewall_events, Metadata: '' })).reason).toBe('Metadata: expected {string:string}, got ""')
  })
})

describe('prototype keys', () => {
  it('are kept as plain data and pollute nothing', async () => {
    const raw =
      '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"EdgeStartTimestamp":"2022-05-25T13:25:26Z","RequestHeaders":{"__proto__":{"polluted":3}},"toString":"x"}'
    const r = await one('http_requests', raw)
    expect(r.reason).toBeUndefined()
    expect(r.json).toContain('"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}')
    expect(r.json).toContain('"RequestHeaders":{"__proto__":{"polluted":3}},"toString":"x"')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })

  it('in a map column are checked and kept like any key', async () => {
    const raw = '{"Datetime":"2022-05-25T13:25:26Z","Metadata":{"__proto__":5,"constructor":"c","hasOwnProperty":"h"}}'
    const r = await one('firewall_events', raw)
    expect(r.json).toContain('"Metadata":{"__proto__":"5","constructor":"c","hasOwnProperty":"h"}')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const bad = await one('firewall_events', '{"Datetime":"2022-05-25T13:25:26Z","Metadata":{"__proto__":{"x":1}}}')
    expect(bad.reason).toBe('Metadata.__proto__: bad element of {string:string}, got {"x":1}')
  })
})
