import { describe, expect, it } from 'vitest'
import auditLines from '../../../shared/corpus/logpush-samples/audit_logs.ndjson?raw'
import firewallLines from '../../../shared/corpus/logpush-samples/firewall_events.ndjson?raw'
import httpLines from '../../../shared/corpus/logpush-samples/http_requests.ndjson?raw'
import spectrumLines from '../../../shared/corpus/logpush-samples/spectrum_events.ndjson?raw'
import { runPipeline } from '../../src/pipeline/run'
import { schemas } from '../../src/schema/registry'
import { batchContext, bytes, limits, MemoryOutput, streamOf } from '../helpers/streams'

// Real-format lines that nobody here wrote: every line of the four seed datasets must be written.
const corpus = [
  { dataset: 'audit_logs', text: auditLines, eventTimes: ['2021-11-30 20:19:48.000000000', '2021-11-30 20:19:48.000000000', '2021-11-30 20:19:48.000000000'] },
  { dataset: 'firewall_events', text: firewallLines, eventTimes: ['2022-05-31 05:23:43.000000000', '2022-05-31 05:23:43.000000000'] },
  { dataset: 'http_requests', text: httpLines, eventTimes: ['2022-05-25 13:25:26.000000000', '2022-05-25 13:25:26.000000000', '2022-05-25 13:25:26.000000000'] },
  { dataset: 'spectrum_events', text: spectrumLines, eventTimes: ['2022-05-26 09:24:00.000000000'] },
]

describe('the Logpush corpus', () => {
  for (const { dataset, text, eventTimes } of corpus) {
    it(`writes every ${dataset} line with the right p_event_time`, async () => {
      const schema = schemas().get(dataset)!
      const out = new MemoryOutput()
      const counts = await runPipeline(streamOf(bytes(text)), schema, { ...batchContext, logType: schema.logType }, limits, out)
      expect(out.reasons()).toEqual([])
      expect(counts.events).toBe(eventTimes.length)
      expect(counts.written).toBe(eventTimes.length)
      expect(out.all().map((e) => e.p_event_time)).toEqual(eventTimes)
      for (const e of out.all()) expect(e.p_log_type).toBe(schema.logType)
    })
  }
})
