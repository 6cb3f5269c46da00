#!/usr/bin/env node
// `npm run loadtest`: a bounded load test on loopback. Starts its own local stack (the S3 server
// and `wrangler dev`, on free ports of 127.0.0.1, data in a temp folder), runs N concurrent
// pushers posting realistic gzip Logpush batches for a fixed time, stops by itself, then reads
// the whole bucket back and checks that every acknowledged event is stored exactly once.
//
//   npm run loadtest -- [--concurrency 50] [--duration 60] [--lines 100] [--timeout 60]
//
// --lines: events per batch (the fixtures' lines, cycled); --timeout: seconds one request may take.
//
// Prints throughput, latency percentiles and errors by status, then one JSON line (the last line
// of the output). Exits 1 when an acknowledged event is missing or stored twice.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { ACCESS_KEY_ID, BUCKET, SECRET_ACCESS_KEY, startS3Server } from './s3-server.mjs'
import { buildManifestFiles } from './build-manifest.mjs'
import { freePort } from './free-port.mjs'
import { FORMATS } from './schema-events.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const HOST = '127.0.0.1'
const TOKEN = 'dev-token'
const READY_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 10_000
const READ_CONCURRENCY = 16
/**
 * Realistic batches: the generated fixtures of every dataset of the manifest, the timestamp formats
 * in turn, and http_requests' two-hour batch (two partitions). http_requests first: the warm-up.
 */
function fixtureFiles(manifest) {
  const datasets = Object.keys(manifest.datasets).sort((a, b) => (a === 'http_requests' ? -1 : b === 'http_requests' ? 1 : 0))
  const files = datasets.map((dataset, i) => [dataset, `${dataset}.${FORMATS[i % FORMATS.length]}.ndjson`])
  if ('http_requests' in manifest.datasets) files.push(['http_requests', 'http_requests.two-hours.ndjson'])
  return files
}
// An unknown field (kept as it came) that names each event: run, pusher, batch, line.
const ID_FIELD = 'LoadtestEventID'

