// The S3 fault matrix (docs/reliability.md): every S3 step a batch takes, under every fault the
// fault proxy (test/setup/fault-proxy.mjs) can stage, through the real app and the real local S3.
//
// Each cell has its own S3_PREFIX and its own batch, so listing the prefix shows everything the
// cell left in the bucket. Transient faults (fewer than the 4 attempts of a call) must end in 200
// with exactly the expected objects and events; persistent ones in 503 within a bounded time,
// nothing visible under the prefix, the counters moved only by one failure; and the same batch
// re-sent once S3 has recovered must be stored exactly once, `duplicate: false`, then `true`.
import { env } from 'cloudflare:test'
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { DatasetStats } from '../../src/counters/client'
import type { BatchResult } from '../../src/ingest/batch'
import app from '../../src/index'
import { bucket, readObjectLines } from '../helpers/bucket'
import { clearFaults, type Fault, faultStats, injectFault, watch } from '../storage/helpers'

const TOKEN = 'dev-token'
const DATASET = 'http_requests'
const TABLE = 'cloudflare_httprequest'
const DAY = { year: '2031', month: '03', day: '01' }

// Short times so that a hang costs a fraction of a second; the logic is the production one.
const REQUEST_TIMEOUT_MS = 300
const BASE_DELAY_MS = 10
const BUDGET_MS = 5_000
// Small parts (the local server takes them): a multipart object costs kilobytes, not megabytes.
const PART_BYTES = 16 * 1024
// Bodies over this are staged in the bucket and read back (the staging cells only).
const STAGING_SPOOL_BYTES = 8 * 1024
// Faults in a row that a call still survives: it makes 4 attempts (3 retries).
const TRANSIENT = 3
const PERSISTENT = 1_000
// A persistent fault ends after 4 attempts: 4 timeouts at most, and back-offs of at most
// 10 + 20 + 40 ms, plus cleanup and the work itself. Far below the budget; asserted below it.
const PERSISTENT_BOUND_MS = BUDGET_MS

const settings = (extra: Record<string, string> = {}): Record<string, string> => ({
  S3_ENDPOINT: inject('faultProxyUrl'),
  S3_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  S3_RETRY_BASE_DELAY_MS: String(BASE_DELAY_MS),
  S3_BATCH_BUDGET_MS: String(BUDGET_MS),
  S3_PART_BYTES: String(PART_BYTES),
  ...extra,
})

type Ack = Pick<BatchResult, 'batchId' | 'dataset' | 'events' | 'written' | 'quarantined' | 'objects' | 'keys' | 'duplicate'>

// ---------------------------------------------------------------------------------------------
// Batches

const ALPHABET = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
  .filter((c) => c !== '"' && c !== '\\')
  .join('')

/** Printable text that gzip cannot shrink much (xorshift32), so outputs reach several parts. */
function pad(size: number, seed: number): string {
  let x = seed >>> 0 || 1
  const codes = new Uint8Array(size)
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    codes[i] = ALPHABET.charCodeAt((x >>> 0) % ALPHABET.length)
  }
  return new TextDecoder().decode(codes)
}

const PADS = Array.from({ length: 10 }, (_, i) => pad(10 * 1024, i + 1))

type Shape = 'small' | 'multipart' | 'staged'

interface Batch {
  shape: Shape
  prefix: string
  body: Uint8Array
  batchId: string
  /** Good RayIDs by hour (09, 10); one bad line goes to quarantine. */
  hours: Record<'09' | '10', string[]>
  events: number
  env: Record<string, string>
}

/**
 * small: three events in two hours and a bad line (three single-PUT objects).
 * multipart: five 10 KiB events per hour (each hour's object is three 16 KiB parts) and a bad line.
 * staged: a 20 KiB body over the 8 KiB spool limit (staged with one PUT, read back with one GET).
 */
