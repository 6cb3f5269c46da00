import { describe, expect, it } from 'vitest'
import audit_unixnano from '../../fixtures/audit_logs.unixnano.ndjson?raw'
import audit_unix from '../../fixtures/audit_logs.unix.ndjson?raw'
import audit_rfc3339 from '../../fixtures/audit_logs.rfc3339.ndjson?raw'
import firewall_unixnano from '../../fixtures/firewall_events.unixnano.ndjson?raw'
import firewall_unix from '../../fixtures/firewall_events.unix.ndjson?raw'
import firewall_rfc3339 from '../../fixtures/firewall_events.rfc3339.ndjson?raw'
import http_unixnano from '../../fixtures/http_requests.unixnano.ndjson?raw'
import http_unix from '../../fixtures/http_requests.unix.ndjson?raw'
import http_rfc3339 from '../../fixtures/http_requests.rfc3339.ndjson?raw'
import spectrum_unixnano from '../../fixtures/spectrum_events.unixnano.ndjson?raw'
import spectrum_unix from '../../fixtures/spectrum_events.unix.ndjson?raw'
import spectrum_rfc3339 from '../../fixtures/spectrum_events.rfc3339.ndjson?raw'
import badLines from '../../fixtures/bad-lines.ndjson?raw'
import twoHours from '../../fixtures/http_requests.two-hours.ndjson?raw'
import { schemas } from '../../src/schema/registry'
import { type Run, run } from '../helpers/pipeline'

// The batches written by scripts/make-fixtures.mjs (npm run fixtures), plain here and gzipped below.
const FIXTURES = [
  { dataset: 'audit_logs', format: 'unixnano', text: audit_unixnano },
  { dataset: 'audit_logs', format: 'unix', text: audit_unix },
  { dataset: 'audit_logs', format: 'rfc3339', text: audit_rfc3339 },
  { dataset: 'firewall_events', format: 'unixnano', text: firewall_unixnano },
  { dataset: 'firewall_events', format: 'unix', text: firewall_unix },
  { dataset: 'firewall_events', format: 'rfc3339', text: firewall_rfc3339 },
  { dataset: 'http_requests', format: 'unixnano', text: http_unixnano },
  { dataset: 'http_requests', format: 'unix', text: http_unix },
  { dataset: 'http_requests', format: 'rfc3339', text: http_rfc3339 },
  { dataset: 'spectrum_events', format: 'unixnano', text: spectrum_unixnano },
  { dataset: 'spectrum_events', format: 'unix', text: spectrum_unix },
  { dataset: 'spectrum_events', format: 'rfc3339', text: spectrum_rfc3339 },
]

const lineCount = (text: string) => text.split('\n').filter((l) => l.trim() !== '').length

function outcome(r: Run): string {
  const { gzip: _g, decompressedBytes: _d, ...counts } = r.counts
  return JSON.stringify({ counts, events: [...r.out.events], quarantined: r.out.quarantined })
}

describe('the fixtures', () => {
  for (const { dataset, format, text } of FIXTURES) {
    it(`${dataset}.${format}.ndjson is written in full, plain and gzipped alike`, async () => {
      const n = lineCount(text)
      expect(n).toBeGreaterThanOrEqual(20)
      const plain = await run(dataset, text)
      expect(plain.reasons).toEqual([])
      expect(plain.counts).toMatchObject({ events: n, written: n, quarantined: 0, validation: false })
      expect([...plain.out.events.keys()]).toEqual(['2022-05-25 13'])
      for (const e of plain.events) expect(e.p_log_type).toBe(schemas().get(dataset)!.logType)
      const gz = await run(dataset, text, { gzip: true })
      expect(gz.counts.gzip).toBe(true)
      expect(outcome(gz)).toBe(outcome(plain))
    })
  }

  for (const dataset of ['audit_logs', 'firewall_events', 'http_requests', 'spectrum_events']) {
    it(`${dataset}: the three timestamp formats carry the same events at the same instants`, async () => {
      const runs = await Promise.all(FIXTURES.filter((f) => f.dataset === dataset).map((f) => run(dataset, f.text)))
      const seconds = runs.map((r) => r.events.map((e) => (e.p_event_time as string).slice(0, 19)))
      expect(seconds[1]).toEqual(seconds[0])
      expect(seconds[2]).toEqual(seconds[0])
      // Sub-second digits only in unixnano.
      expect(runs[0]!.events.some((e) => !(e.p_event_time as string).endsWith('.000000000'))).toBe(true)
      expect(runs[1]!.events.every((e) => (e.p_event_time as string).endsWith('.000000000'))).toBe(true)
      const strip = (e: Record<string, unknown>) => JSON.stringify(Object.entries(e).filter(([, v]) => typeof v !== 'string' || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$/.test(v)))
      expect(runs[1]!.events.map(strip)).toEqual(runs[2]!.events.map(strip))
    })
  }

  it('http_requests.two-hours.ndjson writes two partitions', async () => {
    for (const gzip of [false, true]) {
      const r = await run('http_requests', twoHours, { gzip })
      expect(r.counts).toMatchObject({ events: 20, written: 20, quarantined: 0 })
      expect([...r.out.events.keys()]).toEqual(['2022-05-25 13', '2022-05-25 14'])
      expect(r.out.events.get('2022-05-25 13')!.length + r.out.events.get('2022-05-25 14')!.length).toBe(20)
      expect(r.out.events.get('2022-05-25 14')!.length).toBeGreaterThan(5)
    }
  })

  it('bad-lines.ndjson quarantines exactly the bad lines, each with its reason', async () => {
    const r = await run('http_requests', badLines)
    const reasons = r.reasons.map((q) => [q.line, q.reason])
    expect(reasons[0]![0]).toBe(2)
    expect(reasons[0]![1]).toMatch(/^not valid JSON: /)
    expect(reasons.slice(1)).toEqual([
      [3, 'expected a JSON object, got an array'],
      [4, 'EdgeStartTimestamp: required field is missing'],
      [5, 'EdgeStartTimestamp: expected timestamp, got "yesterday"'],
      [6, 'ClientSrcPort: expected int, got "443/tcp"'],
      [7, 'EdgeResponseStatus: expected smallint, got 70000'],
      [9, 'CacheTieredFill: expected boolean, got "yes"'],
      [10, 'BotTags[1]: bad element of [string], got {"name":"bing"}'],
      [11, 'EdgeResponseCompressionRatio: expected float, got "n/a"'],
      [12, 'ZoneID: expected bigint, got 1.5'],
      [13, 'ZoneID: expected bigint, got "9223372036854775808"'],
      [14, 'ClientIP: expected string, got {"v4":"192.0.2.1"}'],
      [15, 'EdgeStartTimestamp: expected timestamp, got "Wed, 25 May 2022 13:25:26 GMT"'],
      [16, 'EdgeStartTimestamp: required field is empty'],
      [17, 'EdgeStartTimestamp: expected timestamp, got "2022-02-30T10:00:00Z"'],
      [18, 'ClientSrcPort: expected int, got 3000000000'],
    ])
    expect(r.counts).toMatchObject({ events: 19, written: 3, quarantined: 16 })
    const lines = badLines.split('\n')
    for (const q of r.reasons) expect(q.raw).toBe(lines[q.line - 1])
    expect(outcome(await run('http_requests', badLines, { gzip: true }))).toBe(outcome(r))
  })
})
