// npm run bench:workerd-memory [-- --cases=1gib,5000h,control_fetch_5000,1m_tiny,s3_put_1gib] [--quick]
// npm run bench:workerd-memory -- --no-calibration --cases=tp_http_requests,tp_gateway_dns   (throughput)
// npm run bench:workerd-memory -- --no-calibration --cases=1gib --trace-gc   (V8's collections in the isolate, trace in bench/out/)
//
// The Worker's memory while a batch runs through the real runtime: `wrangler dev` (workerd) over
// the local S3 server, as `npm start` runs them, one fresh stack per case. A sampler thread polls
// the isolate through the V8 inspector that wrangler exposes (`Runtime.getHeapUsage`: V8's used
// heap, the ArrayBuffer backing stores, the embedder's C++ heap) and reads the workerd process's
// RSS from /proc, every ~50 ms. Figures are peak minus idle (the isolate after a warm-up batch).
// A calibration first allocates 100 MiB of each kind in the isolate, so that a figure near zero
// is known to be one. Prints a table and, last, one JSON line. It reports; it never fails on a
// threshold. Linux only (/proc).
//
// The tp_<dataset> cases post one of `npm run bench`'s 100k-line batches instead, and report the
// production runtime's events/s and workerd's CPU per 10k events (from /proc) beside the same
// file through the pipeline in Node.

import { spawn } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { createGzip } from 'node:zlib'
import WebSocket from 'ws'
import { BENCHED, ensureDataset, SCHEMA_OF } from './generate.mjs'
import { buildBundle, fileBody, loadPipeline, median, pipeline, timed } from './lib.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT_DIR = join(ROOT, 'bench', 'out')
const MIB = 1024 * 1024
const MB = 1e6
const CLOCK_TICKS_PER_S = 100
const SAMPLE_MS = 50
const IDLE_MS = 1500
const INGEST_TOKEN = 'dev-token'
const PROXY_KEY = { accessKeyId: 'logpush', secretAccessKey: 'logpush-secret' }
/** Origin the inspector proxy of wrangler accepts (it refuses requests without one). */
const INSPECTOR_ORIGIN = 'http://127.0.0.1'
/** Just under MAX_DECOMPRESSED_BYTES (1 GiB, the default): the largest batch the service takes. */
const ONE_GIB_BATCH = '1070MB'
const HOUR_NS = 3_600_000_000_000n
const TINY_START_NS = 1795599000n * 1_000_000_000n // 2026-11-25 09:30:00 UTC
/** S3 multipart part size of the s3_put case (7 parts of the ~102 MB gzip body); Logpush does not say what it uses. */
const S3_PART_BYTES = 16 * MIB

const CASES = {
  '1gib': { about: 'http_requests, ~1 GiB decompressed (gzip ~100 MB), 48 hours', run: (stack) => postCase(stack, oneGibBatch) },
  '5000h': {
    about: '5,000 tiny http_requests events, one an hour over 5,000 hours',
    run: (stack) => postCase(stack, () => tinyBatch('5000h', 5000, (i) => TINY_START_NS + BigInt(i) * HOUR_NS)),
  },
  '1m_tiny': {
    about: '1,000,000 tiny http_requests events over 2 hours',
    run: (stack) => postCase(stack, () => tinyBatch('1m-tiny', 1_000_000, (i) => TINY_START_NS + (BigInt(i) * 2n * HOUR_NS) / 1_000_000n)),
  },
  s3_put_1gib: { about: 'S3 endpoint: multipart PUT of the 1gib batch as Logpush sends it (gzip, ~1 GiB decompressed), 16 MiB parts', run: s3PutCase },
  control_fetch_5000: {
    about: 'control: a Worker of nothing but 5,000 PUTs of 200 bytes (the 5000h case writes 5,000 objects), the runtime per request',
    control: true,
    run: (stack) => controlCase(stack, 5000),
  },
  '100k_tiny': {
    about: '100,000 tiny http_requests events over 2 hours (--quick)',
    run: (stack) => postCase(stack, () => tinyBatch('100k-tiny', 100_000, (i) => TINY_START_NS + (BigInt(i) * 2n * HOUR_NS) / 100_000n)),
  },
}
/**
 * Throughput in the real runtime: the bench's own 100k-line batches, beside Node on the same file,
 * for every dataset `npm run bench` runs by default (a new generator brings its case).
 */
