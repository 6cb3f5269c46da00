// S3_BATCH_BUDGET_MS bounds the time a batch waits on storage, not its own work: a batch whose
// parsing takes far longer than the budget is stored when the bucket is healthy. (A bucket that
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
})
