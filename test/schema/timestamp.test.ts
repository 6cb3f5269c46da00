import { describe, expect, it } from 'vitest'
import { compileSchema } from '../../src/schema/compile'
import { loadSchemaFile } from '../../src/schema/load'
import { epochMillis, formatMillis, normalizeTimestamp, timestampReader } from '../../src/schema/timestamp'
import { MINIMAL, one, run } from '../helpers/pipeline'

// 2022-05-25T13:25:26.123456789Z in every encoding Logpush uses; unixnano is beyond 2^53.
const NS = '2022-05-25 13:25:26.123456789'
const US = '2022-05-25 13:25:26.123456000'
const MS = '2022-05-25 13:25:26.123000000'
const S = '2022-05-25 13:25:26.000000000'

// Raw JSON text of the value, so that numbers beyond 2^53 reach the parser as Logpush writes them.
const SAME_INSTANT: [string, string, string][] = [
  ['unixnano number', '1653485126123456789', NS],
  ['unixnano digit string', '"1653485126123456789"', NS],
  ['RFC 3339, 9 fraction digits, Z', '"2022-05-25T13:25:26.123456789Z"', NS],
  ['RFC 3339, 12 fraction digits (truncated to 9)', '"2022-05-25T13:25:26.123456789999Z"', NS],
  ['RFC 3339 with +09:30', '"2022-05-25T22:55:26.123456789+09:30"', NS],
  ['RFC 3339 with -05:00', '"2022-05-25T08:25:26.123456789-05:00"', NS],
  ['RFC 3339 with +00:00', '"2022-05-25T13:25:26.123456789+00:00"', NS],
  ['RFC 3339, lower-case t and z', '"2022-05-25t13:25:26.123456789z"', NS],
  ['RFC 3339, space for T', '"2022-05-25 13:25:26.123456789Z"', NS],
  // Panther's event time format and our own output: UTC without a zone.
  ['YYYY-MM-DD HH:MM:SS.fffffffff', '"2022-05-25 13:25:26.123456789"', NS],
  ['YYYY-MM-DD HH:MM:SS.ffffff', '"2022-05-25 13:25:26.123456"', US],
  ['YYYY-MM-DD HH:MM:SS.fff', '"2022-05-25 13:25:26.123"', MS],
  ['YYYY-MM-DD HH:MM:SS', '"2022-05-25 13:25:26"', S],
  ['unix µs number', '1653485126123456', US],
  ['unix µs string', '"1653485126123456"', US],
  ['RFC 3339, 6 fraction digits', '"2022-05-25T13:25:26.123456Z"', US],
  ['unix ms number', '1653485126123', MS],
  ['unix ms string', '"1653485126123"', MS],
  ['RFC 3339, 3 fraction digits (rfc3339ms)', '"2022-05-25T13:25:26.123Z"', MS],
  ['unix seconds number', '1653485126', S],
  ['unix seconds string', '"1653485126"', S],
  // Leading zeros do not make a finer unit: the magnitude decides, not the number of digits.
  ['unix seconds string, leading zeros', '"0000000001653485126"', S],
  ['unix ms string, leading zeros', '"001653485126123"', MS],
  ['unixnano string, leading zero', '"01653485126123456789"', NS],
  ['RFC 3339 without fraction', '"2022-05-25T13:25:26Z"', S],
  ['RFC 3339 without fraction, -05:00', '"2022-05-25T08:25:26-05:00"', S],
]

function line(field: string, rawValue: string, base: Record<string, unknown> = MINIMAL.http_requests!): string {
  const rest = JSON.stringify({ ...base, [field]: undefined }).slice(1, -1)
  return `{${rest}${rest ? ',' : ''}"${field}":${rawValue}}`
}