for (const dataset of BENCHED) {
  CASES[`tp_${dataset}`] = {
    about: `${dataset}, the bench's 100k lines: events/s and workerd CPU beside Node's`,
    run: (stack) => throughputCase(stack, dataset),
  }
}
const FULL_CASES = ['1gib', '5000h', 'control_fetch_5000', '1m_tiny', 's3_put_1gib']
const CONTROL_CONFIG = join(ROOT, 'bench', 'control', 'wrangler.toml')
const QUICK_CASES = ['100k_tiny']

const log = (m) => process.stderr.write(`${m}\n`)
const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function parseArgs(argv) {
  const opts = { cases: FULL_CASES, calibration: true }
  for (const a of argv) {
    const [k, v] = a.replace(/^--/, '').split('=')
    if (k === 'quick') opts.cases = QUICK_CASES
    else if (k === 'cases') opts.cases = v ? v.split(',') : []
    else if (k === 'no-calibration') opts.calibration = false
    else if (k === 'output-format') opts.outputFormat = v
    else if (k === 'live') opts.live = true
    else if (k === 'trace-gc') opts.traceGc = true
    else
      throw new Error(
        `unknown option ${a} (known: --cases=${Object.keys(CASES).join(',')}, --quick, --no-calibration, --output-format=parquet|ndjson,parquet, --live, --trace-gc)`,
      )
  }
  for (const c of opts.cases) if (!CASES[c]) throw new Error(`unknown case ${c}; known: ${Object.keys(CASES).join(', ')}`)
  return opts
}

// ---------------------------------------------------------------------------------------------
// Bodies, generated streaming into bench/out/ once

/** A cached gzip NDJSON batch of `{"EdgeStartTimestamp":<unixnano>,"RayID":"<n>"}` lines. */
async function tinyBatch(name, count, timestampNs) {
  const file = join(OUT_DIR, `tiny-${name}.v1.ndjson.gz`)
  if (!existsSync(file)) {
    log(`generating ${file}`)
    const tmp = `${file}.tmp`
    const gz = createGzip({ level: 6 })
    const done = new Promise((resolve, reject) => {
      const sink = gz.pipe(createWriteStream(tmp))
      sink.on('finish', resolve)
      sink.on('error', reject)
      gz.on('error', reject)
    })
    let buf = ''
    for (let i = 0; i < count; i++) {
      buf += `{"EdgeStartTimestamp":${timestampNs(i)},"RayID":"${i.toString(16).padStart(16, '0')}"}\n`
      if (buf.length >= MIB || i === count - 1) {
        if (!gz.write(buf)) await new Promise((resolve) => gz.once('drain', resolve))
        buf = ''
      }
    }
    gz.end()
    await done
    renameSync(tmp, file)
  }
  return { file, dataset: 'http_requests', lines: count }
}

async function oneGibBatch() {
  const { ensureDataset } = await import('./generate.mjs')
  const data = await ensureDataset('http_requests', ONE_GIB_BATCH, log, { spanHours: 48 })
  return { file: data.file, dataset: 'http_requests', lines: data.lines, bytes: data.bytes }
}

// ---------------------------------------------------------------------------------------------
// The stack: local S3 server + wrangler dev with an inspector port

/** The documented local settings, as scripts/start.mjs reads them from .dev.vars.example. */
function localVars(s3Url, outputFormat) {
  const vars = {}
  for (const line of readFileSync(join(ROOT, '.dev.vars.example'), 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (m && m[2] !== '') vars[m[1]] = m[2]
  }
  // The service's own settings, the batch budget included: it counts waits on storage, not the
  // batch's CPU, so a 1 GiB batch needs no more than the default.
  return { ...vars, S3_ENDPOINT: s3Url, ...(outputFormat ? { OUTPUT_FORMAT: outputFormat } : {}) }
}

/** An HTTP server that answers every request 200 once it has read the body: the control's bucket. */
async function startSink() {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { ETag: '"control"' })
      res.end()
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) }
}

/** pid -> { ppid, cmdline } for every process now. */
function processTable() {
  const table = new Map()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean)
      table.set(Number(name), { ppid, cmdline })
    } catch {
      // gone meanwhile
    }
  }
  return table
}

