// S3_BATCH_BUDGET_MS bounds the time a batch waits on storage with no answer, not its own work nor
// a healthy bucket's steady answers: a batch whose parsing takes far longer than the budget is
// stored, and so is one whose many objects take longer than the budget to store. (A bucket that
// hangs still ends the batch at the budget: fault-matrix.test.ts, "time budget".)
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { BatchResult } from '../../src/ingest/batch'
import app from '../../src/index'
import { bucket } from '../helpers/bucket'
import { bytes, gzip } from '../helpers/streams'
import { uniquePrefix } from '../storage/helpers'

const BUDGET_MS = 250

describe('the storage budget', () => {
  it('lets a batch whose own work outlasts it be stored: only waits on storage spend it', async () => {
    const prefix = uniquePrefix('budget-cpu')
    const lines: string[] = []
    for (let i = 0; i < 60_000; i++) {
      lines.push(
        `{"RayID":"cpu-${i}","EdgeStartTimestamp":${1795600800 + (i % 7200)},"ClientIP":"10.${i & 255}.${(i >> 8) & 255}.1","ClientRequestHost":"h${i % 97}.example.com","EdgeResponseStatus":${200 + (i % 5)}}`,
      )
    }
    const body = await gzip(bytes(`${lines.join('\n')}\n`))
    const req = new Request('http://worker/logpush/http_requests', { method: 'POST', body, headers: { Authorization: 'Bearer dev-token' } })
    const started = Date.now()
    const res = await app.fetch(req, { ...env, S3_PREFIX: prefix, S3_BATCH_BUDGET_MS: String(BUDGET_MS) } as unknown as Env)
    const elapsed = Date.now() - started
    expect(res.status, await res.clone().text()).toBe(200)
    // The case means something only if the batch took well over the budget.
    expect(elapsed).toBeGreaterThan(2 * BUDGET_MS)
    const ack = (await res.json()) as Pick<BatchResult, 'written' | 'keys'>
    expect(ack.written).toBe(lines.length)
    expect(await bucket.listKeys(prefix)).toEqual([...ack.keys].sort())
  }, 60_000)

  it('lets a batch of many objects be stored though storing them all takes longer than it', async () => {
    // One event in each of 400 hours, as Parquet: 400 files stored six at a time, each encoded
    // while others wait on their PUT. A budget that summed the waits counted that work and
    // answered 503 with a healthy bucket.
    const prefix = uniquePrefix('budget-objects')
    const HOURS = 400
    const lines = Array.from({ length: HOURS }, (_, i) => `{"RayID":"obj-${i}","EdgeStartTimestamp":${1795600800 + i * 3600}}`)
    const body = await gzip(bytes(`${lines.join('\n')}\n`))
    const req = new Request('http://worker/logpush/http_requests', { method: 'POST', body, headers: { Authorization: 'Bearer dev-token' } })
    const started = Date.now()
    const res = await app.fetch(req, { ...env, S3_PREFIX: prefix, OUTPUT_FORMAT: 'parquet', S3_BATCH_BUDGET_MS: String(BUDGET_MS) } as unknown as Env)
    const elapsed = Date.now() - started
    expect(res.status, await res.clone().text()).toBe(200)
    expect(elapsed).toBeGreaterThan(2 * BUDGET_MS)
    const ack = (await res.json()) as Pick<BatchResult, 'written' | 'keys'>
    expect(ack.written).toBe(HOURS)
    expect(ack.keys).toHaveLength(HOURS)
    expect(await bucket.listKeys(prefix)).toEqual([...ack.keys].sort())
  }, 120_000)
})