describe('timestamps', () => {
  it('every encoding of one instant gives the same p_event_time', async () => {
    const body = SAME_INSTANT.map(([, raw]) => line('EdgeStartTimestamp', raw)).join('\n')
    const r = await run('http_requests', body)
    expect(r.reasons).toEqual([])
    expect(r.events.map((e) => e.p_event_time)).toEqual(SAME_INSTANT.map(([, , want]) => want))
    expect(r.events.map((e) => e.EdgeStartTimestamp)).toEqual(SAME_INSTANT.map(([, , want]) => want))
  })

  it('keeps nanoseconds of a unixnano number beyond 2^53 in every timestamp column', async () => {
    const raw = `{"EdgeStartTimestamp":1653485126123456789,"EdgeEndTimestamp":1653485126999999999,"OriginResponseHTTPExpires":1653485126000000001}`
    const { event } = await one('http_requests', raw)
    expect(event).toMatchObject({
      EdgeStartTimestamp: NS,
      EdgeEndTimestamp: '2022-05-25 13:25:26.999999999',
      OriginResponseHTTPExpires: '2022-05-25 13:25:26.000000001',
    })
  })

  it('crosses a day, a month and a year with an offset', async () => {
    const { event } = await one('http_requests', { EdgeStartTimestamp: '2022-01-01T00:30:00.5+01:00' })
    expect(event!.p_event_time).toBe('2021-12-31 23:30:00.500000000')
    expect((await one('http_requests', { EdgeStartTimestamp: '2021-12-31T23:30:00-01:00' })).event!.p_event_time).toBe('2022-01-01 00:30:00.000000000')
  })

  it('accepts leap days and the epoch', async () => {
    expect((await one('http_requests', { EdgeStartTimestamp: '2024-02-29T12:00:00Z' })).event!.p_event_time).toBe('2024-02-29 12:00:00.000000000')
    expect((await one('http_requests', { EdgeStartTimestamp: '2000-02-29T12:00:00Z' })).event!.p_event_time).toBe('2000-02-29 12:00:00.000000000')
    expect((await one('http_requests', { EdgeStartTimestamp: 0 })).event!.p_event_time).toBe('1970-01-01 00:00:00.000000000')
    expect((await one('http_requests', { EdgeStartTimestamp: '0' })).event!.p_event_time).toBe('1970-01-01 00:00:00.000000000')
  })

  it('accepts years 1 and 9999 and nothing outside', async () => {
    expect((await one('http_requests', { EdgeStartTimestamp: '0001-01-01T00:00:00Z' })).event!.p_event_time).toBe('0001-01-01 00:00:00.000000000')
    expect((await one('http_requests', { EdgeStartTimestamp: '9999-12-31T23:59:59.999999999Z' })).event!.p_event_time).toBe('9999-12-31 23:59:59.999999999')
    expect((await one('http_requests', { EdgeStartTimestamp: '0001-01-01T01:00:00+01:00' })).event!.p_event_time).toBe('0001-01-01 00:00:00.000000000')
    for (const outside of ['0000-12-31T23:59:59Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:59:59-01:00']) {
      expect((await one('http_requests', { EdgeStartTimestamp: outside })).reason, outside).toBe(
        `EdgeStartTimestamp: expected timestamp, got ${JSON.stringify(outside)}`,
      )
    }
  })

  it('accepts HTTP-dates only in the header date columns', async () => {
    const { event } = await one('http_requests', {
      EdgeStartTimestamp: '2022-05-25T13:25:26Z',
      OriginResponseHTTPExpires: 'Thu, 21 May 2022 11:17:33 UTC',
      OriginResponseHTTPLastModified: 'Wed, 25 May 2022 13:25:26 GMT',
    })
    expect(event).toMatchObject({ OriginResponseHTTPExpires: '2022-05-21 11:17:33.000000000', OriginResponseHTTPLastModified: '2022-05-25 13:25:26.000000000' })
    expect((await one('http_requests', { EdgeStartTimestamp: 'Wed, 25 May 2022 13:25:26 GMT' })).reason).toBe(
      'EdgeStartTimestamp: expected timestamp, got "Wed, 25 May 2022 13:25:26 GMT"',
    )
    expect((await one('http_requests', { EdgeStartTimestamp: 1, EdgeEndTimestamp: 'Wed, 25 May 2022 13:25:26 GMT' })).reason).toBe(
      'EdgeEndTimestamp: expected timestamp, got "Wed, 25 May 2022 13:25:26 GMT"',
    )
    for (const bad of [
      'Wed, 25 May 2022 13:25:26 PST',
      'Wed, 30 Feb 2022 13:25:26 GMT',
      'Wed, 25 Foo 2022 13:25:26 GMT',
      'Wednesday, 25-May-22 13:25:26 GMT',
    ]) {
      expect((await one('http_requests', { EdgeStartTimestamp: 1, OriginResponseHTTPExpires: bad })).reason, bad).toBe(
        `OriginResponseHTTPExpires: expected timestamp, got ${JSON.stringify(bad)}`,
      )
    }
  })

  // Raw JSON value -> the value shown in the reason.
  const BAD: [string, string][] = [
    ['"yesterday"', '"yesterday"'],
    ['-1', '-1'],
    ['"-1653485126"', '"-1653485126"'],
    ['1653485126.5', '1653485126.5'],
    ['"1653485126.5"', '"1653485126.5"'],
    ['1.6534851261234568e18', '1.6534851261234568e18'],
    ['"2022-13-01T00:00:00Z"', '"2022-13-01T00:00:00Z"'],
    ['"2022-02-30T00:00:00Z"', '"2022-02-30T00:00:00Z"'],
    ['"2023-02-29T00:00:00Z"', '"2023-02-29T00:00:00Z"'],
    ['"2022-05-25T24:00:00Z"', '"2022-05-25T24:00:00Z"'],
    ['"2022-05-25T13:60:00Z"', '"2022-05-25T13:60:00Z"'],
    ['"2022-05-25T13:25:60Z"', '"2022-05-25T13:25:60Z"'],
    ['"2022-05-25T13:25:26"', '"2022-05-25T13:25:26"'],
    ['"2022-05-25 13:25:26."', '"2022-05-25 13:25:26."'],
    ['"2022-05-25 13:25"', '"2022-05-25 13:25"'],
    ['"2022-05-25 13:25:26 "', '"2022-05-25 13:25:26 "'],
    ['"2022-05-25T13:25:26.Z"', '"2022-05-25T13:25:26.Z"'],
    ['"2022-05-25T13:25:26+0930"', '"2022-05-25T13:25:26+0930"'],
    ['"2022-05-25T13:25:26+24:00"', '"2022-05-25T13:25:26+24:00"'],
    ['"2022-05-25"', '"2022-05-25"'],
    ['"2022/05/25 13:25:26Z"', '"2022/05/25 13:25:26Z"'],
    ['" 1653485126"', '" 1653485126"'],
    ['"123456789012345678901"', '"123456789012345678901"'],
    ['true', 'true'],
    ['{"t":1}', '{"t":1}'],
    ['[1653485126]', '[1653485126]'],
  ]

  it('quarantines every bad value with a reason naming the field', async () => {
    const body = BAD.map(([raw]) => line('EdgeStartTimestamp', raw)).join('\n')
    const r = await run('http_requests', body)
    expect(r.counts.written).toBe(0)
    expect(r.reasons.map((q) => q.reason)).toEqual(BAD.map(([, got]) => `EdgeStartTimestamp: expected timestamp, got ${got}`))
    expect(r.reasons.map((q) => q.line)).toEqual(BAD.map((_, i) => i + 1))
  })

  it('quarantines a bad optional timestamp too', async () => {
    expect((await one('spectrum_events', { Timestamp: 1, ConnectTimestamp: 'soon' })).reason).toBe('ConnectTimestamp: expected timestamp, got "soon"')
  })

  it('quarantines an empty, null or missing event time as missing', async () => {
    expect((await one('http_requests', { EdgeStartTimestamp: '' })).reason).toBe('EdgeStartTimestamp: required field is empty')
    expect((await one('http_requests', { EdgeStartTimestamp: null })).reason).toBe('EdgeStartTimestamp: required field is missing')
    expect((await one('http_requests', { ClientIP: '1.2.3.4' })).reason).toBe('EdgeStartTimestamp: required field is missing')
  })

  it('normalizeTimestamp and its helpers', () => {
    expect(normalizeTimestamp('1653485126000000000', false)).toBe('2022-05-25 13:25:26.000000000')
    expect(normalizeTimestamp(1653485126, false)).toBe(S)
    expect(normalizeTimestamp('Wed, 25 May 2022 13:25:26 GMT', true)).toBe(S)
    expect(normalizeTimestamp('Wed, 25 May 2022 13:25:26 GMT', false)).toBeNull()
    expect(epochMillis(NS)).toBe(Date.UTC(2022, 4, 25, 13, 25, 26, 123))
    expect(formatMillis(Date.UTC(2022, 4, 25, 13, 25, 26, 7))).toBe('2022-05-25 13:25:26.007000000')
    // Date agrees over a range of days, before and after the epoch.
    for (let day = -800000; day <= 2900000; day += 9973) {
      const ms = day * 86400000 + 45296789
      const iso = new Date(ms).toISOString()
      if (iso.startsWith('-') || iso.startsWith('+')) continue
      const want = `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000`
      expect(formatMillis(ms), iso).toBe(want)
      expect(normalizeTimestamp(iso, false), iso).toBe(want)
      expect(epochMillis(want), iso).toBe(ms)
    }
  })
})