async function makeBatch(shape: Shape, tag: string): Promise<Batch> {
  const id = `${tag}-${crypto.randomUUID().slice(0, 8)}`
  const prefix = `fm/${id}/`
  const line = (ray: string, hour: string, padding?: string) =>
    JSON.stringify({
      RayID: ray,
      EdgeStartTimestamp: `${DAY.year}-${DAY.month}-${DAY.day}T${hour}:15:00Z`,
      ClientIP: '192.0.2.1',
      ...(padding ? { Pad: padding } : {}),
    })
  const hours: Batch['hours'] = { '09': [], '10': [] }
  const lines: string[] = []
  const add = (hour: '09' | '10', n: number, padded: boolean) => {
    for (let i = 0; i < n; i++) {
      const ray = `${id}-${hour}-${i}`
      hours[hour].push(ray)
      lines.push(line(ray, hour, padded ? PADS[(hour === '09' ? 0 : 5) + i] : undefined))
    }
  }
  if (shape === 'small') {
    add('09', 1, false)
    add('10', 2, false)
  } else if (shape === 'multipart') {
    add('09', 5, true)
    add('10', 5, true)
  } else {
    add('10', 2, true)
  }
  lines.push(JSON.stringify({ RayID: `${id}-bad` })) // no EdgeStartTimestamp: quarantined
  const body = new TextEncoder().encode(`${lines.join('\n')}\n`)
  const extra: Record<string, string> = { S3_PREFIX: prefix }
  // The staged copy is one PUT and one GET: parts larger than the body.
  if (shape === 'staged') Object.assign(extra, { SPOOL_MEMORY_BYTES: String(STAGING_SPOOL_BYTES), S3_PART_BYTES: String(4 * PART_BYTES) })
  return { shape, prefix, body, batchId: await batchIdOf(body), hours, events: lines.length, env: settings(extra) }
}

/** The batch id the service derives: SHA-256 of the dataset name, a newline and the body. */
async function batchIdOf(body: Uint8Array): Promise<string> {
  const seeded = new Uint8Array([...new TextEncoder().encode(`${DATASET}\n`), ...body])
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', seeded))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, 32)
}

const logsKey = (b: Batch, hour: string) => `${b.prefix}logs/${TABLE}/year=${DAY.year}/month=${DAY.month}/day=${DAY.day}/hour=${hour}/${b.batchId}.json.gz`

function expectedKeys(b: Batch, receivedAt: number): string[] {
  const day = new Date(receivedAt).toISOString().slice(0, 10)
  const quarantine = `${b.prefix}quarantine/${DATASET}/year=${day.slice(0, 4)}/month=${day.slice(5, 7)}/day=${day.slice(8, 10)}/${b.batchId}.json.gz`
  const keys = [quarantine]
  for (const hour of ['09', '10'] as const) if (b.hours[hour].length) keys.push(logsKey(b, hour))
  return keys.sort()
}

// ---------------------------------------------------------------------------------------------
// Sending and checking

interface Sent {
  status: number
  body: string
  retryAfter: string | null
  ms: number
  receivedAt: number
}

async function send(b: Batch): Promise<Sent> {
  const req = new Request(`http://worker/logpush/${DATASET}`, { method: 'POST', body: b.body, headers: { Authorization: `Bearer ${TOKEN}` } })
  const receivedAt = Date.now()
  const res = await app.fetch(req, { ...env, ...b.env } as unknown as Env)
  const body = await res.text()
  return { status: res.status, body, retryAfter: res.headers.get('retry-after'), ms: Date.now() - receivedAt, receivedAt }
}

async function stats(): Promise<DatasetStats> {
  const res = await app.fetch(new Request(`http://worker/stats/${DATASET}`, { headers: { Authorization: `Bearer ${TOKEN}` } }), env)
  return (await res.json()) as DatasetStats
}

/** 200, the acknowledgement of the whole batch, and exactly its objects and events under the prefix. */
async function expectStored(b: Batch, sent: Sent, duplicate: boolean): Promise<void> {
  expect(sent.status, sent.body).toBe(200)
  const ack = JSON.parse(sent.body) as Ack
  const keys = expectedKeys(b, sent.receivedAt)
  expect(ack).toMatchObject({ batchId: b.batchId, events: b.events, written: b.events - 1, quarantined: 1, objects: keys.length, duplicate })
  expect(ack.keys).toEqual(keys)
  expect(await bucket.listKeys(b.prefix)).toEqual(keys)
  for (const hour of ['09', '10'] as const) {
    if (!b.hours[hour].length) continue
    const events = await readObjectLines(logsKey(b, hour))
    expect(events.map((e) => e.RayID)).toEqual(b.hours[hour])
  }
  const quarantined = await readObjectLines(keys.find((k) => k.startsWith(`${b.prefix}quarantine/`))!)
  expect(quarantined.map((q) => q.raw)).toEqual([JSON.stringify({ RayID: `${b.hours['10'][0]!.split('-10-')[0]}-bad` })])
}

