import { expect } from 'vitest'
import { type BatchCounts, type BatchLimits, runPipeline } from '../../src/pipeline/run'
import type { CompiledSchema } from '../../src/schema/compile'
import { schemaFiles, schemas } from '../../src/schema/registry'
import type { FieldSpec, ValueSpec } from '../../src/schema/spec'
import { batchContext, bytes, gzip, limits as defaultLimits, MemoryOutput, streamOf } from './streams'

export interface Run {
  counts: BatchCounts
  out: MemoryOutput
  /** The enriched lines as written, in order. */
  lines: string[]
  events: Record<string, unknown>[]
  reasons: { reason: string; line: number; raw: string }[]
}

export interface RunOptions {
  cuts?: number[]
  limits?: BatchLimits
  gzip?: boolean
  batchId?: string
}

/**
 * Runs a batch through the whole pipeline and checks conservation: events = written + quarantined.
 * `dataset` names one of the build's schemas, or is a compiled schema of another manifest.
 */
export async function run(dataset: string | CompiledSchema, body: string | Uint8Array, opts: RunOptions = {}): Promise<Run> {
  const schema = typeof dataset === 'string' ? schemas().get(dataset) : dataset
  if (!schema) throw new Error(`unknown dataset ${String(dataset)}`)
  let data = typeof body === 'string' ? bytes(body) : body
  if (opts.gzip) data = await gzip(data)
  const out = new MemoryOutput()
  const batch = { ...batchContext, logType: schema.logType, ...(opts.batchId ? { batchId: opts.batchId } : {}) }
  const counts = await runPipeline(streamOf(data, opts.cuts), schema, batch, opts.limits ?? defaultLimits, out)
  const lines = [...out.events.values()].flat()
  expect(counts.events, 'events = written + quarantined').toBe(counts.written + counts.quarantined)
  expect(lines.length, 'written lines').toBe(counts.written)
  expect(out.quarantined.length, 'quarantined lines').toBe(counts.quarantined)
  for (const [partition, list] of out.events) {
    for (const l of list) expect((JSON.parse(l) as { p_event_time: string }).p_event_time.slice(0, 13), 'partition').toBe(partition)
  }
  return { counts, out, lines, events: lines.map((l) => JSON.parse(l) as Record<string, unknown>), reasons: out.reasons() }
}

export interface One {
  event?: Record<string, unknown>
  /** The output line as text, to check digits that JSON.parse would round. */
  json?: string
  reason?: string
}

/** One event (an object, or a raw line) through the pipeline: its output or its quarantine reason. */
export async function one(dataset: string | CompiledSchema, event: Record<string, unknown> | string): Promise<One> {
  const text = typeof event === 'string' ? event : JSON.stringify(event)
  const r = await run(dataset, `${text}\n`)
  expect(r.counts.events).toBe(1)
  if (r.counts.written === 1) return { event: r.events[0], json: r.lines[0] }
  const q = r.reasons[0]!
  expect(q.raw).toBe(text)
  expect(q.line).toBe(1)
  return { reason: q.reason }
}

function minimalValue(spec: ValueSpec): unknown {
  switch (spec.type) {
    case 'timestamp':
      return '2022-05-25T13:25:26Z'
    case 'string':
      return 'minimal'
    case 'boolean':
      return false
    case 'json':
      return {}
    case 'array':
      return []
    case 'object':
      return 'fields' in spec ? requiredOnly(spec.fields) : {}
    default:
      return 0
  }
}

function requiredOnly(fields: FieldSpec[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => f.required).map((f) => [f.name, minimalValue(f)]))
}

/** The smallest valid event of each dataset of the manifest (its required fields), to which a test adds the field it looks at. */
export const MINIMAL: Record<string, Record<string, unknown>> = Object.fromEntries(
  Object.entries(schemaFiles()).map(([dataset, file]) => [dataset, requiredOnly(file.fields)]),
)