/** The workerd processes under `rootPid`: the one running the Worker (it has the inspector) and wrangler's proxy. */
function findWorkerd(rootPid) {
  const table = processTable()
  const under = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 10; hops++) {
      if (p === rootPid) return true
      p = table.get(p)?.ppid ?? 0
    }
    return false
  }
  const workerds = [...table].filter(([pid, { cmdline }]) => cmdline[0]?.endsWith('/workerd') && under(pid))
  const worker = workerds.find(([, { cmdline }]) => cmdline.some((a) => a.startsWith('--inspector-addr')))
  const proxy = workerds.find(([, { cmdline }]) => !cmdline.some((a) => a.startsWith('--inspector-addr')))
  return { worker: worker?.[0], proxy: proxy?.[0] }
}

/**
 * `outputFormat`: OUTPUT_FORMAT for the Worker (`parquet`, `ndjson,parquet`), the service's default when unset.
 * `gcLog`: a file that receives workerd's own output with V8's --trace-gc lines in it.
 */
async function startStack({ outputFormat, live, gcLog, control }) {
  const { startS3Server } = await import('../scripts/s3-server.mjs')
  const { freePort } = await import('../scripts/free-port.mjs')
  const dir = mkdtempSync(join(tmpdir(), 'logpush-edge-workerd-memory-'))
  const s3 = control ? await startSink() : await startS3Server({ port: await freePort(), directory: join(dir, 's3'), silent: true })
  const port = await freePort()
  const inspectorPort = await freePort()
  const vars = control ? { TARGET: s3.url } : localVars(s3.url, outputFormat)
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])
  const wranglerBin = join(ROOT, 'node_modules/wrangler/bin/wrangler.js')
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), '--persist-to', join(dir, 'state')]
  if (control) args.push('--config', CONTROL_CONFIG)
  // Miniflare hands these to workerd: --expose-gc gives the isolate the gc() that --live calls.
  const v8Flags = [live && '--expose-gc', gcLog && '--trace-gc'].filter(Boolean).join(' ')
  // workerd's stdout, where V8 prints its trace, reaches wrangler's output only at level "log".
  const logLevel = gcLog ? 'log' : 'warn'
  const wrangler = spawn(process.execPath, [wranglerBin, ...args, '--show-interactive-dev-session=false', '--log-level', logLevel, ...varArgs], {
    cwd: ROOT,
    env: v8Flags ? { ...process.env, MINIFLARE_WORKERD_V8_FLAGS: v8Flags } : process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = []
  const gcOut = gcLog && createWriteStream(gcLog)
  const keep = (chunk) => {
    gcOut?.write(chunk)
    output.push(...String(chunk).split('\n').filter(Boolean))
    if (output.length > 200) output.splice(0, output.length - 200)
  }
  wrangler.stdout.on('data', keep)
  wrangler.stderr.on('data', keep)
  const exited = new Promise((resolve) => wrangler.once('exit', resolve))
  let sampler
  const close = async () => {
    await sampler?.close()
    wrangler.kill('SIGINT')
    const timer = setTimeout(() => wrangler.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
    if (gcOut) await new Promise((resolve) => gcOut.end(resolve))
    await s3.close()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const url = `http://127.0.0.1:${port}`
    const ready = Date.now()
    for (;;) {
      if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited (${wrangler.exitCode})`)
      if (Date.now() - ready > 120_000) throw new Error('wrangler dev was not ready within 120 s')
      const status = await fetch(control ? url : `${url}/healthz`).then(
        (r) => r.text().then(() => r.status),
        () => 0,
      )
      if (status === 200) break
      if (status) throw new Error(`GET ${control ? '/' : '/healthz'} answered ${status}`)
      await sleep(300)
    }
    const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { headers: { Origin: INSPECTOR_ORIGIN } })).json()
    const target = targets.find((t) => t.webSocketDebuggerUrl)
    if (!target) throw new Error(`no inspector target: ${JSON.stringify(targets)}`)
    const pids = findWorkerd(wrangler.pid)
    if (!pids.worker) throw new Error('no workerd process with an inspector under wrangler')
    sampler = await startSampler(target.webSocketDebuggerUrl, pids, live)
    return { url, s3Url: s3.url, pids, sampler, output, close }
  } catch (err) {
    log(output.slice(-20).join('\n'))
    await close()
    throw err
  }
}

// ---------------------------------------------------------------------------------------------
// The sampler: its own thread, so that the bench generating and sending a body never delays it

/** Starts the sampler thread; `take()` returns the samples since the last take. */
async function startSampler(wsUrl, pids, live) {
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { wsUrl, pids, live } })
  let next = 0
  const waiting = new Map()
  const failed = new Promise((_, reject) => worker.once('error', reject))
  failed.catch(() => {})
  worker.on('message', (m) => {
    waiting.get(m.id)?.(m)
    waiting.delete(m.id)
  })
  const ask = (message) =>
    Promise.race([
      failed,
      new Promise((resolve) => {
        const id = ++next
        waiting.set(id, resolve)
        worker.postMessage({ ...message, id })
      }),
    ])
  const hello = await ask({ cmd: 'hello' })
  return {
    /** What `Runtime.getHeapUsage` answered first, as workerd returns it. */
    firstReply: hello.firstReply,
    take: async () => (await ask({ cmd: 'take' })).samples,
    evaluate: async (expression) => (await ask({ cmd: 'evaluate', expression })).result,
    close: async () => {
      await ask({ cmd: 'close' })
      await worker.terminate()
    },
  }
}

function rssBytes(pid) {
  if (!pid) return null
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

async function samplerThread({ wsUrl, pids, live }) {
  const ws = new WebSocket(wsUrl, { headers: { Origin: INSPECTOR_ORIGIN } })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let nextId = 0
  const pending = new Map()
  let contextId
  ws.on('message', (data) => {
    const m = JSON.parse(String(data))
    if (m.method === 'Runtime.executionContextCreated') contextId = m.params.context.id
    if (m.id !== undefined && pending.has(m.id)) {
      pending.get(m.id)(m)
      pending.delete(m.id)
    }
  })
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++nextId
      pending.set(id, resolve)
      ws.send(JSON.stringify({ id, method, params }))
    })
  // Runtime.enable announces the Worker's execution context, which Runtime.evaluate needs.
  await call('Runtime.enable')
  const firstReply = (await call('Runtime.getHeapUsage')).result

  let samples = []
  let running = true
  // Heap and RSS in loops of their own: a slow inspector answer must not delay the RSS reading.
  const heapLoop = (async () => {
    while (running) {
      const sent = performance.now()
      // --live: a full collection first, so the sample is what the isolate holds, not garbage
      // V8 has not collected yet (it lets up to 64 MB of dead ArrayBuffers wait for a major GC).
      // Both sent at once, so that the inspector answers them in one go: awaited one by one, a
      // stretch of the batch's JavaScript ran between them and made garbage again.
      const collected = live ? call('Runtime.evaluate', { expression: 'gc(); 1', contextId }) : undefined
      const usage = call('Runtime.getHeapUsage')
      const gcReply = await collected
      if (gcReply?.result?.exceptionDetails) throw new Error(`gc() failed in the isolate: ${JSON.stringify(gcReply.result.exceptionDetails)}`)
      const reply = await usage
      const lag = performance.now() - sent
      const r = reply.result ?? {}
      samples.push({ t: Date.now(), kind: 'heap', lag, used: r.usedSize, total: r.totalSize, embedder: r.embedderHeapUsedSize, backing: r.backingStorageSize })
      await sleep(Math.max(0, SAMPLE_MS - lag))
    }
  })()
  const rssTimer = setInterval(() => samples.push({ t: Date.now(), kind: 'rss', rss: rssBytes(pids.worker), proxyRss: rssBytes(pids.proxy) }), SAMPLE_MS)

  parentPort.on('message', async (m) => {
    if (m.cmd === 'hello') parentPort.postMessage({ id: m.id, firstReply })
    else if (m.cmd === 'take') {
      parentPort.postMessage({ id: m.id, samples })
      samples = []
    } else if (m.cmd === 'evaluate') {
      const reply = await call('Runtime.evaluate', { expression: m.expression, contextId, awaitPromise: true, returnByValue: true })
      parentPort.postMessage({ id: m.id, result: reply.error ?? reply.result?.exceptionDetails ?? reply.result?.result })
    } else if (m.cmd === 'close') {
      running = false
      clearInterval(rssTimer)
      await heapLoop
      ws.close()
      parentPort.postMessage({ id: m.id })
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Measuring

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
const maxOf = (xs) => (xs.length ? Math.max(...xs) : NaN)

/** The idle isolate: the mean of each figure over a quiet window. */
async function idle(sampler) {
  await sampler.take()
  await sleep(IDLE_MS)
  return summarise(await sampler.take(), mean)
}

function summarise(samples, pick) {
  const heap = samples.filter((s) => s.kind === 'heap')
  const rss = samples.filter((s) => s.kind === 'rss' && s.rss !== null)
  const gaps = (xs) => xs.slice(1).map((s, i) => s.t - xs[i].t)
  return {
    used: pick(heap.map((s) => s.used)),
    backing: pick(heap.map((s) => s.backing)),
    embedder: pick(heap.map((s) => s.embedder)),
    // Peaks of a sum are taken sample by sample: the two need not peak at once.
    usedPlusBacking: pick(heap.map((s) => s.used + s.backing)),
    rss: pick(rss.map((s) => s.rss)),
    proxyRss: pick(rss.filter((s) => s.proxyRss !== null).map((s) => s.proxyRss)),
    heapSamples: heap.length,
    maxLagMs: maxOf(heap.map((s) => s.lag)),
    maxHeapGapMs: maxOf(gaps(heap)),
    maxRssGapMs: maxOf(gaps(rss)),
  }
}

/** Runs `work` between an idle window and its end, returning its result and peak minus idle. */
async function measured(stack, work) {
  const base = await idle(stack.sampler)
  const started = performance.now()
  const result = await work()
  const wallMs = performance.now() - started
  const samples = await stack.sampler.take()
  if (process.env.WORKERD_MEMORY_SAMPLES) writeFileSync(process.env.WORKERD_MEMORY_SAMPLES, JSON.stringify(samples))
  const peak = summarise(samples, maxOf)
  const over = (k) => (peak[k] - base[k]) / MB
  return {
    ...result,
    wallMs,
    heapMb: over('used'),
    externalMb: over('backing'),
    embedderMb: over('embedder'),
    heapPlusExternalMb: over('usedPlusBacking'),
    rssGrowthMb: over('rss'),
    proxyRssGrowthMb: over('proxyRss'),
    idle: { heapMb: base.used / MB, externalMb: base.backing / MB, rssMb: base.rss / MB },
    heapSamples: peak.heapSamples,
    maxLagMs: peak.maxLagMs,
    maxHeapGapMs: peak.maxHeapGapMs,
    maxRssGapMs: peak.maxRssGapMs,
  }
}

/** Sends a file's bytes (gzip as stored, or gunzipped) as one request with a Content-Length, as Logpush does. */
function send(url, { method = 'POST', headers = {}, file, length }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, 'Content-Length': String(length) } }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    const body = createReadStream(file)
    body.on('error', reject)
    body.pipe(req)
  })
}

/** A small batch first, so that the idle figures are those of an isolate that has run the pipeline once. */
async function warmUp(stack) {
  const warm = await tinyBatch('warmup-1k', 1000, (i) => TINY_START_NS + BigInt(i) * 1_000_000_000n)
  const r = await send(`${stack.url}/logpush/http_requests`, {
    headers: { Authorization: `Bearer ${INGEST_TOKEN}`, 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' },
    file: warm.file,
    length: statSync(warm.file).size,
  })
  if (r.status !== 200) throw new Error(`warm-up batch answered ${r.status}: ${r.body.slice(0, 300)}`)
}

async function postCase(stack, makeBody) {
  const body = await makeBody()
  await warmUp(stack)
  return measured(stack, () => postBatch(stack, body.dataset, body.file))
}

/** A gzip batch file to the Logpush route, as Logpush sends it: its status and events written. */
async function postBatch(stack, dataset, file) {
  const r = await send(`${stack.url}/logpush/${dataset}`, {
    headers: { Authorization: `Bearer ${INGEST_TOKEN}`, 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' },
    file,
    length: statSync(file).size,
  })
  const json = r.status === 200 ? JSON.parse(r.body) : undefined
  return { status: r.status, events: json?.written ?? 0, detail: r.status === 200 ? undefined : r.body.slice(0, 300) }
}

/**
 * The control Worker's `count` PUTs, after a warm-up of 100, measured as a batch is: what the
 * runtime itself holds for that many requests, with none of the service's work.
 */
async function controlCase(stack, count) {
  const put = async (n) => {
    const r = await fetch(`${stack.url}/?n=${n}`)
    const body = await r.text()
    return { status: r.status, events: r.ok ? JSON.parse(body).written : 0, detail: r.ok ? undefined : body.slice(0, 300) }
  }
  await put(100)
  return measured(stack, () => put(count))
}

/** CPU ms the process has used (user + system), from /proc: workerd's own, whatever thread. */
function processCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime, fields 14 and 15 of proc(5), in clock ticks (100 a second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S
}

/**
 * One of the bench's batches through the Worker in workerd (into the local S3 server, as
 * `npm start`), then the same file through the pipeline in Node into the bench's null sink: the
 * production runtime's events/s and CPU per 10k events beside Node's. workerd's CPU is the whole
 * process's (the Worker's isolate and the counters' Durable Objects); S3 runs in this process.
 */
async function throughputCase(stack, dataset) {
  const data = await ensureDataset(dataset, '100000', log)
  await warmUp(stack)
  const cpuBefore = processCpuMs(stack.pids.worker)
  const result = await measured(stack, () => postBatch(stack, SCHEMA_OF[dataset], data.file))
  const workerdCpuMs = processCpuMs(stack.pids.worker) - cpuBefore
  await buildBundle()
  const pipe = await loadPipeline()
  const schema = pipe.schemas.get(SCHEMA_OF[dataset])
  const limits = { maxDecompressedBytes: 8 * 1024 ** 3, maxLineBytes: 1024 * 1024 }
  await pipeline(pipe.mod, schema, fileBody(data.file), 6, limits)
  const node = await timed(() => pipeline(pipe.mod, schema, fileBody(data.file), 6, limits))
  return {
    ...result,
    throughput: {
      workerdEventsPerS: result.events / (result.wallMs / 1000),
      workerdCpuMsPer10k: (workerdCpuMs / data.lines) * 1e4,
      nodeEventsPerS: data.lines / (node.wallMs / 1000),
      nodeCpuMsPer10k: (node.cpuMs / data.lines) * 1e4,
    },
  }
}

/**
 * The 1 GiB batch through the S3 endpoint's multipart calls (AWS SDK, SigV4), its gzip bytes cut
 * into parts: the endpoint caps an object at MAX_BODY_BYTES (100 MiB) as stored, so a 1 GiB object
 * is one that decompresses to 1 GiB, as Logpush's gzip objects do.
 */
async function s3PutCase(stack) {
  const body = await oneGibBatch()
  const { S3Client, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand } = await import('@aws-sdk/client-s3')
  const s3 = new S3Client({ endpoint: `${stack.url}/s3`, forcePathStyle: true, region: 'us-east-1', credentials: PROXY_KEY, maxAttempts: 1 })
  // The SDK's output types drop response headers; the endpoint reports the batch in x-logpush-*.
  let lastHeaders = {}
  s3.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args)
      lastHeaders = out.response?.headers ?? {}
      return out
    },
    { step: 'deserialize', name: 'logpushHeaders' },
  )
  await warmUp(stack)
  const Bucket = 'cloudflare-logs'
  const Key = 'http_requests/20261125/20261125T093000Z_20261127T093000Z_bench.log.gz'
  const result = await measured(stack, async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }))
    const parts = []
    for await (const part of partsOf(createReadStream(body.file), S3_PART_BYTES)) {
      const PartNumber = parts.length + 1
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: part }))
      parts.push({ ETag, PartNumber })
    }
    try {
      await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }))
      return { status: 200, events: Number(lastHeaders['x-logpush-written'] ?? 0) }
    } catch (err) {
      return { status: err.$metadata?.httpStatusCode ?? 0, events: 0, detail: `${err.name}: ${err.message}`.slice(0, 300) }
    }
  })
  s3.destroy()
  return result
}

/** Buffers of exactly `size` bytes (the last one shorter) from a byte stream. */
async function* partsOf(stream, size) {
  let part = Buffer.allocUnsafe(size)
  let filled = 0
  for await (const chunk of stream) {
    let at = 0
    while (at < chunk.length) {
      const n = Math.min(size - filled, chunk.length - at)
      chunk.copy(part, filled, at, at + n)
      filled += n
      at += n
      if (filled === size) {
        yield part
        part = Buffer.allocUnsafe(size)
        filled = 0
      }
    }
  }
  if (filled) yield part.subarray(0, filled)
}

/**
 * 100 MiB in the isolate's ArrayBuffer backing stores, then 100 MiB on V8's heap, read back by
 * the same polling as the cases: a method that reads ~100 here is one whose zeros are zeros.
 */
async function calibrate(stack) {
  await warmUp(stack)
  const base = await idle(stack.sampler)
  const read = async () => {
    await sleep(3 * SAMPLE_MS)
    await stack.sampler.take()
    await sleep(4 * SAMPLE_MS)
    return summarise(await stack.sampler.take(), mean)
  }
  const ok = (r) => {
    if (r?.value !== 1) throw new Error(`calibration evaluate failed: ${JSON.stringify(r)}`)
  }
  ok(await stack.sampler.evaluate(`globalThis.__calibExternal = new Uint8Array(${100 * MIB}).fill(1); 1`))
  const afterExternal = await read()
  // Doubles, unboxed in one array: 8 bytes each on V8's heap, touched as written.
  // 100 strings of 1 MiB: TextDecoder makes each a new flat one-byte string of exactly that size.
  ok(
    await stack.sampler.evaluate(
      `globalThis.__calibHeap = ((bytes, decoder) => Array.from({ length: 100 }, () => decoder.decode(bytes)))(new Uint8Array(${MIB}).fill(120), new TextDecoder()); 1`,
    ),
  )
  const afterHeap = await read()
  ok(await stack.sampler.evaluate('delete globalThis.__calibExternal; delete globalThis.__calibHeap; 1'))
  return {
    externalMb: (afterExternal.backing - base.backing) / MB,
    heapMb: (afterHeap.used - afterExternal.used) / MB,
    heapDuringExternalMb: (afterExternal.used - base.used) / MB,
    externalDuringHeapMb: (afterHeap.backing - afterExternal.backing) / MB,
    rssMb: (afterHeap.rss - base.rss) / MB,
  }
}

// ---------------------------------------------------------------------------------------------
// --trace-gc: what V8's collector did in the Worker's isolate

const GC_LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: (Scavenge|Mark-Compact|Minor Mark-Sweep)\S* ([\d.]+) \([\d.]+\) -> ([\d.]+) \(/

/**
 * The trace of the isolate that collected most (workerd runs a few small ones of its own), in
 * four figures: how far the heap got before the old generation was collected (what the raw peaks
 * see), what it kept (what --live sees), what a young collection freed (about the young
 * generation's size), and what each young collection moved to the old one
 * (garbage that only the next full collection frees).
 */
function gcSummary(file) {
  const byIsolate = new Map()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = GC_LINE.exec(line)
    if (!m) continue
    const events = byIsolate.get(m[1]) ?? []
    events.push({ kind: m[2] === 'Mark-Compact' ? 'full' : 'young', before: Number(m[3]), after: Number(m[4]) })
    byIsolate.set(m[1], events)
  }
  const events = [...byIsolate.values()].sort((a, b) => b.length - a.length)[0] ?? []
  const full = events.filter((e) => e.kind === 'full')
  const young = events.filter((e) => e.kind === 'young')
  const promoted = []
  for (let i = 1; i < events.length; i++) if (events[i].kind === 'young' && events[i - 1].kind === 'young') promoted.push(events[i].after - events[i - 1].after)
  const max = (xs) => (xs.length ? Math.max(...xs) : null)
  return (
    `gc: ${young.length} young, ${full.length} full collections; heap before a full one up to ${max(full.map((e) => e.before))} MB, ` +
    `after it up to ${max(full.map((e) => e.after))} MB; a young collection freed up to ${round(max(young.map((e) => e.before - e.after)))} MB, ` +
    `promoted per young collection ${round(median(promoted), 2)} MB (median)`
  )
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const figures = {}
  const rows = []
  let firstReply
  const onStack = async (name, fn) => {
    log(`${name}: starting wrangler dev`)
    const gcLog = opts.traceGc ? join(OUT_DIR, `workerd-gc-${name}.log`) : undefined
    const stack = await startStack({ outputFormat: opts.outputFormat, live: opts.live, gcLog, control: CASES[name]?.control })
    firstReply ??= stack.sampler.firstReply
    try {
      return await fn(stack)
    } finally {
      await stack.close()
      if (gcLog) log(`  ${gcSummary(gcLog)} (trace: ${gcLog})`)
    }
  }

  if (opts.calibration) {
    const c = await onStack('calibration', calibrate)
    Object.assign(figures, {
      calibration_external_mb: round(c.externalMb),
      calibration_heap_mb: round(c.heapMb),
      calibration_rss_mb: round(c.rssMb),
      calibration_expected_mb: round((100 * MIB) / MB),
    })
    log(`calibration: external +${round(c.externalMb)} MB, heap +${round(c.heapMb)} MB (expected ${round((100 * MIB) / MB)} each), RSS +${round(c.rssMb)} MB`)
  }

  for (const name of opts.cases) {
    const r = await onStack(name, (stack) => CASES[name].run(stack))
    log(
      `${name}: ${r.status} in ${round(r.wallMs / 1000)} s, ${r.events} events; heap +${round(r.heapMb)}, external +${round(r.externalMb)}, RSS +${round(r.rssGrowthMb)} MB`,
    )
    if (r.detail) log(`  ${r.detail}`)
    rows.push({ name, ...r })
    Object.assign(figures, {
      [`status_${name}`]: r.status,
      [`wall_s_${name}`]: round(r.wallMs / 1000),
      [`events_${name}`]: r.events,
      [`isolate_heap_mb_${name}`]: round(r.heapMb),
      [`isolate_external_mb_${name}`]: round(r.externalMb),
      [`isolate_heap_plus_external_mb_${name}`]: round(r.heapPlusExternalMb),
      [`isolate_embedder_mb_${name}`]: round(r.embedderMb),
      [`workerd_rss_growth_mb_${name}`]: round(r.rssGrowthMb),
      [`workerd_proxy_rss_growth_mb_${name}`]: round(r.proxyRssGrowthMb),
      [`idle_heap_mb_${name}`]: round(r.idle.heapMb),
      [`idle_external_mb_${name}`]: round(r.idle.externalMb),
      [`idle_rss_mb_${name}`]: round(r.idle.rssMb),
      [`heap_samples_${name}`]: r.heapSamples,
      [`max_inspector_lag_ms_${name}`]: round(r.maxLagMs, 0),
      [`max_heap_gap_ms_${name}`]: round(r.maxHeapGapMs, 0),
      [`max_rss_gap_ms_${name}`]: round(r.maxRssGapMs, 0),
    })
    if (r.throughput) {
      const t = r.throughput
      const dataset = name.slice('tp_'.length)
      log(
        `  workerd ${Math.round(t.workerdEventsPerS)} events/s, ${round(t.workerdCpuMsPer10k, 0)} ms CPU per 10k; Node ${Math.round(t.nodeEventsPerS)} events/s, ${round(t.nodeCpuMsPer10k, 0)} ms per 10k (null sink)`,
      )
      Object.assign(figures, {
        [`workerd_events_per_s_${dataset}`]: round(t.workerdEventsPerS, 0),
        [`workerd_cpu_ms_per_10k_${dataset}`]: round(t.workerdCpuMsPer10k, 0),
        [`node_events_per_s_${dataset}`]: round(t.nodeEventsPerS, 0),
        [`node_cpu_ms_per_10k_${dataset}`]: round(t.nodeCpuMsPer10k, 0),
        [`workerd_over_node_cpu_${dataset}`]: round(t.workerdCpuMsPer10k / t.nodeCpuMsPer10k, 2),
      })
    }
  }

  console.log(`Runtime.getHeapUsage in this workerd answers: ${JSON.stringify(firstReply ?? {})}`)
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  )
  if (opts.calibration) {
    console.log(
      `calibration (100 MiB = ${round((100 * MIB) / MB)} MB each): external ${figures.calibration_external_mb} MB, heap ${figures.calibration_heap_mb} MB, workerd RSS ${figures.calibration_rss_mb} MB`,
    )
  }
  const cols = [
    'case',
    'status',
    'wall s',
    'events',
    'heap MB',
    'external MB',
    'heap+ext MB',
    'embedder MB',
    'RSS MB',
    'proxy RSS MB',
    'idle heap/ext/RSS MB',
    'samples',
    'max lag ms',
    'goal',
  ]
  console.log(cols.join(' | '))
  for (const r of rows) {
    const goal = r.heapPlusExternalMb <= 64 && r.rssGrowthMb <= 128 ? 'met' : 'missed'
    console.log(
      [
        r.name,
        r.status,
        round(r.wallMs / 1000),
        r.events,
        round(r.heapMb),
        round(r.externalMb),
        round(r.heapPlusExternalMb),
        round(r.embedderMb),
        round(r.rssGrowthMb),
        round(r.proxyRssGrowthMb),
        `${round(r.idle.heapMb)}/${round(r.idle.externalMb)}/${round(r.idle.rssMb)}`,
        r.heapSamples,
        round(r.maxLagMs, 0),
        goal,
      ].join(' | '),
    )
  }
  console.log('goal: heap + external <= 64 MB over the idle isolate, workerd RSS growth <= 128 MB; figures are peak minus idle, MB = 10^6 bytes')
  console.log('')
  console.log(JSON.stringify(figures))
}

if (isMainThread) await main()
else await samplerThread(workerData)