/** 503 with Retry-After, in bounded time, and nothing of the batch left under its prefix. */
async function expectRefused(b: Batch, sent: Sent, boundMs = PERSISTENT_BOUND_MS): Promise<void> {
  expect(sent.status, sent.body).toBe(503)
  expect(JSON.parse(sent.body)).toMatchObject({ error: 'storage_unavailable' })
  expect(sent.retryAfter).toBe('30')
  expect(sent.ms).toBeLessThan(boundMs)
  expect(await bucket.listKeys(b.prefix)).toEqual([])
}

// ---------------------------------------------------------------------------------------------
// The matrix

type Kind = '500 InternalError' | '503 SlowDown' | 'hang' | 'connection reset' | 'answer lost' | 'body cut mid-way' | 'body stalls mid-way'

const KINDS: Record<Kind, Omit<Fault, 'match'>> = {
  '500 InternalError': { mode: 'status', status: 500, code: 'InternalError' },
  '503 SlowDown': { mode: 'status', status: 503, code: 'SlowDown' },
  hang: { mode: 'hang' },
  'connection reset': { mode: 'reset' },
  // S3 did the work, then the answer was lost (the proxy answers 500 instead of S3's answer).
  'answer lost': { mode: 'after-forward', status: 500, code: 'InternalError' },
  // S3's answer starts, then the connection breaks halfway through its body.
  'body cut mid-way': { mode: 'truncate' },
  // S3's answer starts, then no more bytes come: only the batch's budget can end it.
  'body stalls mid-way': { mode: 'stall' },
}

interface Step {
  name: string
  shape: Shape
  /** The requests of this step, for every object of the batch. */
  target: (b: Batch) => { match: string; method: string }
  kinds: Kind[]
  /** Fail only the Nth request: `transient` fails it once, `persistent` always (one object). */
  nth?: { transient: (b: Batch) => Fault; persistent: (b: Batch) => Fault }
  /** Whether a persistent fault must leave an AbortMultipartUpload behind it. */
  aborts?: boolean
}

const COMMON: Kind[] = ['500 InternalError', '503 SlowDown', 'hang', 'connection reset', 'answer lost']

const STEPS: Step[] = [
  {
    name: 'PutObject',
    shape: 'small',
    target: (b) => ({ match: `${b.batchId}.json.gz`, method: 'PUT' }),
    kinds: COMMON,
    nth: {
      transient: (b) => ({ match: `${b.batchId}.json.gz`, method: 'PUT', skip: 1, count: 1 }),
      persistent: (b) => ({ match: logsKey(b, '10'), method: 'PUT', count: PERSISTENT }),
    },
  },
  {
    name: 'CreateMultipartUpload',
    shape: 'multipart',
    target: (b) => ({ match: `${b.batchId}.json.gz?uploads`, method: 'POST' }),
    kinds: COMMON,
    nth: {
      transient: (b) => ({ match: `${b.batchId}.json.gz?uploads`, method: 'POST', skip: 1, count: 1 }),
      persistent: (b) => ({ match: `${logsKey(b, '10')}?uploads`, method: 'POST', count: PERSISTENT }),
    },
  },
  {
    name: 'UploadPart',
    shape: 'multipart',
    target: (b) => ({ match: `${b.batchId}.json.gz?partNumber=`, method: 'PUT' }),
    kinds: COMMON,
    aborts: true,
    nth: {
      transient: (b) => ({ match: `${b.batchId}.json.gz?partNumber=2&`, method: 'PUT', count: 1 }),
      persistent: (b) => ({ match: `${logsKey(b, '10')}?partNumber=2&`, method: 'PUT', count: PERSISTENT }),
    },
  },
  {
    name: 'CompleteMultipartUpload',
    shape: 'multipart',
    target: (b) => ({ match: `${b.batchId}.json.gz?uploadId=`, method: 'POST' }),
    kinds: COMMON,
    aborts: true,
    nth: {
      transient: (b) => ({ match: `${b.batchId}.json.gz?uploadId=`, method: 'POST', skip: 1, count: 1 }),
      persistent: (b) => ({ match: `${logsKey(b, '10')}?uploadId=`, method: 'POST', count: PERSISTENT }),
    },
  },
  {
    name: 'staging PutObject',
    shape: 'staged',
    target: (b) => ({ match: `${b.prefix}staging/`, method: 'PUT' }),
    kinds: COMMON,
  },
  {
    name: 'staging GetObject',
    shape: 'staged',
    target: (b) => ({ match: `${b.prefix}staging/`, method: 'GET' }),
    kinds: [...COMMON, 'body cut mid-way', 'body stalls mid-way'],
  },
]

