// R2 faults (docs/reliability.md): the steps of a batch with SINK=r2, each failing through a
// double of the LOGS_BUCKET binding (test/helpers/failing-bucket.ts), since Miniflare's R2
// cannot fail on demand. Every call the double lets through reaches the real local R2, and what
// the cell leaves is read back from it under the cell's own S3_PREFIX. The S3 fault matrix
// (fault-matrix.test.ts) covers the same steps over HTTP, with more kinds of fault.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { DatasetStats } from '../../src/counters/client'
import type { BatchResult } from '../../src/ingest/batch'
import app from '../../src/index'
import { linesIn, stores } from '../helpers/bucket'
import { FailingBucket, type R2Fault } from '../helpers/failing-bucket'
import { incompressibleText } from '../helpers/streams'

const TOKEN = 'dev-token'
const DATASET = 'http_requests'
const MiB = 1024 * 1024
const store = stores.r2
const lines = linesIn(store)

type Ack = Pick<BatchResult, 'batchId' | 'events' | 'written' | 'quarantined' | 'objects' | 'keys' | 'duplicate'>
type Shape = 'small' | 'multipart' | 'staged'

interface Batch {
  prefix: string
  body: Uint8Array
  events: number
  rays: string[]
  settings: Record<string, string>
}

/**
 * small: three events in two hours and a bad line (three single-PUT objects).
 * multipart: 8 MiB of base64 in one hour (about 6 MiB of gzip), with 5 MiB parts (R2's minimum): two parts.
 * staged: a 20 KiB body over an 8 KiB SPOOL_MEMORY_BYTES (staged with one PUT, read back with one GET).
 */
function makeBatch(shape: Shape, tag: string): Batch {
  const id = `${tag}-${crypto.randomUUID().slice(0, 8)}`
  const event = (i: number, hour: string, padding = '') =>
    JSON.stringify({ RayID: `${id}-${i}`, EdgeStartTimestamp: `2031-03-01T${hour}:15:00Z`, ...(padding && { Pad: padding }) })
  const events =
    shape === 'small'
      ? [event(0, '09'), event(1, '10'), event(2, '10')]
      : shape === 'multipart'
        ? Array.from({ length: 80 }, (_, i) => event(i, '10', incompressibleText(MiB / 10)))
        : [event(0, '10', incompressibleText(10_000)), event(1, '10', incompressibleText(10_000))]
  const all = [...events, JSON.stringify({ RayID: `${id}-bad` })]
  const settings: Record<string, string> = { SINK: 'r2', S3_PREFIX: `r2f/${id}/`, S3_RETRY_BASE_DELAY_MS: '10', S3_BATCH_BUDGET_MS: '5000' }
  // The 8 MiB body stays in memory: only the output is multipart.
  if (shape === 'multipart') Object.assign(settings, { S3_PART_BYTES: String(5 * MiB), SPOOL_MEMORY_BYTES: String(16 * MiB) })
  if (shape === 'staged') settings.SPOOL_MEMORY_BYTES = String(8 * 1024)
  return {
    prefix: settings.S3_PREFIX!,
    body: new TextEncoder().encode(`${all.join('\n')}\n`),
    events: all.length,
    rays: events.map((e) => JSON.parse(e).RayID as string),
    settings,
  }
}

async function send(b: Batch, bucket: FailingBucket): Promise<{ status: number; body: string }> {
  const req = new Request(`http://worker/logpush/${DATASET}`, { method: 'POST', body: b.body, headers: { Authorization: `Bearer ${TOKEN}` } })
  const res = await app.fetch(req, { ...env, ...b.settings, LOGS_BUCKET: bucket.binding } as unknown as Env)
  return { status: res.status, body: await res.text() }
}

async function stats(): Promise<DatasetStats> {
  const res = await app.fetch(new Request(`http://worker/stats/${DATASET}`, { headers: { Authorization: `Bearer ${TOKEN}` } }), env)
  return (await res.json()) as DatasetStats
}

/** 200, the whole batch acknowledged, and exactly its objects and events under its prefix. */
async function expectStored(b: Batch, sent: { status: number; body: string }, duplicate: boolean): Promise<void> {
  expect(sent.status, sent.body).toBe(200)
  const ack = JSON.parse(sent.body) as Ack
  expect(ack).toMatchObject({ events: b.events, written: b.events - 1, quarantined: 1, duplicate })
  expect(await store.listKeys(b.prefix)).toEqual([...ack.keys].sort())
  const written = (await Promise.all(ack.keys.filter((k) => k.includes('/logs/')).map(lines))).flat()
  expect(written.map((e) => e.RayID).sort()).toEqual([...b.rays].sort())
}

