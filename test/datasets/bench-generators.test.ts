// The bench measures what the pipeline does with a batch it writes whole: a generated line that
// the pipeline quarantined would measure the quarantine path instead. Every dataset with a
// generator of its own (bench/generate.mjs) runs a few hundred lines through the pipeline here.
import { describe, expect, it } from 'vitest'
import { BENCHED, SCHEMA_OF, sampleLines, TUNED } from '../../bench/generate.mjs'
import { schemaFiles } from '../../src/schema/registry'
import { run } from '../helpers/pipeline'

const LINES = 300
/** The generators written to send every field of their schema, as real batches do. */
const EVERY_FIELD = ['dns_logs', 'gateway_dns', 'gateway_http', 'zero_trust_network_sessions', 'workers_trace_events']
/** The batch's span (bench/generate.mjs): 2026-11-25 09:58:00 to 10:02:00 UTC, two partitions. */
const FIRST_PARTITION = '2026-11-25 09'
const SECOND_PARTITION = '2026-11-25 10'

describe('bench data', () => {
  it('benches every dataset with a generator of its own by default', () => {
    for (const dataset of Object.keys(TUNED)) expect(BENCHED).toContain(dataset)
  })

  for (const dataset of Object.keys(TUNED)) {
    it(`${dataset}: every generated line is written, none quarantined`, async () => {
      const lines = sampleLines(dataset, LINES)
      const r = await run(SCHEMA_OF[dataset]!, `${lines.join('\n')}\n`, { gzip: true })
      expect(r.reasons.slice(0, 3)).toEqual([])
      expect(r.counts).toMatchObject({ events: LINES, written: LINES, quarantined: 0 })
      // Spread over the span as the other generators are: both hours, in order.
      expect([...r.out.events.keys()]).toEqual([FIRST_PARTITION, SECOND_PARTITION])
      const times = r.events.map((e) => e.p_event_time as string)
      expect(times).toEqual([...times].sort())
    })
  }

  for (const dataset of EVERY_FIELD) {
    it(`${dataset}: every line has every field of the schema`, () => {
      const fields = schemaFiles()[dataset]!.fields.map((f) => f.name)
      for (const line of sampleLines(dataset, LINES)) {
        const keys = Object.keys(JSON.parse(line) as object)
        expect(fields.filter((f) => !keys.includes(f))).toEqual([])
      }
    })
  }
})
