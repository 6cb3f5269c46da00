import { describe, expect, it } from 'vitest'
import { schemaFiles } from '../../src/schema/registry'
import type { FieldSpec, ValueSpec } from '../../src/schema/spec'
import { one } from '../helpers/pipeline'

// Every column of every schema of the manifest, read from the schema itself so that no column can be missed.
const INSTANT = '2022-05-25 13:25:26.123456789'
const INSTANT_MS = '2022-05-25 13:25:26.123000000'

/** A typical valid input for a value, as Logpush sends it in its default encodings, and the output expected. */
function sample(spec: ValueSpec, name: string, indicators: string[], form: 'text' | 'native'): { input: unknown; output: unknown } {
  switch (spec.type) {
    case 'string':
      if (indicators.includes('ip')) return { input: '2001:DB8:0:0:0:0:0:1', output: '2001:DB8:0:0:0:0:0:1' }
      if (indicators.includes('domain')) return { input: 'WWW.Example.com', output: 'WWW.Example.com' }
      if (indicators.includes('trace_id')) return { input: '710e98d9367f357d', output: '710e98d9367f357d' }
      if (indicators.includes('email')) return { input: 'user@example.com', output: 'user@example.com' }
      if (indicators.includes('username')) return { input: 'enl3j9du8rnx2swwd9l32qots7l54t9s', output: 'enl3j9du8rnx2swwd9l32qots7l54t9s' }
      // A digit string stays a string.
      return form === 'text' ? { input: `${name} value é`, output: `${name} value é` } : { input: '0042', output: '0042' }
    case 'boolean':
      return form === 'text' ? { input: 'true', output: true } : { input: false, output: false }
    case 'smallint':
      return form === 'text' ? { input: '403', output: 403 } : { input: -32768, output: -32768 }
    case 'int':
      return form === 'text' ? { input: '40456', output: 40456 } : { input: 2147483647, output: 2147483647 }
    case 'bigint':
      return form === 'text' ? { input: '15169', output: 15169 } : { input: 9007199254740991, output: 9007199254740991 }
    case 'float':
      return form === 'text' ? { input: '1.25', output: 1.25 } : { input: 0.5, output: 0.5 }
    case 'timestamp':
      // A milliseconds-only field carries no finer digits.
      if (spec.timeFormats?.includes('unix_ms')) return { input: form === 'text' ? '1653485126123' : 1653485126123, output: INSTANT_MS }
      return form === 'text' ? { input: '2022-05-25T22:55:26.123456789+09:30', output: INSTANT } : { input: '1653485126123456789', output: INSTANT }
    case 'json': {
      const v = form === 'text' ? { key: 'value', list: [1, 'two', null, { three: true }] } : ['a', 2]
      return { input: v, output: v }
    }
    case 'array': {
      const e = sample(spec.element, name, indicators, form)
      return { input: [e.input, e.input], output: [e.output, e.output] }
    }
    case 'object': {
      if ('element' in spec) {
        const e = sample(spec.element, name, indicators, form)
        return { input: { k1: e.input, 'key two': e.input }, output: { k1: e.output, 'key two': e.output } }
      }
      const input: Record<string, unknown> = {}
      const output: Record<string, unknown> = {}
      for (const f of spec.fields) {
        const s = sample(f, f.name, f.indicators ?? [], form)
        input[f.name] = s.input
        output[f.name] = s.output
      }
      return { input, output }
    }
  }
}

describe('every column round-trips with its type', () => {
  for (const [dataset, file] of Object.entries(schemaFiles())) {
    for (const form of ['text', 'native'] as const) {
      it(`${dataset}: all ${file.fields.length} columns, values given as ${form === 'text' ? 'strings' : 'JSON values'}`, async () => {
        const input: Record<string, unknown> = {}
        const want: Record<string, unknown> = {}
        for (const f of file.fields as FieldSpec[]) {
          const s = sample(f, f.name, f.indicators ?? [], form)
          input[f.name] = s.input
          want[f.name] = s.output
        }
        const { event, reason } = await one(dataset, input)
        expect(reason).toBeUndefined()
        for (const f of file.fields) expect(event![f.name], `${f.name} (${f.type})`).toEqual(want[f.name])
        // Nothing but the columns and the p_ fields.
        const extra = Object.keys(event!).filter((k) => !(k in want) && !k.startsWith('p_'))
        expect(extra).toEqual([])
        const eventTime = file.fields.find((f) => f.isEventTime)!.name
        expect(event!.p_event_time).toBe(want[eventTime])
        expect(event!.p_log_type).toBe(file.schema)
      })
    }
  }
})
