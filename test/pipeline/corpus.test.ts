import { describe, expect, it } from 'vitest'
import { schemas } from '../../src/schema/registry'
import { run } from '../helpers/pipeline'
import { REAL_SHAPES } from '../helpers/real-shapes'

// Lines in the shapes Logpush really sends (test/helpers/real-shapes.ts): every one must be
// written, with its unknown fields kept. The real corpus goes through the CLI's `check` in CI.
describe('lines in the shapes Logpush sends', () => {
  for (const { dataset, lines, eventTimes } of REAL_SHAPES) {
    it(`writes every ${dataset} line with the right p_event_time`, async () => {
      const r = await run(dataset, `${lines.join('\n')}\n`)
      expect(r.reasons).toEqual([])
      expect(r.counts).toMatchObject({ events: eventTimes.length, written: eventTimes.length, quarantined: 0 })
      expect(r.events.map((e) => e.p_event_time)).toEqual(eventTimes)
      const columns = new Set(schemas().get(dataset)!.columns)
      r.events.forEach((e, i) => {
        expect(e.p_log_type).toBe(schemas().get(dataset)!.logType)
        for (const key of Object.keys(JSON.parse(lines[i]!) as object)) if (!columns.has(key)) expect(e, `unknown field ${key} kept`).toHaveProperty(key)
      })
    })
  }
})
