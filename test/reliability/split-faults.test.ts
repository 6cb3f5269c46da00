// Faults on a batch whose hours are written as several objects each (<batchId>-<n>: the held-bytes
// budget stored the largest early, docs/reliability.md): the objects stored before the fault must
// go too, and the re-sent batch must land once, under the same keys.
import { env } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import type { BatchResult } from '../../src/ingest/batch'
import app from '../../src/index'
import { bucket, readObjectLines } from '../helpers/bucket'
import { bytes } from '../helpers/streams'
import { clearFaults, faultStats, injectFault } from '../storage/helpers'

type Ack = Pick<BatchResult, 'events' | 'written' | 'objects' | 'keys' | 'duplicate'>

const LINES = 1_500
const HOURS = 3

/** `tag` of five characters: the lines' lengths, and so where the hours split, are the same for every tag. */
function batch(tag: string) {
  const prefix = `split-faults/${tag}-${crypto.randomUUID().slice(0, 8)}/`
  const rays: string[] = []
  const lines: string[] = []
  for (let i = 0; i < LINES; i++) {
    rays.push(`${tag}-${i}`)
    const at = new Date(Date.UTC(2031, 2, 1, 9 + (i % HOURS), 0, i % 60)).toISOString()
    lines.push(`{"RayID":"${tag}-${i}","EdgeStartTimestamp":"${at}","ClientIP":"192.0.2.${i % 250}","ClientRequestURI":"/p/${i}"}`)
  }
  // S3_PART_BYTES=4096 (the local server takes it): a 20 KiB held-bytes budget, passed many times over.
  const settings = {
    S3_ENDPOINT: inject('faultProxyUrl'),
    S3_PREFIX: prefix,
    S3_PART_BYTES: '4096',
    S3_REQUEST_TIMEOUT_MS: '300',
    S3_RETRY_BASE_DELAY_MS: '10',
  }
  return { prefix, rays, body: bytes(`${lines.join('\n')}\n`), settings }
}

async function send(b: ReturnType<typeof batch>): Promise<{ status: number; text: string }> {
  const req = new Request('http://worker/logpush/http_requests', { method: 'POST', body: b.body, headers: { Authorization: 'Bearer dev-token' } })
  const res = await app.fetch(req, { ...env, ...b.settings } as unknown as Env)
  return { status: res.status, text: await res.text() }
}

async function expectEveryEventOnce(b: ReturnType<typeof batch>, ack: Ack): Promise<void> {
  expect(await bucket.listKeys(b.prefix)).toEqual([...ack.keys].sort())
  expect(ack.keys.filter((k) => /-\d+\.json\.gz$/.test(k)).length, 'hours written as several objects').toBeGreaterThan(HOURS)
  const stored = (await Promise.all(ack.keys.map(readObjectLines))).flat().map((e) => String(e.RayID))
  expect(stored.sort()).toEqual([...b.rays].sort())
}

describe('faults on hours written as several objects', () => {
  it('PutObject of a -<n> object × 500, 3 in a row: 200, the keys of a clean run, every event once', async () => {
    const clean = batch('clean')
    const first = await send(clean)
    expect(first.status, first.text).toBe(200)
    const cleanAck = JSON.parse(first.text) as Ack

    const b = batch('trans')
    // The third store request of the batch and the two after it: an early -<n> object's retries.
    const fault = `${b.prefix}logs/`
    await injectFault({ match: fault, method: 'PUT', mode: 'status', status: 500, code: 'InternalError', skip: 2, count: 3 })
    const sent = await send(b)
    await clearFaults(fault, 'PUT')
    expect(sent.status, sent.text).toBe(200)
    const ack = JSON.parse(sent.text) as Ack
    expect(ack.keys.map((k) => k.slice(b.prefix.length).replace(/[0-9a-f]{32}/, 'ID'))).toEqual(
      cleanAck.keys.map((k) => k.slice(clean.prefix.length).replace(/[0-9a-f]{32}/, 'ID')),
    )
    expect((await faultStats(fault, 'PUT')).faulted).toBe(3)
    await expectEveryEventOnce(b, ack)
  })

  it('PutObject of a -<n> object always: 503, the objects stored before it removed; re-sent: stored once, then a duplicate', async () => {
    const b = batch('persi')
    const fault = `${b.prefix}logs/`
    // Let the first stores through, so that some of the batch is stored when the fault hits.
    await injectFault({ match: fault, method: 'PUT', mode: 'status', status: 500, code: 'InternalError', skip: 3, count: 1_000 })
    const failed = await send(b)
    await clearFaults(fault, 'PUT')
    expect(failed.status, failed.text).toBe(503)
    expect(JSON.parse(failed.text)).toMatchObject({ error: 'storage_unavailable' })
    expect(await bucket.listKeys(b.prefix), 'nothing of the failed batch stays').toEqual([])

    const again = await send(b)
    expect(again.status, again.text).toBe(200)
    const ack = JSON.parse(again.text) as Ack
    expect(ack).toMatchObject({ events: LINES, written: LINES, duplicate: false })
    await expectEveryEventOnce(b, ack)
    const once = await send(b)
    expect(JSON.parse(once.text)).toMatchObject({ duplicate: true, keys: ack.keys })
    await expectEveryEventOnce(b, ack)
  })
})