// Time formats a schema declares, and an event time taken from whichever of two fields a line has.
const FORMATS_YML = `schema: Test.Formats
dataset: test_formats
scope: [zone, account]
table: test_formats
fields:
  - { name: Start, type: timestamp, timeFormats: [cloudflare], isEventTime: true }
  - { name: startMs, type: timestamp, timeFormats: [unix_ms], isEventTime: true }
  - { name: Expires, type: timestamp, timeFormats: [http-date] }
  - { name: Seen, type: timestamp, timeFormats: [unix_ms, http-date] }
`
const formats = compileSchema(loadSchemaFile('test_formats.yml', FORMATS_YML))

describe('declared time formats', () => {
  it('unix_ms reads integers as milliseconds whatever their magnitude, date-time text as every column does, and nothing else', async () => {
    const ok: [unknown, string][] = [
      [1689852946804, '2023-07-20 11:35:46.804000000'],
      ['1689852946804', '2023-07-20 11:35:46.804000000'],
      // Seconds by magnitude, but this column is milliseconds.
      [1653485126, '1970-01-20 03:18:05.126000000'],
      [7, '1970-01-01 00:00:00.007000000'],
      // Our output and Panther's, posted back in.
      ['2023-07-20 11:35:46.804000000', '2023-07-20 11:35:46.804000000'],
      ['2023-07-20 11:35:46.804', '2023-07-20 11:35:46.804000000'],
      ['2022-05-25T13:25:26Z', '2022-05-25 13:25:26.000000000'],
    ]
    for (const [v, want] of ok) expect((await one(formats, { startMs: v })).event!.p_event_time, String(v)).toBe(want)
    for (const v of ['2022-05-25', -1, 1.5, 'Wed, 25 May 2022 13:25:26 GMT', '2022-05-25 13:25']) {
      expect((await one(formats, { startMs: v })).reason, String(v)).toBe(`startMs: expected timestamp, got ${JSON.stringify(v)}`)
    }
  })

  it('unix_ms keeps the digits of a number beyond 2^53 (a bad date, so a bad value, but read exactly)', async () => {
    expect((await one(formats, '{"startMs":99999999999999999}')).reason).toBe('startMs: expected timestamp, got 99999999999999999')
  })

  it('http-date alone takes HTTP-dates and date-time text, not integers; with unix_ms, both', async () => {
    const { event } = await one(formats, { Start: 1, Expires: 'Thu, 21 May 2022 11:17:33 UTC', Seen: 'Wed, 25 May 2022 13:25:26 GMT' })
    expect(event).toMatchObject({ Expires: '2022-05-21 11:17:33.000000000', Seen: '2022-05-25 13:25:26.000000000' })
    expect((await one(formats, { Start: 1, Seen: 1689852946804 })).event!.Seen).toBe('2023-07-20 11:35:46.804000000')
    expect((await one(formats, { Start: 1, Expires: '1653485126' })).reason).toBe('Expires: expected timestamp, got "1653485126"')
    expect((await one(formats, { Start: 1, Expires: '2022-05-21 11:17:33.000000000' })).event!.Expires).toBe('2022-05-21 11:17:33.000000000')
  })

  it('takes the event time from the first event time field the line has', async () => {
    expect((await one(formats, { Start: '2022-05-25T13:25:26Z' })).event!.p_event_time).toBe(S)
    expect((await one(formats, { startMs: 1653485126123 })).event!.p_event_time).toBe(MS)
    expect((await one(formats, { startMs: 1, Start: '2022-05-25T13:25:26Z' })).event!.p_event_time).toBe(S)
    // An empty or null first one is no event time: the next one is.
    expect((await one(formats, { Start: '', startMs: 1653485126123 })).event!.p_event_time).toBe(MS)
    expect((await one(formats, { Start: null, startMs: 1653485126123 })).event!.p_event_time).toBe(MS)
  })

  it('quarantines a line with none of the event time fields, naming them', async () => {
    for (const e of [{}, { Start: '' }, { Start: null, startMs: '' }, { Expires: 'Thu, 21 May 2022 11:17:33 UTC' }]) {
      expect((await one(formats, e)).reason, JSON.stringify(e)).toBe('Start or startMs: required field is missing')
    }
    // A bad value in one is that field's reason, not a fallback to the other.
    expect((await one(formats, { Start: 'soon', startMs: 1 })).reason).toBe('Start: expected timestamp, got "soon"')
  })

  it('timestampReader: the formats of a column', () => {
    expect(timestampReader(['cloudflare'])('2022-05-25 13:25:26')).toBe(S)
    expect(timestampReader(['cloudflare'])('Wed, 25 May 2022 13:25:26 GMT')).toBeNull()
    expect(timestampReader(['cloudflare', 'http-date'])('Wed, 25 May 2022 13:25:26 GMT')).toBe(S)
    expect(timestampReader(['unix_ms'])(0, '1653485126123')).toBe(MS)
    expect(timestampReader(['http-date'])(1653485126)).toBeNull()
  })
})
