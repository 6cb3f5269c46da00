import { env, SELF } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import app from '../../src/index'
import type { DatasetStats } from '../../src/counters/client'
import type { BatchResult } from '../../src/ingest/batch'
import { knownDatasets, schemas } from '../../src/schema/registry'
import { bucket, keysOfBatch, linesIn, SINKS, type SinkName, type Store, stores } from '../helpers/bucket'
import { FailingBucket } from '../helpers/failing-bucket'
import { fixture, FORMATS } from '../helpers/fixtures'
import { bytes, gzip, incompressibleText } from '../helpers/streams'
import { faultStats, uniquePrefix, watch } from '../storage/helpers'

const TOKEN = 'dev-token'

/** The acknowledgement body of POST /logpush/:dataset. */
type Ack = Pick<BatchResult, 'batchId' | 'dataset' | 'logType' | 'events' | 'written' | 'quarantined' | 'objects' | 'keys' | 'duplicate'>

function post(dataset: string, body: BodyInit | null, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`http://worker/logpush/${dataset}`, {
    method: 'POST',
    body,
    headers: { Authorization: `Bearer ${TOKEN}`, ...headers },
  })
}

/**
 * Through the same app, with some settings changed (limits, a broken store, another sink).
 * SELF.fetch runs with the project's bindings (SINK=s3); a changed env is a new env object,
 * so the Worker reads its settings afresh from it.
 */
function postWithEnv(overrides: Record<string, unknown>, dataset: string, body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  const req = new Request(`http://worker/logpush/${dataset}`, { method: 'POST', body, headers: { Authorization: `Bearer ${TOKEN}`, ...headers } })
  return Promise.resolve(app.fetch(req, { ...env, ...overrides } as unknown as Env))
}

/** POST to the sink's Worker: the project's own (SELF) for S3, the same app with SINK=r2 for R2. */
function postTo(store: Store, dataset: string, body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  return store.sink === 's3' ? post(dataset, body, headers) : postWithEnv(store.settings, dataset, body, headers)
}

/** A request to the Logpush route whose body is a stream: it has a Content-Length only if `headers` give one. */
function logpushRequest(dataset: string, body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Request {
  return new Request(`http://worker/logpush/${dataset}`, { method: 'POST', body, headers: { Authorization: `Bearer ${TOKEN}`, ...headers } })
}

/** `piece` `times` over, as a stream made only as it is read; `pulled()` counts the pieces taken. */
function pieces(piece: Uint8Array, times: number) {
  let pulled = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled === times) return controller.close()
        pulled++
        controller.enqueue(piece.slice())
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, size: piece.byteLength, pulled: () => pulled }
}

