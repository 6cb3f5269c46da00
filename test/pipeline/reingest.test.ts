import { describe, expect, it } from 'vitest'
import { knownDatasets } from '../../src/schema/registry'
import { fixture } from '../helpers/fixtures'
import { run } from '../helpers/pipeline'

// Re-ingesting what a pipeline wrote (ours, or a Panther export of the same log type) must write
// the same events, not events with two sets of p_ fields. p_row_id numbers the line within its
// batch, and the re-posted batch has its lines in partition order, so it is left out.
const withoutRowId = (line: string) => line.replace(/"p_row_id":"[^"]*"/, '"p_row_id":""')

// What Panther adds to each event of its data lake beyond the fields we write too.
const PANTHER_ONLY =
  '"p_schema_version":0,"p_source_file":{"aws_s3_bucket":"panther-logs","aws_s3_key":"cloudflare/2022/05/25/13/a.json.gz"},"p_udm":{"source":{"ip":"192.0.2.1"}}'

describe('posting written events back in writes the same events', () => {
  for (const dataset of knownDatasets()) {
    it(`${dataset}: our own output, and a Panther export of it`, async () => {
      const first = await run(dataset, fixture(`${dataset}.unixnano.ndjson`))
      expect(first.counts.quarantined).toBe(0)
      const again = await run(dataset, `${first.lines.join('\n')}\n`)
      expect(again.counts).toMatchObject({ written: first.counts.written, quarantined: 0 })
      expect(again.lines.map(withoutRowId)).toEqual(first.lines.map(withoutRowId))

      // Panther's copy: its own ids, source and parse time, and fields of its own we do not write.
      const panther = first.lines.map((line) => {
        const at = line.indexOf(',"p_log_type":')
        const pantherFields = `"p_row_id":"f0a1","p_parse_time":"2022-05-26 00:00:00.000","p_source_id":"5f1e","p_source_label":"cloudflare",${PANTHER_ONLY},"p_any_ip_addresses":["198.51.100.7"]`
        return `${line.slice(0, at)},${pantherFields}${line.slice(at)}`
      })
      const fromPanther = await run(dataset, `${panther.join('\n')}\n`)
      expect(fromPanther.counts).toMatchObject({ written: first.counts.written, quarantined: 0 })
      expect(fromPanther.lines.map(withoutRowId)).toEqual(first.lines.map(withoutRowId))
    })
  }

  it("reads Panther's timestamp text, without a zone and with any fraction, as UTC", async () => {
    const r = await run(
      'http_requests',
      '{"EdgeStartTimestamp":"2022-05-25 13:25:26.123","EdgeEndTimestamp":"2022-05-25 13:25:27","p_event_time":"2022-05-25 13:25:26.123"}\n',
    )
    expect(r.events[0]).toMatchObject({
      EdgeStartTimestamp: '2022-05-25 13:25:26.123000000',
      EdgeEndTimestamp: '2022-05-25 13:25:27.000000000',
      p_event_time: '2022-05-25 13:25:26.123000000',
    })
    expect(Object.keys(r.events[0]!).filter((k) => k === 'p_event_time')).toHaveLength(1)
  })
})