/** 503 storage_unavailable, nothing of the batch left, the counters moved by one failure only. */
async function expectRefused(b: Batch, sent: { status: number; body: string }, before: DatasetStats): Promise<void> {
  expect(sent.status, sent.body).toBe(503)
  expect(JSON.parse(sent.body)).toMatchObject({ error: 'storage_unavailable' })
  expect(await store.listKeys(b.prefix)).toEqual([])
  const after = await stats()
  expect([after.batches, after.events, after.written]).toEqual([before.batches, before.events, before.written])
  expect(after.failuresByReason.storage_unavailable).toBe((before.failuresByReason.storage_unavailable ?? 0) + 1)
}

/** A fault that ends: 200 with exactly the batch. */
async function transientCell(shape: Shape, fault: (b: Batch) => R2Fault): Promise<FailingBucket> {
  const b = makeBatch(shape, 'transient')
  const bucket = new FailingBucket(env.LOGS_BUCKET).fail(fault(b))
  await expectStored(b, await send(b, bucket), false)
  expect(bucket.faulted(fault(b).call)).toBeGreaterThan(0)
  return bucket
}

/**
 * A fault that lasts: 503 and nothing left; R2 recovered, the same batch is stored once, then
 * reported as a duplicate. Resolves to the calls the failed attempt made.
 */
async function persistentCell(shape: Shape, fault: (b: Batch) => R2Fault): Promise<Record<string, number>> {
  const b = makeBatch(shape, 'persistent')
  const bucket = new FailingBucket(env.LOGS_BUCKET).fail(fault(b))
  const before = await stats()
  await expectRefused(b, await send(b, bucket), before)
  expect(bucket.faulted(fault(b).call)).toBeGreaterThan(0)
  const failed = { ...bucket.seen }
  bucket.clear()
  await expectStored(b, await send(b, bucket), false)
  await expectStored(b, await send(b, bucket), true)
  return failed
}

describe('R2 faults, through the real app and a double of the binding', () => {
  it('PutObject × InternalError, 3 in a row: 200 with exactly the expected objects', () => transientCell('small', () => ({ call: 'put', count: 3 })))

  it('PutObject × TooManyRequests once: 200, retried after the per-key write interval', () =>
    transientCell('small', () => ({ call: 'put', count: 1, code: 10058 })))

  it('PutObject × Nth request always (the hour=10 object): 503, the objects already stored removed; re-sent: stored once', () =>
    persistentCell('small', (b) => ({ call: 'put', match: `${b.prefix}logs/cloudflare_httprequest/year=2031/month=03/day=01/hour=10/` })))

  it('PutObject × answer lost, always: 503, the objects R2 did store removed; re-sent: stored once', () =>
    persistentCell('small', (b) => ({ call: 'put', match: b.prefix, mode: 'after' })))

  it('UploadPart × part 2 always: 503, the upload aborted, nothing visible; re-sent: stored once', async () => {
    const failed = await persistentCell('multipart', (b) => ({ call: 'uploadPart', match: `${b.prefix}logs/`, skip: 1 }))
    expect(failed.abortMultipartUpload).toBeGreaterThan(0)
  }, 60_000)

  it('CompleteMultipartUpload × answer lost once: 200, the object confirmed by its size (R2 then answers NoSuchUpload)', async () => {
    const bucket = await transientCell('multipart', (b) => ({ call: 'completeMultipartUpload', match: `${b.prefix}logs/`, count: 1, mode: 'after' }))
    expect(bucket.seen.completeMultipartUpload).toBe(2)
    expect(bucket.seen.head).toBeGreaterThan(0)
  }, 60_000)

  it('staging PutObject × InternalError always: 503, no staged copy left; re-sent: stored once', () =>
    persistentCell('staged', (b) => ({ call: 'put', match: `${b.prefix}staging/` })))

  it('staging GetObject × InternalError always: 503, the staged copy removed; re-sent: stored once', () =>
    persistentCell('staged', (b) => ({ call: 'get', match: `${b.prefix}staging/` })))
})