async function datasetStats(dataset: string): Promise<DatasetStats> {
  const res = await SELF.fetch(`http://worker/stats/${dataset}`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  return (await res.json()) as DatasetStats
}

// Every dataset of the manifest, each with one of its fixtures (the timestamp formats in turn).
const datasets = knownDatasets().map((dataset, i) => {
  const { table, logType } = schemas().get(dataset)!
  return { dataset, table, logType, text: fixture(`${dataset}.${FORMATS[i % FORMATS.length]}.ndjson`) }
})

// The counters are one per dataset, whichever the sink: the same body sent to both would be a
// duplicate the second time. A blank line more makes another batch id for the same events.
const sinkTail = (sink: SinkName) => (sink === 's3' ? '\n' : '\n\n')

describe.each(SINKS)('SINK=%s: POST /logpush/:dataset writes what it acknowledges', (sink) => {
  const store = stores[sink]
  for (const { dataset, table, logType, text } of datasets) {
    for (const encoding of ['gzip', 'plain'] as const) {
      it(`${dataset}, ${encoding}: every fixture line lands in the store, enriched`, async () => {
        const body = bytes(`${text.trim()}${sinkTail(sink)}`)
        const sent = encoding === 'gzip' ? await gzip(body) : body
        // Logpush may label gzip wrongly: the magic bytes decide, not Content-Type.
        const res = await postTo(store, dataset, sent, { 'Content-Type': 'text/plain' })
        expect(res.status).toBe(200)
        const ack = (await res.json()) as Ack
        const lines = text.trim().split('\n').length
        expect(ack).toMatchObject({ dataset, logType, events: lines, written: lines, quarantined: 0, duplicate: false })
        expect(ack.batchId).toMatch(/^[0-9a-f]{32}$/)
        expect(ack.objects).toBe(ack.keys.length)
        expect(await keysOfBatch(ack.batchId, store)).toEqual(ack.keys)
        for (const key of ack.keys)
          expect(key).toMatch(new RegExp(`^logs/${table}/year=\\d{4}/month=\\d\\d/day=\\d\\d/hour=\\d\\d/${ack.batchId}\\.json\\.gz$`))
        const objects = await Promise.all(ack.keys.map((key) => store.read(key)))
        for (const object of objects) expect(object).toMatchObject({ contentType: 'application/x-ndjson', contentEncoding: 'gzip' })
        const events = (await Promise.all(ack.keys.map(linesIn(store)))).flat()
        expect(events).toHaveLength(lines)
        for (const e of events) {
          expect(e.p_log_type).toBe(logType)
          expect(e.p_source_id).toBe('logpush-edge')
          expect(e.p_row_id).toMatch(new RegExp(`^${ack.batchId.slice(0, 24)}[0-9a-f]{8}$`))
          expect(String(e.p_event_time)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$/)
        }
      })
    }
  }
})

const hourA = '{"ClientIP":"192.0.2.1","ClientRequestHost":"a.example.com","EdgeStartTimestamp":"2026-11-25T09:59:59.5Z","RayID":"8c1"}'
const hourB = '{"ClientIP":"2001:DB8::1","ClientRequestHost":"b.example.com","EdgeStartTimestamp":1795600800000000000,"RayID":"8c2"}'

const MiB = 1024 * 1024
const SPOOL_TEST_BYTES = 256 * 1024
// R2's smallest part, Miniflare's too; the local S3 server takes less, but the suite is the same.
const PART_BYTES = 5 * MiB

describe.each(SINKS)('SINK=%s: partitions, retries, quarantine and large batches', (sink) => {
  const store = stores[sink]
  const lines = linesIn(store)
  // RayIDs per sink: the counters, shared by both sinks, must see two batches.
  const tagged = (line: string) => line.replace(/"RayID":"([^"]+)"/, `"RayID":"$1-${sink}"`)

  it('writes a batch spanning two hours as two objects, one per hour', async () => {
    const res = await postTo(store, 'http_requests', await gzip(bytes(`${tagged(hourA)}\n${tagged(hourB)}\n`)))
    const ack = (await res.json()) as Ack
    expect(ack.keys).toEqual([
      `logs/cloudflare_httprequest/year=2026/month=11/day=25/hour=09/${ack.batchId}.json.gz`,
      `logs/cloudflare_httprequest/year=2026/month=11/day=25/hour=10/${ack.batchId}.json.gz`,
    ])
    expect(await keysOfBatch(ack.batchId, store)).toEqual(ack.keys)
    const [nine, ten] = await Promise.all(ack.keys.map(lines))
    expect(nine!.map((e) => e.p_event_time)).toEqual(['2026-11-25 09:59:59.500000000'])
    expect(ten!.map((e) => e.p_event_time)).toEqual(['2026-11-25 10:00:00.000000000'])
    expect(ten![0]!.p_any_ip_addresses).toEqual(['2001:db8::1'])
  })

  it('a retried batch produces the same keys and no duplicate events', async () => {
    const body = await gzip(bytes(`${tagged(hourA.replace('8c1', 'retry-1'))}\n${tagged(hourB.replace('8c2', 'retry-2'))}\n`))
    const first = (await (await postTo(store, 'http_requests', body)).json()) as Ack
    const stored = (await Promise.all(first.keys.map(lines))).flat()
    const again = (await (await postTo(store, 'http_requests', body)).json()) as Ack
    expect(again.batchId).toBe(first.batchId)
    expect(again.keys).toEqual(first.keys)
    // The counters saw this batch id before: the answer says so, and nothing is counted twice.
    expect([first.duplicate, again.duplicate]).toEqual([false, true])
    expect(await keysOfBatch(first.batchId, store)).toEqual(first.keys)
    const events = (await Promise.all(first.keys.map(lines))).flat()
    expect(events.map((e) => e.RayID).sort()).toEqual([`retry-1-${sink}`, `retry-2-${sink}`])
    expect(new Set(events.map((e) => e.p_row_id)).size).toBe(2)
    // The same events, row ids included; only p_parse_time, the arrival time, moved.
    const withoutParseTime = (list: Record<string, unknown>[]) => list.map(({ p_parse_time: _, ...event }) => event)
    expect(withoutParseTime(events)).toEqual(withoutParseTime(stored))
  })

  it('quarantines bad lines with their reason and writes the rest', async () => {
    const batch = [
      tagged('{"RayID":"q-good","EdgeStartTimestamp":"2026-11-25T08:00:00Z"}'),
      'not json at all',
      tagged('{"RayID":"q-no-time"}'),
      '{"RayID":"q-bad-int","EdgeStartTimestamp":"2026-11-25T08:00:00Z","EdgeResponseStatus":"99999"}',
      '',
      '[1,2]',
    ]
    const res = await postTo(store, 'http_requests', bytes(batch.join('\r\n')))
    const ack = (await res.json()) as Ack
    expect(ack).toMatchObject({ events: 5, written: 1, quarantined: 4, objects: 2 })
    const qKey = ack.keys.find((k) => k.startsWith('quarantine/'))!
    expect(qKey).toMatch(new RegExp(`^quarantine/http_requests/year=\\d{4}/month=\\d\\d/day=\\d\\d/${ack.batchId}\\.json\\.gz$`))
    const quarantined = (await lines(qKey)) as { reason: string; line: number; raw: string }[]
    expect(quarantined.map((q) => q.line)).toEqual([2, 3, 4, 6])
    expect(quarantined[0]!.reason).toMatch(/^not valid JSON/)
    expect(quarantined[1]!.reason).toBe('EdgeStartTimestamp: required field is missing')
    expect(quarantined[2]!.reason).toBe('EdgeResponseStatus: expected smallint, got "99999"')
    expect(quarantined[3]!.reason).toBe('expected a JSON object, got an array')
    expect(quarantined[1]!.raw).toBe(tagged('{"RayID":"q-no-time"}'))
  })

  it('503 when the store cannot take the batch, so Logpush retries; counted only as a failure', async () => {
    // S3: an endpoint where nothing listens. R2 cannot be made to fail on demand: a double of
    // the binding fails every put (test/helpers/failing-bucket.ts).
    const broken =
      sink === 's3'
        ? { S3_ENDPOINT: 'http://127.0.0.1:1' }
        : { ...store.settings, S3_RETRY_BASE_DELAY_MS: '10', LOGS_BUCKET: new FailingBucket(env.LOGS_BUCKET).fail({ call: 'put' }).binding }
    const before = await datasetStats('spectrum_events')
    const res = await postWithEnv(broken, 'spectrum_events', bytes(`{"Timestamp":"2026-11-25T10:00:00Z","sink":"${sink}"}\n`))
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
    const body = await res.text()
    expect(JSON.parse(body)).toMatchObject({ error: 'storage_unavailable' })
    expect(body).not.toContain('local-secret')
    const after = await datasetStats('spectrum_events')
    expect(after.failuresByReason.storage_unavailable).toBe((before.failuresByReason.storage_unavailable ?? 0) + 1)
    expect([after.batches, after.events, after.written]).toEqual([before.batches, before.events, before.written])
  })

  it('stages a body over SPOOL_MEMORY_BYTES in the bucket, streams it back, and removes the staged copy', async () => {
    // High-entropy fields keep the gzip large enough to be staged.
    const events: string[] = []
    const hex = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('')
    for (let i = 0; i < 20_000; i++) {
      events.push(
        `{"RayID":"big-${i}","EdgeStartTimestamp":${1795600800 + (i % 3000)},"ClientIP":"10.${i & 255}.${(i >> 8) & 255}.1","ClientRequestURI":"/${hex()}"}`,
      )
    }
    const body = await gzip(bytes(`${events.join('\n')}\n`))
    expect(body.byteLength).toBeGreaterThan(SPOOL_TEST_BYTES * 1.5)
    const res = await postWithEnv({ ...store.settings, SPOOL_MEMORY_BYTES: String(SPOOL_TEST_BYTES) }, 'http_requests', body)
    expect(res.status).toBe(200)
    const ack = (await res.json()) as Ack
    expect(ack).toMatchObject({ events: 20_000, written: 20_000, quarantined: 0, objects: 1 })
    const stored = await lines(ack.keys[0]!)
    expect(stored).toHaveLength(20_000)
    expect(stored[19_999]!.RayID).toBe('big-19999')
    // The staged copy of the body is gone once the batch is stored.
    expect(await store.listKeys('staging/')).toEqual([])
  }, 60_000)

  it('writes an object past the part size as a multipart upload of equal parts', async () => {
    // 8 MiB of base64 in one hour, about 6 MiB of gzip: a 5 MiB part and the rest.
    const events = Array.from(
      { length: 80 },
      (_, i) => `{"RayID":"mp-${sink}-${i}","EdgeStartTimestamp":"2026-11-25T11:00:00Z","ClientRequestURI":"/${incompressibleText(MiB / 10)}"}`,
    )
    const body = await gzip(bytes(`${events.join('\n')}\n`))
    // The parts are counted on the way: by the fault proxy in front of the S3 server (no fault),
    // or by the R2 binding's double (no fault either).
    const prefix = uniquePrefix(`multipart-${sink}`)
    const counting = new FailingBucket(env.LOGS_BUCKET)
    const route = sink === 's3' ? { S3_ENDPOINT: inject('faultProxyUrl') } : { LOGS_BUCKET: counting.binding }
    if (sink === 's3') await watch(`${prefix}logs/`, 'PUT')
    const res = await postWithEnv({ ...store.settings, ...route, S3_PREFIX: prefix, S3_PART_BYTES: String(PART_BYTES) }, 'http_requests', body)
    expect(res.status).toBe(200)
    const ack = (await res.json()) as Ack
    expect(ack).toMatchObject({ events: 80, written: 80, objects: 1 })
    const parts = sink === 's3' ? (await faultStats(`${prefix}logs/`, 'PUT')).seen : (counting.seen.uploadPart ?? 0) + (counting.seen.put ?? 0)
    expect(parts).toBe(2)
    const object = (await store.read(ack.keys[0]!))!
    expect(object.bytes.byteLength).toBeGreaterThan(PART_BYTES)
    expect(object.bytes.byteLength).toBeLessThan(2 * PART_BYTES)
    expect((await lines(ack.keys[0]!)).map((e) => e.RayID)).toEqual(events.map((e) => JSON.parse(e).RayID))
  }, 60_000)
})