// Settings of the cells of one kind: a stalled body ends only at the batch budget, so a short one.
const KIND_SETTINGS: Partial<Record<Kind, Record<string, string>>> = {
  'body stalls mid-way': { S3_BATCH_BUDGET_MS: '1500' },
}

// Cells whose outcome differs from the general rule, with the reason (docs/reliability.md).
const EXCEPTIONS: Record<string, { transient?: 'refused'; persistent?: 'stored' }> = {
  // A body that broke off cannot be resumed: the batch is refused and Logpush sends it again.
  'staging GetObject × body cut mid-way': { transient: 'refused' },
  'staging GetObject × body stalls mid-way': { transient: 'refused' },
  // The first Complete joined the parts; the retries cannot, but the object is there, whole.
  'CompleteMultipartUpload × answer lost': { persistent: 'stored' },
}

interface Row {
  cell: string
  outcome: string
  ms: number
}
const rows: Row[] = []

afterAll(() => {
  // The figures of docs/reliability.md: one line per cell and pass.
  console.log(rows.map((r) => `${r.cell.padEnd(58)} ${r.outcome.padEnd(34)} ${String(r.ms).padStart(5)} ms`).join('\n'))
})

async function transientCell(step: Step, cell: string, fault: (b: Batch) => Fault, extra: Record<string, string> = {}): Promise<void> {
  const b = await makeBatch(step.shape, 'transient')
  Object.assign(b.env, extra)
  const f = fault(b)
  await injectFault(f)
  const sent = await send(b)
  rows.push({ cell: `${cell}, transient`, outcome: String(sent.status), ms: sent.ms })
  expect((await faultStats(f.match, f.method)).faulted).toBeGreaterThan(0)
  if (EXCEPTIONS[cell]?.transient === 'refused') {
    await expectRefused(b, sent)
    await clearFaults(f.match, f.method)
    await expectStored(b, await send(b), false)
    return
  }
  await expectStored(b, sent, false)
}

async function persistentCell(step: Step, cell: string, fault: (b: Batch) => Fault, extra: Record<string, string> = {}): Promise<void> {
  const b = await makeBatch(step.shape, 'persistent')
  Object.assign(b.env, extra)
  const f = fault(b)
  await injectFault(f)
  const abortWatch = `${b.batchId}.json.gz?uploadId=`
  await watch(abortWatch, 'DELETE')
  const before = await stats()
  const sent = await send(b)
  rows.push({ cell: `${cell}, persistent`, outcome: String(sent.status), ms: sent.ms })
  expect((await faultStats(f.match, f.method)).faulted).toBeGreaterThan(0)
  await clearFaults(f.match, f.method)

  if (EXCEPTIONS[cell]?.persistent === 'stored') {
    await expectStored(b, sent, false)
  } else {
    await expectRefused(b, sent)
    if (step.aborts) expect((await faultStats(abortWatch, 'DELETE')).seen).toBeGreaterThan(0)
    const after = await stats()
    expect([after.batches, after.events, after.written, after.objects]).toEqual([before.batches, before.events, before.written, before.objects])
    expect(after.failuresByReason.storage_unavailable).toBe((before.failuresByReason.storage_unavailable ?? 0) + 1)
    // S3 recovered: the same batch again is stored once, and was never counted before.
    const resent = await send(b)
    rows.push({ cell: `${cell}, re-sent`, outcome: String(resent.status), ms: resent.ms })
    await expectStored(b, resent, false)
  }
  const counted = await stats()
  expect([counted.batches, counted.events, counted.written]).toEqual([before.batches + 1, before.events + b.events, before.written + b.events - 1])
  // Once more, as Logpush does when our 200 is lost: same keys, reported as a duplicate, not counted.
  const again = await send(b)
  await expectStored(b, again, true)
  const last = await stats()
  expect([last.batches, last.events, last.duplicates]).toEqual([counted.batches, counted.events, counted.duplicates + 1])
}