function parseArgs(argv) {
  const opts = { concurrency: 50, duration: 60, lines: 100, timeout: 60 }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2)
    const value = inline ?? argv[++i]
    const n = Number(value)
    if (!['--concurrency', '--duration', '--lines', '--timeout'].includes(flag))
      throw new Error(`unknown option ${flag} (known: --concurrency, --duration, --lines, --timeout)`)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`)
    opts[flag.slice(2)] = n
  }
  // Bounded: this is a test, not a tool to point at anything.
  if (opts.concurrency > 500 || opts.duration > 1800 || opts.lines > 100_000) throw new Error('at most --concurrency 500, --duration 1800, --lines 100000')
  return opts
}

/** The local dev settings (as `npm start` passes them), pointed at this run's S3 server. */
function devVars(s3Url) {
  const vars = {}
  for (const line of readFileSync(path.join(ROOT, '.dev.vars.example'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m && m[2] !== '') vars[m[1]] = m[2]
  }
  return { ...vars, S3_ENDPOINT: s3Url, INGEST_TOKEN: TOKEN }
}

async function startWorker(s3Url, dir) {
  const port = await freePort()
  const inspectorPort = await freePort()
  const log = createWriteStream(path.join(dir, 'wrangler.log'))
  const args = [
    path.join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
    'dev',
    '--ip',
    HOST,
    '--port',
    String(port),
    '--inspector-ip',
    HOST,
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    path.join(dir, 'wrangler-state'),
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
    ...Object.entries(devVars(s3Url)).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ]
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } })
  child.stdout.pipe(log)
  child.stderr.pipe(log)
  const exited = once(child, 'exit')
  const url = `http://${HOST}:${port}`
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}); see ${path.join(dir, 'wrangler.log')}`)
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
      if (res.ok) break
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`wrangler dev not ready within ${READY_TIMEOUT_MS / 1000} s`)
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  return {
    url,
    logFile: path.join(dir, 'wrangler.log'),
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    },
  }
}

/** A batch made unique by an id in every event, so that every request has its own batch id. */
function makeBatch(fixture, id) {
  const body = fixture.lines.map((l, i) => `{"${ID_FIELD}":"${id}:${i + 1}",${l.slice(1)}`).join('\n') + '\n'
  return { body: gzipSync(body), ids: fixture.lines.map((_, i) => `${id}:${i + 1}`) }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

async function push(url, opts, fixtures, runId) {
  const acked = [] // { batchId, keys, ids, written }
  const latencies = []
  const statuses = {}
  const errors = {}
  let sent = 0
  let unacked = 0
  const endAt = Date.now() + opts.duration * 1000
  async function pusher(n) {
    for (let seq = 0; Date.now() < endAt; seq++) {
      const fixture = fixtures[(n + seq) % fixtures.length]
      const { body, ids } = makeBatch(fixture, `${runId}:${n}:${seq}`)
      const started = performance.now()
      sent++
      let status
      try {
        const res = await fetch(`${url}/logpush/${fixture.dataset}`, {
          method: 'POST',
          body,
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
          signal: AbortSignal.timeout(opts.timeout * 1000),
        })
        const text = await res.text()
        status = String(res.status)
        if (res.status === 200) {
          latencies.push(performance.now() - started)
          const ack = JSON.parse(text)
          acked.push({ batchId: ack.batchId, keys: ack.keys, ids, written: ack.written, quarantined: ack.quarantined, duplicate: ack.duplicate })
        } else {
          unacked++
          errors[status] ??= text.slice(0, 200)
        }
      } catch (err) {
        status = err.name === 'TimeoutError' ? 'timeout' : `fetch_error`
        errors[status] ??= String(err).slice(0, 200)
        unacked++
      }
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: opts.concurrency }, (_, n) => pusher(n)))
  return { acked, latencies, statuses, errors, sent, unacked, seconds: (performance.now() - started) / 1000 }
}

/** Every event in the bucket, by id, read through the S3 API. */
async function readBucket(s3Url) {
  const client = new S3Client({
    endpoint: s3Url,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  })
  const keys = []
  let token
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }))
    for (const o of page.Contents ?? []) keys.push(o.Key)
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  const byId = new Map()
  const byRowId = new Map()
  const other = []
  let next = 0
  async function reader() {
    while (next < keys.length) {
      const key = keys[next++]
      if (!key.startsWith('logs/')) {
        other.push(key)
        continue
      }
      const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      const text = gunzipSync(Buffer.from(await res.Body.transformToByteArray())).toString('utf8')
      for (const line of text.split('\n')) {
        if (line === '') continue
        const e = JSON.parse(line)
        byId.set(e[ID_FIELD], (byId.get(e[ID_FIELD]) ?? 0) + 1)
        byRowId.set(e.p_row_id, (byRowId.get(e.p_row_id) ?? 0) + 1)
      }
    }
  }
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, reader))
  client.destroy()
  return { objects: keys.length, byId, byRowId, other }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const runId = Date.now().toString(36)
  // wrangler dev rebuilds the manifest too; here first, so that the batches cover every dataset it serves.
  const { manifest } = await buildManifestFiles()
  const fixtures = await Promise.all(
    fixtureFiles(manifest).map(async ([dataset, file]) => {
      const lines = (await readFile(path.join(ROOT, 'fixtures', file), 'utf8')).split('\n').filter((l) => l !== '')
      return { dataset, file, lines: Array.from({ length: opts.lines }, (_, i) => lines[i % lines.length]) }
    }),
  )
  const dir = await mkdtemp(path.join(tmpdir(), 'logpush-edge-loadtest-'))
  let s3
  let worker
  const cleanup = async () => {
    await worker?.stop().catch(() => {})
    await s3?.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  // A hard stop whatever happens: the run, the drain and the read-back are all bounded.
  const hardStop = setTimeout(
    async () => {
      console.error('loadtest: hard time limit reached, stopping')
      await cleanup()
      process.exit(2)
    },
    (opts.duration + opts.timeout + 300) * 1000,
  )
  hardStop.unref()
  process.once('SIGINT', async () => {
    await cleanup()
    process.exit(130)
  })

  try {
    s3 = await startS3Server({ host: HOST, port: await freePort(), directory: path.join(dir, 's3'), silent: true })
    worker = await startWorker(s3.url, dir)
    console.log(`loadtest: worker ${worker.url}, S3 ${s3.url}, ${opts.concurrency} pushers for ${opts.duration} s, ${opts.lines} events per gzip batch`)
    console.log(`batches of ${fixtures.length} fixtures: ${fixtures.map((f) => f.file).join(', ')}`)
    // One warm-up request so that the first batches do not measure the module load.
    const warm = makeBatch(fixtures[0], `${runId}:warmup`)
    const warmRes = await fetch(`${worker.url}/logpush/${fixtures[0].dataset}`, {
      method: 'POST',
      body: warm.body,
      headers: { Authorization: `Bearer ${TOKEN}` },
    })
    if (warmRes.status !== 200) throw new Error(`warm-up answered ${warmRes.status}: ${await warmRes.text()}`)
    const warmAck = await warmRes.json()

    const run = await push(worker.url, opts, fixtures, runId)
    const verifyStart = performance.now()
    const stored = await readBucket(s3.url)
    const verifySeconds = (performance.now() - verifyStart) / 1000

    // Every acknowledged event exactly once; a batch that was not acknowledged may or may not be there.
    const ackedIds = [...warm.ids]
    let ackedEvents = 0
    let ackMismatch = warmAck.written === warm.ids.length ? 0 : 1
    for (const a of run.acked) {
      ackedEvents += a.written
      if (a.written !== a.ids.length || a.quarantined !== 0 || a.duplicate) ackMismatch++
      ackedIds.push(...a.ids)
    }
    let missing = 0
    let duplicated = 0
    for (const id of ackedIds) {
      const n = stored.byId.get(id) ?? 0
      if (n === 0) missing++
      else if (n > 1) duplicated++
    }
    const ackedSet = new Set(ackedIds)
    const storedEvents = [...stored.byId.values()].reduce((a, b) => a + b, 0)
    const unackedStored = [...stored.byId.keys()].filter((id) => !ackedSet.has(id)).length
    const rowIdDuplicates = [...stored.byRowId.values()].filter((n) => n > 1).length
    const lat = [...run.latencies].sort((a, b) => a - b)
    const result = {
      concurrency: opts.concurrency,
      linesPerBatch: opts.lines,
      durationSeconds: Number(run.seconds.toFixed(1)),
      batchesSent: run.sent,
      batchesAcked: run.acked.length,
      batchesPerSecond: Number((run.acked.length / run.seconds).toFixed(1)),
      eventsAcked: ackedEvents,
      eventsPerSecond: Math.round(ackedEvents / run.seconds),
      latencyMs: { p50: Math.round(percentile(lat, 50)), p99: Math.round(percentile(lat, 99)), max: Math.round(lat.at(-1) ?? 0) },
      statuses: run.statuses,
      errors: run.unacked,
      objects: stored.objects,
      nonLogObjects: stored.other.length,
      storedEvents,
      missing,
      duplicated,
      rowIdDuplicates,
      unackedStored,
      ackMismatch,
      verifySeconds: Number(verifySeconds.toFixed(1)),
      ok: missing === 0 && duplicated === 0 && rowIdDuplicates === 0 && ackMismatch === 0 && run.acked.length > 0,
    }
    console.log(
      `sent ${result.batchesSent} batches in ${result.durationSeconds} s, ${result.batchesAcked} acknowledged: ${result.batchesPerSecond} batches/s, ${result.eventsPerSecond} events/s`,
    )
    console.log(`latency of acknowledged batches: p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`)
    console.log(
      `answers by status: ${JSON.stringify(run.statuses)}${Object.keys(run.errors).length ? `; first error of each: ${JSON.stringify(run.errors)}` : ''}`,
    )
    console.log(
      `bucket: ${stored.objects} objects, ${storedEvents} events; of ${ackedIds.length} acknowledged events ${missing} missing, ${duplicated} stored twice; ${unackedStored} unacknowledged events stored; ${rowIdDuplicates} duplicate p_row_id (read back in ${result.verifySeconds} s)`,
    )
    if (stored.other.length) console.log(`other objects (staging, quarantine): ${stored.other.slice(0, 5).join(', ')}${stored.other.length > 5 ? ', ...' : ''}`)
    if (!result.ok) console.log("FAILED: an acknowledged event is missing or stored twice (the Worker's log follows)")
    console.log(JSON.stringify(result))
    process.exitCode = result.ok ? 0 : 1
  } finally {
    if (process.exitCode === 1 && worker) {
      const tail = (await readFile(worker.logFile, 'utf8').catch(() => '')).split('\n').slice(-40).join('\n')
      console.error(`--- last lines of the Worker's log ---\n${tail}`)
    }
    clearTimeout(hardStop)
    await cleanup()
  }
}

await main()