describe('answers other than 200, before any storage', () => {
  it("answers Logpush's destination check with validation: true and writes nothing", async () => {
    // A prefix of its own: listing it shows everything this request left, whatever runs beside it.
    const prefix = uniquePrefix('destination-check')
    const before = await datasetStats('http_requests')
    const res = await postWithEnv({ S3_PREFIX: prefix }, 'http_requests', await gzip(bytes('{"content":"tests"}')))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ validation: true })
    expect(await bucket.listKeys(prefix), 'logs/, quarantine/ or staging/ objects').toEqual([])
    const after = await datasetStats('http_requests')
    expect(after.validations).toBe(before.validations + 1)
    expect([after.batches, after.events]).toEqual([before.batches, before.events])
    // The listing would see a write: a real batch under the same prefix lands there.
    const real = await postWithEnv({ S3_PREFIX: prefix }, 'http_requests', bytes(`${hourA.replace('8c1', 'after-check')}\n`))
    const ack = (await real.json()) as Ack
    expect(ack.keys).toEqual([expect.stringMatching(new RegExp(`^${prefix}logs/cloudflare_httprequest/`))])
    expect(await bucket.listKeys(prefix)).toEqual(ack.keys)
  })

  it('401 without the bearer token, with a wrong one, or with another scheme', async () => {
    for (const headers of [{ Authorization: '' }, { Authorization: 'Bearer wrong-token' }, { Authorization: `Basic ${btoa(`x:${TOKEN}`)}` }]) {
      const res = await SELF.fetch('http://worker/logpush/http_requests', { method: 'POST', body: hourA, headers })
      expect(res.status).toBe(401)
      const body = (await res.json()) as { error: string; detail: string }
      expect(body.error).toBe('unauthorized')
      expect(JSON.stringify(body)).not.toContain(TOKEN)
    }
  })

  it('404 for an unknown dataset, listing the known ones', async () => {
    const res = await post('not_a_dataset', bytes(hourA))
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: 'unknown_dataset', datasets: knownDatasets() })
  })

  it('400 for a body that is not valid gzip or not UTF-8', async () => {
    const good = await gzip(bytes(`${hourA}\n`))
    const truncated = good.slice(0, good.byteLength - 12)
    const res = await post('http_requests', truncated)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'undecodable_body' })
    const latin1 = new Uint8Array([...bytes('{"RayID":"caf'), 0xe9, ...bytes('","EdgeStartTimestamp":1}\n')])
    const res2 = await post('http_requests', latin1)
    expect(res2.status).toBe(400)
    expect(((await res2.json()) as { detail: string }).detail).toMatch(/UTF-8/)
  })

  it('415 for CSV output, saying NDJSON is required', async () => {
    const res = await post('http_requests', bytes('ClientIP,RayID\n192.0.2.1,abc\n'))
    expect(res.status).toBe(415)
    expect(((await res.json()) as { detail: string }).detail).toMatch(/NDJSON is required/)
  })

  it('413 over MAX_BODY_BYTES declared in Content-Length, before the body is read, writing nothing', async () => {
    const prefix = uniquePrefix('413-declared')
    // One line a piece: read as a stream, the cap would be passed only at the eighth.
    const body = pieces(bytes(`${hourA}\n`), 100)
    const req = logpushRequest('http_requests', body.stream, { 'Content-Length': String(100 * body.size) })
    expect(req.headers.get('content-length'), 'the length the Worker sees').toBe(String(100 * body.size))
    const res = await app.fetch(req, { ...env, MAX_BODY_BYTES: '1000', S3_PREFIX: prefix })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ error: 'body_too_large', detail: expect.stringMatching(/MAX_BODY_BYTES/) })
    expect(body.pulled()).toBeLessThan(3)
    expect(await bucket.listKeys(prefix)).toEqual([])
  })

  it('413 over MAX_BODY_BYTES while streaming a body with no Content-Length, writing nothing', async () => {
    const prefix = uniquePrefix('413-streamed')
    // 64 KiB pieces, 64 MiB on offer. Past SPOOL_MEMORY_BYTES the body is being staged in the
    // bucket, in 64 KiB parts, when the cap hits: the staged upload must not become an object.
    const body = pieces(bytes(`${hourA}\n`.repeat(600)).slice(0, 64 * 1024), 1024)
    const req = logpushRequest('http_requests', body.stream)
    expect(req.headers.get('content-length'), 'a stream has no length to declare').toBeNull()
    const limits = { MAX_BODY_BYTES: String(256 * 1024), SPOOL_MEMORY_BYTES: String(64 * 1024), S3_PART_BYTES: String(64 * 1024) }
    const res = await app.fetch(req, { ...env, ...limits, S3_PREFIX: prefix })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ error: 'body_too_large', detail: expect.stringMatching(/MAX_BODY_BYTES/) })
    // 256 KiB is four pieces: read just past the cap, never to the end.
    expect(body.pulled()).toBeLessThan(10)
    expect(await bucket.listKeys(prefix), 'logs/, quarantine/ or staging/ objects').toEqual([])
  })

  it('413 for a gzip bomb over MAX_DECOMPRESSED_BYTES, stopped while streaming, writing nothing', async () => {
    const prefix = uniquePrefix('413-bomb')
    const bomb = await gzip(new Uint8Array(32 * 1024 * 1024).fill(0x20))
    expect(bomb.byteLength).toBeLessThan(100 * 1024)
    // Streamed with no Content-Length, and staged (over SPOOL_MEMORY_BYTES) before it is inflated.
    const body = pieces(bomb, 1)
    const req = logpushRequest('http_requests', body.stream)
    expect(req.headers.get('content-length'), 'a stream has no length to declare').toBeNull()
    const res = await app.fetch(req, { ...env, MAX_DECOMPRESSED_BYTES: String(1024 * 1024), SPOOL_MEMORY_BYTES: String(8 * 1024), S3_PREFIX: prefix })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { detail: string }).detail).toMatch(/MAX_DECOMPRESSED_BYTES/)
    expect(body.pulled()).toBe(1)
    expect(await bucket.listKeys(prefix), 'logs/, quarantine/ or staging/ objects').toEqual([])
  })

  it('GET /healthz names a missing or bad setting, never a value', async () => {
    const ok = await SELF.fetch('http://worker/healthz')
    expect(ok.status).toBe(200)
    const broken = await app.fetch(new Request('http://worker/healthz'), { ...env, S3_ENDPOINT: undefined, MAX_LINE_BYTES: 'lots' } as unknown as Env)
    expect(broken.status).toBe(503)
    const body = await broken.text()
    expect(JSON.parse(body)).toMatchObject({ ok: false, error: 'misconfigured' })
    expect(body).toContain('S3_ENDPOINT')
    expect(body).toContain('MAX_LINE_BYTES')
    expect(body).not.toContain('local-secret')
    expect(body).not.toContain('dev-token')
  })

  it('GET /healthz warns while the status page shares the ingest token, and not once STATS_TOKEN is set', async () => {
    const shared = (await (await SELF.fetch('http://worker/healthz')).json()) as { ok: boolean; warnings?: string[] }
    expect(shared.ok).toBe(true)
    expect(shared.warnings).toEqual([expect.stringMatching(/^STATS_TOKEN is not set/)])
    const separate = await app.fetch(new Request('http://worker/healthz'), { ...env, STATS_TOKEN: 'stats-token-0123' } as unknown as Env)
    const body = await separate.text()
    expect(JSON.parse(body)).toEqual({ ok: true, datasets: expect.any(Array) })
    expect(body).not.toContain('stats-token-0123')
  })
})