describe('S3 fault matrix, through the real app and the fault proxy', () => {
  for (const step of STEPS) {
    describe(step.name, () => {
      for (const kind of step.kinds) {
        const cell = `${step.name} × ${kind}`
        const fault =
          (count: number) =>
          (b: Batch): Fault => ({ ...step.target(b), ...KINDS[kind], count })
        const extra = KIND_SETTINGS[kind]
        const transient =
          EXCEPTIONS[cell]?.transient === 'refused'
            ? 'transient: 503 (a body read cannot resume), nothing visible; re-sent: stored once'
            : 'transient: 200 with exactly the expected objects'
        const persistent =
          EXCEPTIONS[cell]?.persistent === 'stored'
            ? 'persistent: 200, the first Complete stored the object, confirmed by HEAD'
            : 'persistent: 503, nothing visible, counted as a failure; re-sent: stored once'
        it(`${kind}, ${transient}`, () => transientCell(step, cell, fault(TRANSIENT), extra))
        it(`${kind}, ${persistent}`, () => persistentCell(step, cell, fault(PERSISTENT), extra))
      }
      const nth = step.nth
      if (nth) {
        const cell = `${step.name} × Nth request`
        it('only the Nth request fails, once: 200 with exactly the expected objects', () => transientCell(step, cell, nth.transient))
        it('only the Nth request fails, always: 503, the objects already stored are removed; re-sent: stored once', () =>
          persistentCell(step, cell, nth.persistent))
      }
    })
  }
})

describe('a stored batch re-sent (its 200 was lost) while S3 fails', () => {
  it('keeps the stored objects: the 503 of the re-send removes nothing', async () => {
    const b = await makeBatch('small', 'stored-then-failed')
    const first = await send(b)
    await expectStored(b, first, false)
    const before = await stats()
    // The re-send overwrites two objects with the same events, and cannot store the third.
    const f: Fault = { match: logsKey(b, '10'), method: 'PUT', count: PERSISTENT }
    await injectFault(f)
    const failed = await send(b)
    rows.push({ cell: 're-send of a stored batch, one PUT fails persistently', outcome: String(failed.status), ms: failed.ms })
    await clearFaults(f.match, f.method)
    expect(failed.status).toBe(503)
    // Still the whole batch, as acknowledged the first time.
    await expectStored(b, { ...first, status: 200 }, false)
    const after = await stats()
    expect([after.batches, after.events]).toEqual([before.batches, before.events])
    expect(after.failuresByReason.storage_unavailable).toBe((before.failuresByReason.storage_unavailable ?? 0) + 1)
    await expectStored(b, await send(b), true)
  })
})

describe('time budget', () => {
  it('a request that hangs longer than the batch budget ends at the budget with 503', async () => {
    const b = await makeBatch('small', 'budget')
    b.env = { ...b.env, S3_REQUEST_TIMEOUT_MS: '20000', S3_BATCH_BUDGET_MS: '1500' }
    const f: Fault = { match: `${b.batchId}.json.gz`, method: 'PUT', mode: 'hang', count: PERSISTENT }
    await injectFault(f)
    const sent = await send(b)
    rows.push({ cell: 'budget 1.5 s, request timeout 20 s, PutObject hangs', outcome: String(sent.status), ms: sent.ms })
    await clearFaults(f.match, f.method)
    expect(sent.ms).toBeGreaterThanOrEqual(1_400)
    await expectRefused(b, sent, 4_000)
    await expectStored(b, await send(b), false)
  })

  it('when S3 hangs on every call, cleanup included, the answer still comes in bounded time', async () => {
    const b = await makeBatch('small', 'all-hang')
    b.env = { ...b.env, S3_BATCH_BUDGET_MS: '1500' }
    const f: Fault = { match: b.prefix, mode: 'hang', count: PERSISTENT }
    await injectFault(f)
    const sent = await send(b)
    rows.push({ cell: 'budget 1.5 s, every S3 call hangs', outcome: String(sent.status), ms: sent.ms })
    await clearFaults(f.match)
    // The batch's budget, then cleanup (removals and aborts) under its own short budget.
    await expectRefused(b, sent, 1_500 + 5_000 + 1_000)
    await expectStored(b, await send(b), false)
  })
})
