import { expect } from 'vitest'
import type { CompiledSchema } from '../../src/schema/compile'
import type { SchemaFile } from '../../src/schema/spec'
import { type Run, run } from './pipeline'

// The batches scripts/make-fixtures.mjs writes from the manifest, as text by file name. Globbed, so
// that a fixture is found by its name and a dataset without one shows as missing, not as an
// import error.
const TEXTS: Record<string, string> = Object.fromEntries(
  Object.entries(import.meta.glob<string>('../../fixtures/*.ndjson', { query: '?raw', import: 'default', eager: true })).map(([path, text]) => [
    path.slice(path.lastIndexOf('/') + 1),
    text,
  ]),
)

/** Logpush's timestamp formats, in which scripts/make-fixtures.mjs writes every dataset's fixture. */
export const FORMATS = ['unixnano', 'unix', 'rfc3339', 'rfc3339ms', 'rfc3339ns'] as const

/** A fixture file's text: `fixture('http_requests.unixnano.ndjson')`. */
export function fixture(name: string): string {
  const text = TEXTS[name]
  if (text === undefined) throw new Error(`no fixtures/${name}: run npm run fixtures`)
  return text
}

export interface DatasetFixture {
  dataset: string
  format: (typeof FORMATS)[number]
  file: string
  /** The file's text, undefined when the file is missing. */
  text: string | undefined
}

/** Each dataset's fixture in each timestamp format, missing ones included (with no text). */
export function datasetFixtures(datasets: readonly string[], texts: Readonly<Record<string, string>> = TEXTS): DatasetFixture[] {
  return datasets.flatMap((dataset) =>
    FORMATS.map((format) => {
      const file = `${dataset}.${format}.ndjson`
      return { dataset, format, file, text: texts[file] }
    }),
  )
}

const lineCount = (text: string) => text.split('\n').filter((l) => l.trim() !== '').length

/** A run's counts and output, to compare two runs of the same events. */
export function outcome(r: Run): string {
  const { gzip: _g, decompressedBytes: _d, ...counts } = r.counts
  return JSON.stringify({ counts, events: [...r.out.events], quarantined: r.out.quarantined })
}

/**
 * A dataset's fixture exists and goes through the pipeline in full, plain and gzipped alike: every
 * line written, none quarantined, all in hour 13 of 2022-05-25, with the schema's log type.
 */
export async function expectFixtureWritten(schema: CompiledSchema, f: DatasetFixture): Promise<Run> {
  if (f.text === undefined) throw new Error(`fixtures/${f.file} is missing: every dataset of the manifest needs its fixtures (npm run fixtures)`)
  const n = lineCount(f.text)
  expect(n, f.file).toBeGreaterThanOrEqual(20)
  const plain = await run(schema, f.text)
  expect(plain.reasons, f.file).toEqual([])
  expect(plain.counts, f.file).toMatchObject({ events: n, written: n, quarantined: 0, validation: false })
  expect([...plain.out.events.keys()], f.file).toEqual(['2022-05-25 13'])
  for (const e of plain.events) expect(e.p_log_type).toBe(schema.logType)
  const gz = await run(schema, f.text, { gzip: true })
  expect(gz.counts.gzip).toBe(true)
  expect(outcome(gz), f.file).toBe(outcome(plain))
  return plain
}

const TIMESTAMP_OUT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$/

/**
 * One dataset's runs in FORMATS order carry the same events at the same instants, each format at
 * its precision: seconds (unix, rfc3339), milliseconds (rfc3339ms), nanoseconds (unixnano, rfc3339ns).
 */
export function expectSameEventsInEveryFormat(runs: Run[], schema: SchemaFile): void {
  const eventTime = schema.fields.find((f) => f.isEventTime)!
  const eventTimeInMillis = 'timeFormats' in eventTime && eventTime.timeFormats?.join() === 'unix_ms'
  expect(runs).toHaveLength(FORMATS.length)
  const times = runs.map((r) => r.events.map((e) => e.p_event_time as string))
  const byFormat = Object.fromEntries(FORMATS.map((f, i) => [f, times[i]!]))
  const ns = byFormat.unixnano!
  expect(
    ns.some((t) => !t.endsWith('.000000000')),
    'sub-second digits in unixnano',
  ).toBe(true)
  expect(byFormat.rfc3339ns).toEqual(ns)
  // A field Logpush always writes in milliseconds keeps them whatever the job's format.
  if (eventTimeInMillis) for (const f of FORMATS) expect(byFormat[f], f).toEqual(ns.map((t) => `${t.slice(0, 23)}000000`))
  else {
    expect(byFormat.rfc3339ms).toEqual(ns.map((t) => `${t.slice(0, 23)}000000`))
    expect(byFormat.unix).toEqual(ns.map((t) => `${t.slice(0, 19)}.000000000`))
    expect(byFormat.rfc3339).toEqual(byFormat.unix)
  }
  // Apart from timestamps, the very same events.
  const strip = (e: Record<string, unknown>) => JSON.stringify(Object.entries(e).filter(([, v]) => typeof v !== 'string' || !TIMESTAMP_OUT.test(v)))
  for (const r of runs.slice(1)) expect(r.events.map(strip)).toEqual(runs[0]!.events.map(strip))
}
