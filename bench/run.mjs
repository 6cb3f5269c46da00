// npm run bench [-- --quick] [--level=6] [--datasets=http_requests,...|all] [--sizes=10k,100k,1m] [--no-memory] [--no-s3]
//
// For each dataset and size: the floor (gunzip -> split -> JSON.parse -> JSON.stringify -> gzip, no
// schema work), the pipeline (runPipeline into a gzip null sink) and the pipeline into the service's
// S3 sink on a local S3 server, in the same process and run, interleaved. Then peak memory while
// streaming a 100 MB and a 1 GB http_requests batch from disk, into the null sink and into S3, each
// in a fresh process. Prints a table and, last, one JSON line with every figure. It reports; it
// never fails on a threshold.

import { spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { getHeapSpaceStatistics } from 'node:v8'
import { Worker } from 'node:worker_threads'
import { BENCHED, DATASETS, ensureDataset, SCHEMA_OF } from './generate.mjs'
import {
  buildBundle,
  buildSinkBundle,
  fileBody,
  compressOnly,
  floor,
  gc,
  loadPipeline,
  loadSink,
  median,
  pacedGunzipBody,
  pipeline,
  s3Pipeline,
  startLocalS3,
  timed,
} from './lib.mjs'

const MB = 1e6
/** Workers Standard (Paid plan) CPU time past the 30M ms included: $0.02 per million CPU ms (developers.cloudflare.com pricing, as of 2026-12). */
const USD_PER_MILLION_CPU_MS = 0.02
const MIB = 1024 * 1024
const SIZES = { '10k': 10_000, '100k': 100_000, '1m': 1_000_000 }
/** Throughput runs go past Logpush's 1 GB cap (1M http_requests lines are ~2.7 GB), so raise it. */
const THROUGHPUT_LIMITS = { maxDecompressedBytes: 8 * 1024 ** 3, maxLineBytes: 1024 * 1024 }
/** The memory runs use the service's defaults (wrangler.toml): 1 GiB decompressed, 1 MiB lines. */
const MEMORY_LIMITS = { maxDecompressedBytes: 1024 ** 3, maxLineBytes: 1024 * 1024 }
const WARMUP_LINES = '3000'
const SAMPLE_RSS_MS = 2
const SAMPLE_HEAP_MS = 5
/** V8's young generation (both semi-spaces) as committed now, MiB: it grows in steps, never back during a run. */
const newSpaceMb = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / MIB
// A 'steady' memory run warms up until the young generation has grown; ~0.4 s a warm-up run.
const STEADY_MAX_WARMUPS = 60
const STEADY_SETTLE_RUNS = 5

function parseArgs(argv) {
  const opts = {
    quick: false,
    level: 6,
    datasets: BENCHED,
    sizes: ['10k', '100k', '1m'],
    memory: ['100MB', '1GB'],
    runs: 3,
    memoryRuns: 3,
    s3: true,
    s3Datasets: BENCHED,
    // Page codecs of the Parquet runs (into S3, beside NDJSON, for the datasets that run into S3).
    parquetCodecs: ['GZIP'],
  }
  for (const a of argv) {
    const [k, v] = a.replace(/^--/, '').split('=')
    if (k === 'quick') Object.assign(opts, { quick: true, sizes: ['10k'], memory: ['20MB'], runs: 2, memoryRuns: 1, s3Datasets: ['http_requests'] })
    else if (k === 'level') opts.level = Number(v)
    else if (k === 'datasets') opts.datasets = v === 'all' ? DATASETS : v.split(',')
    else if (k === 'sizes') opts.sizes = v.split(',')
    else if (k === 'memory') opts.memory = v ? v.split(',') : []
    else if (k === 'no-memory') opts.memory = []
    else if (k === 'no-throughput') opts.datasets = []
    else if (k === 'gunzip') opts.gunzip = v
    else if (k === 'start') opts.start = v
    else if (k === 'repeat') opts.repeat = Number(v)
    else if (k === 'runs') opts.runs = Number(v)
    else if (k === 'memory-runs') opts.memoryRuns = Number(v)
    else if (k === 's3') opts.s3Datasets = v ? v.split(',') : []
    else if (k === 'no-s3') opts.s3 = false
    else if (k === 'parquet-codecs') opts.parquetCodecs = v ? v.split(',').map((c) => c.toUpperCase()) : []
    else if (k === 'no-parquet') opts.parquetCodecs = []
    else if (k === 'part-bytes') opts.partBytes = Number(v)
    else if (k === 'memory-child') opts.memoryChild = v
    else if (k === 's3-endpoint') opts.s3Endpoint = v
    else throw new Error(`unknown option ${a}`)
  }
  return opts
}

const log = (m) => process.stderr.write(`${m}\n`)
const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null)

// ---------------------------------------------------------------------------------------------
// Throughput

async function throughput(opts, pipe, sink, figures, rows) {
  for (const dataset of opts.datasets) {
    const schema = pipe.schemas.get(SCHEMA_OF[dataset])
    if (!schema) throw new Error(`no schema for ${dataset}`)
    const toS3 = sink && opts.s3Datasets.includes(dataset)
    const intoS3 = (file, codec) => s3Pipeline(pipe.mod, sink, schema, fileBody(file), THROUGHPUT_LIMITS, codec)
    const codecs = toS3 ? opts.parquetCodecs : []
    // Warm-up on a small batch so that the first measured run is not the one that JIT-compiles.
    const warm = await ensureDataset(dataset, WARMUP_LINES, log)
    await floor(fileBody(warm.file), opts.level)
    await pipeline(pipe.mod, schema, fileBody(warm.file), opts.level, THROUGHPUT_LIMITS)
    if (toS3) await intoS3(warm.file)
    for (const codec of codecs) await intoS3(warm.file, codec)

    for (const size of opts.sizes) {
      const lines = SIZES[size]
      if (!lines) throw new Error(`unknown size ${size}; known: ${Object.keys(SIZES).join(', ')}`)
      const data = await ensureDataset(dataset, String(lines), log)
      const runs = size === '1m' ? 1 : opts.runs
      const f = []
      const p = []
      const s = []
      const c = []
      const pq = codecs.map(() => [])
      for (let r = 0; r < runs; r++) {
        c.push(await timed(() => compressOnly(fileBody(data.file), opts.level)))
        f.push(await timed(() => floor(fileBody(data.file), opts.level)))
        p.push(await timed(() => pipeline(pipe.mod, schema, fileBody(data.file), opts.level, THROUGHPUT_LIMITS)))
        if (toS3) s.push(await timed(() => intoS3(data.file)))
        for (const [i, codec] of codecs.entries()) pq[i].push(await timed(() => intoS3(data.file, codec)))
      }
      if (f[0].result.events !== data.lines) log(`WARNING ${dataset} ${size}: floor saw ${f[0].result.events} of ${data.lines} lines`)

      const k = `${dataset}_${size}`
      const row = summarise(dataset, size, 'null', data, f, p)
      const compress = summarise(dataset, size, 'null', data, c, p)
      row.ratioCompress = compress.ratio
      Object.assign(figures, sinkFigures(k, row), {
        [`compress_events_per_s_${k}`]: round(compress.f.evps, 0),
        [`compress_cpu_ms_per_10k_${k}`]: round(compress.f.cpu10k),
        [`ratio_compress_${k}`]: round(compress.ratio, 3),
        [`floor_events_per_s_${k}`]: round(row.f.evps, 0),
        [`floor_mb_per_s_${k}`]: round(row.f.mbps),
        [`floor_cpu_ms_per_10k_${k}`]: round(row.f.cpu10k),
        [`in_mb_${k}`]: round(data.bytes / MB, 1),
      })
      checkCounts(row, `first: ${row.got.firstQuarantine}`)
      rows.push(row)
      log(formatRow(row))
      if (toS3) {
        const s3Row = summarise(dataset, size, 's3', data, f, s)
        s3Row.ratioCompress = summarise(dataset, size, 's3', data, c, s).ratio
        figures[`ratio_compress_${k}_s3`] = round(s3Row.ratioCompress, 3)
        Object.assign(figures, sinkFigures(`${k}_s3`, s3Row), {
          [`objects_${k}_s3`]: s3Row.got.objects,
          [`parts_${k}_s3`]: s3Row.got.parts,
        })
        checkCounts(s3Row, '')
        rows.push(s3Row)
        log(formatRow(s3Row))
      }
      // Parquet into S3, per page codec: the same batch, the same floor.
      for (const [i, codec] of codecs.entries()) {
        const pqRow = summarise(dataset, size, `pq-${codec.toLowerCase()}`, data, f, pq[i])
        pqRow.ratioCompress = summarise(dataset, size, pqRow.sink, data, c, pq[i]).ratio
        const key = `${k}_parquet_${codec.toLowerCase()}`
        Object.assign(figures, sinkFigures(key, pqRow), { [`objects_${key}`]: pqRow.got.objects, [`parts_${key}`]: pqRow.got.parts })
        checkCounts(pqRow, '')
        rows.push(pqRow)
        log(formatRow(pqRow))
      }
    }
    // The headline ratio of a dataset: its 100k figure (best of N), else the largest size run.
    const headline = ['100k', '1m', '10k'].find((s) => opts.sizes.includes(s))
    figures[`ratio_compress_${dataset}`] = figures[`ratio_compress_${dataset}_${headline}`]
    for (const suffix of toS3 ? ['', '_s3'] : ['']) {
      figures[`ratio_${dataset}${suffix}`] = figures[`ratio_${dataset}_${headline}${suffix}`]
      figures[`usd_per_tb_${dataset}${suffix}`] = figures[`usd_per_tb_${dataset}_${headline}${suffix}`]
      figures[`ratio_cpu_${dataset}${suffix}`] = figures[`ratio_cpu_${dataset}_${headline}${suffix}`]
    }
  }
}

/** The figures of one sink's row; `key` is `<dataset>_<size>`, with `_s3` for the S3 sink. */
function sinkFigures(key, row) {
  return {
    [`cpu_ms_per_gb_${key}`]: round(cpuMsPerGb(row), 0),
    [`usd_per_tb_${key}`]: round(usdPerTb(row), 2),
    [`events_per_s_${key}`]: round(row.p.evps, 0),
    [`mb_per_s_${key}`]: round(row.p.mbps),
    [`cpu_ms_per_10k_${key}`]: round(row.p.cpu10k),
    [`ratio_${key}`]: round(row.ratio, 3),
    [`ratio_median_${key}`]: round(row.ratioMedian, 3),
    [`ratio_cpu_${key}`]: round(row.ratioCpu, 3),
    [`noise_pct_${key}`]: round(row.noise),
    [`out_gzip_mb_${key}`]: round(row.got.bytesOut / MB, 2),
    [`out_mb_${key}`]: round(row.got.bytesOut / MB, 2),
  }
}

/** CPU, which is what Workers bill, per GB (10^9 bytes) of uncompressed input. */
function cpuMsPerGb(row) {
  return (row.p.cpu10k / 1e4) * (row.lines / (row.mb * MB)) * 1e9
}

/** The Workers CPU cost of a TB of uncompressed input at the Standard price. */
function usdPerTb(row) {
  return ((cpuMsPerGb(row) * 1000) / 1e6) * USD_PER_MILLION_CPU_MS
}

function checkCounts(row, detail) {
  const { got } = row
  if (got.events !== row.lines || got.written !== row.lines) {
    log(
      `WARNING ${row.dataset} ${row.size} ${row.sink}: ${row.lines} lines, pipeline saw ${got.events}, wrote ${got.written}, quarantined ${got.quarantined}; ${detail}`,
    )
  }
}

/** The bench raises the batch's S3 budget (see loadSink); says when the service's own would have run out. */
/** `f`: the floor's timed runs; `p`: the same run's timed runs into `sink` ('null' or 's3'). */
function summarise(dataset, size, sink, data, f, p) {
  const side = (runs) => {
    const walls = runs.map((r) => r.wallMs)
    const best = Math.min(...walls)
    const med = median(walls)
    const cpu = Math.min(...runs.map((r) => r.cpuMs))
    return {
      evps: data.lines / (best / 1000),
      evpsMedian: data.lines / (med / 1000),
      mbps: data.bytes / MB / (best / 1000),
      cpu10k: (cpu / data.lines) * 1e4,
      bestMs: best,
      medianMs: med,
      runs: runs.length,
    }
  }
  const F = side(f)
  const P = side(p)
  return {
    dataset,
    size,
    sink,
    got: p.at(-1).result,
    lines: data.lines,
    mb: data.bytes / MB,
    f: F,
    p: P,
    ratio: P.evps / F.evps,
    ratioMedian: P.evpsMedian / F.evpsMedian,
    ratioCpu: F.cpu10k / P.cpu10k,
    // Machine noise: how far the median run is from the best one, the worse of the two sides.
    noise: Math.max((F.medianMs / F.bestMs - 1) * 100, (P.medianMs / P.bestMs - 1) * 100),
  }
}

const COLUMNS = [
  ['dataset', 22],
  ['size', 5],
  ['sink', 8],
  ['MB in', 7],
  ['MB out', 7],
  ['floor ev/s', 11],
  ['pipe ev/s', 10],
  ['floor MB/s', 10],
  ['pipe MB/s', 9],
  ['floor cpu/10k', 13],
  ['pipe cpu/10k', 12],
  ['ratio', 6],
  ['ratio cpu', 9],
  ['ratio gz', 8],
  ['$/TB', 6],
  ['best/median ms (floor | pipe)', 34],
]

function header() {
  return COLUMNS.map(([h, w]) => h.padStart(w)).join(' ')
}

function formatRow(r) {
  const cells = [
    r.dataset,
    r.size,
    r.sink,
    r.mb.toFixed(0),
    r.got.bytesOut === undefined ? '-' : (r.got.bytesOut / MB).toFixed(1),
    Math.round(r.f.evps).toLocaleString('en-US'),
    Math.round(r.p.evps).toLocaleString('en-US'),
    r.f.mbps.toFixed(1),
    r.p.mbps.toFixed(1),
    `${r.f.cpu10k.toFixed(0)} ms`,
    `${r.p.cpu10k.toFixed(0)} ms`,
    r.ratio.toFixed(2),
    r.ratioCpu.toFixed(2),
    r.ratioCompress.toFixed(2),
    usdPerTb(r).toFixed(2),
    `${r.f.bestMs.toFixed(0)}/${r.f.medianMs.toFixed(0)} | ${r.p.bestMs.toFixed(0)}/${r.p.medianMs.toFixed(0)} (n=${r.p.runs})`,
  ]
  return cells.map((c, i) => String(c).padStart(COLUMNS[i][1])).join(' ')
}

// ---------------------------------------------------------------------------------------------
// Memory: each batch in a fresh process, RSS sampled from a worker thread (it keeps sampling while
// the main thread is busy), heap sampled on the main thread.

const RSS_SAMPLER = `
const { parentPort } = require('node:worker_threads')
let peak = 0
let lapPeak = 0
let samples = 0
const tick = () => { const r = process.memoryUsage.rss(); if (r > lapPeak) lapPeak = r; if (r > peak) peak = r; samples++ }
const timer = setInterval(tick, ${SAMPLE_RSS_MS})
parentPort.on('message', (m) => {
  if (m === 'start') { peak = 0; lapPeak = 0; tick(); parentPort.postMessage('started') }
  else if (m === 'lap') { tick(); parentPort.postMessage(lapPeak); lapPeak = 0 }
  else { clearInterval(timer); tick(); parentPort.postMessage({ peak, samples }) }
})
`

/**
 * `gunzip`: 'pipeline' (the gzip body goes to runPipeline, as in production) or 'paced' (see
 * pacedGunzipBody). With `s3Endpoint`, into the service's S3 sink there, else into the null sink.
 * `start`: 'fresh' (one warm-up run) or 'steady': warm-up runs until V8 has grown its young
 * generation. V8 does that once per process, when enough bytes have survived scavenges: a long
 * batch takes the step partway (and its pages then fill in), a short one may end before it, so
 * fresh processes charge a one-time step to the longer batch. An isolate that serves batch after
 * batch, as a Worker's does, has taken it; steady runs start both sizes from there.
 */
async function memoryChild(size, level, gunzip, s3Endpoint, partBytes, start, repeat = 1) {
  const body = gunzip === 'paced' ? pacedGunzipBody : fileBody
  const pipe = await loadPipeline()
  const schema = pipe.schemas.get('http_requests')
  const sink = s3Endpoint && (await loadSink(s3Endpoint, partBytes, level))
  const run = (file) => (sink ? s3Pipeline(pipe.mod, sink, schema, body(file), MEMORY_LIMITS) : pipeline(pipe.mod, schema, body(file), level, MEMORY_LIMITS))
  const warm = await ensureDataset('http_requests', WARMUP_LINES)
  const data = await ensureDataset('http_requests', size)
  await run(warm.file)
  let warmups = 1
  if (start === 'steady') {
    const initial = newSpaceMb()
    for (; newSpaceMb() <= initial && warmups < STEADY_MAX_WARMUPS; warmups++) await run(warm.file)
    // A few more, so that the grown space's pages are in use (resident) before the baseline.
    for (let i = 0; i < STEADY_SETTLE_RUNS; i++, warmups++) await run(warm.file)
  }

  const sampler = new Worker(RSS_SAMPLER, { eval: true })
  const message = () => new Promise((resolve) => sampler.once('message', resolve))
  await new Promise((resolve) => setTimeout(resolve, 50))
  gc()
  await new Promise((resolve) => setTimeout(resolve, 50))
  gc()
  const base = process.memoryUsage()
  const newSpaceBase = newSpaceMb()
  sampler.postMessage('start')
  await message()
  let heapPeak = base.heapUsed
  let extPeak = base.external
  let heapSamples = 0
  const heapTimer = setInterval(() => {
    const m = process.memoryUsage()
    if (m.heapUsed > heapPeak) heapPeak = m.heapUsed
    if (m.external > extPeak) extPeak = m.external
    heapSamples++
  }, SAMPLE_HEAP_MS)
  const t0 = performance.now()
  // `repeat`: the batch again and again in this process, each batch's own peak kept as well.
  const lapPeaks = []
  let result
  for (let i = 0; i < repeat; i++) {
    result = await run(data.file)
    sampler.postMessage('lap')
    lapPeaks.push(((await message()) - base.rss) / MIB)
  }
  const wallMs = (performance.now() - t0) / repeat
  const newSpaceEnd = newSpaceMb()
  clearInterval(heapTimer)
  sampler.postMessage('stop')
  const rss = await message()
  await sampler.terminate()
  return {
    size,
    gunzip,
    start,
    warmups,
    repeat,
    lapPeaks,
    sink: sink ? 's3' : 'null',
    objects: result.objects,
    parts: result.parts,
    lines: data.lines,
    mb: data.bytes / MB,
    written: result.written,
    baselineRssMb: base.rss / MIB,
    peakRssOverBaselineMb: (rss.peak - base.rss) / MIB,
    peakRssMb: rss.peak / MIB,
    peakHeapOverBaselineMb: (heapPeak - base.heapUsed) / MIB,
    peakExternalOverBaselineMb: (extPeak - base.external) / MIB,
    newSpaceMb: [newSpaceBase, newSpaceEnd],
    rssSamples: rss.samples,
    heapSamples,
    eventsPerS: data.lines / (wallMs / 1000),
  }
}

function runMemoryChild(size, level, gunzip, s3Endpoint, partBytes, start = 'fresh', repeat = 1) {
  const args = [fileURLToPath(import.meta.url), `--memory-child=${size}`, `--level=${level}`, `--gunzip=${gunzip}`, `--start=${start}`, `--repeat=${repeat}`]
  if (s3Endpoint) args.push(`--s3-endpoint=${s3Endpoint}`)
  if (partBytes) args.push(`--part-bytes=${partBytes}`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`memory run ${size} exited with ${code}`))
      else resolve(JSON.parse(out.trim().split('\n').pop()))
    })
  })
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  if (opts.memoryChild) {
    console.log(JSON.stringify(await memoryChild(opts.memoryChild, opts.level, opts.gunzip, opts.s3Endpoint, opts.partBytes, opts.start, opts.repeat)))
    return
  }
  const started = performance.now()
  await buildBundle()
  if (opts.s3) await buildSinkBundle()
  const load0 = loadavg()
  // Generate everything first (cached in bench/out/), so that no generation runs beside a measurement.
  for (const d of opts.datasets) for (const n of [WARMUP_LINES, ...opts.sizes.map((s) => String(SIZES[s]))]) await ensureDataset(d, n, log)
  for (const m of opts.memory) await ensureDataset('http_requests', m, log)

  const pipe = await loadPipeline()
  const figures = {
    node: process.version,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    gzip_level: opts.level,
    loadavg_1m_start: round(loadavg()[0], 2),
  }
  const rows = []
  log(
    `\nnode ${process.version}, ${cpus().length} x ${figures.cpu_model}, load average ${load0.map((x) => x.toFixed(2)).join(' ')}, output gzip level ${opts.level}`,
  )
  log('best of N runs (N=1 for 1m); cpu = process CPU (all threads) per 10k events; ratio = pipeline events/s / floor events/s')
  log(header())
  const wantS3 = opts.s3 && (opts.memory.length > 0 || opts.datasets.some((d) => opts.s3Datasets.includes(d)))
  const starting = wantS3 ? startLocalS3() : null
  // On Ctrl-C, stop the server and remove its temp directory, even while it is starting.
  const stop = () => starting.then((s3) => s3.close()).finally(() => process.exit(130))
  if (starting) {
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }
  const s3 = await starting
  const mem = []
  try {
    const sink = s3 && (await loadSink(s3.url, opts.partBytes, opts.level))
    if (sink) figures.s3_part_bytes = sink.config.S3_PART_BYTES
    await throughput(opts, pipe, sink, figures, rows)
    for (const size of opts.memory) mem.push(...(await memory(opts, size, s3, figures)))
    // Flat means the 1 GB batch peaks where the 100 MB one does (1.0; the target is at most 1.1).
    for (const sink of ['', '_s3', '_steady', '_s3_steady', ['_x10_steady', '_steady']]) {
      const [smallKey, largeKey] = Array.isArray(sink) ? sink : [sink, sink]
      const small = figures[`peak_rss_mb_100mb${smallKey}`]
      const large = figures[`peak_rss_mb_1gb${largeKey}`]
      if (small && large) figures[`peak_rss_1gb_over_100mb${smallKey}`] = round(large / small, 2)
    }
  } finally {
    if (s3) {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      await s3.close()
    }
  }
  figures.loadavg_1m_end = round(loadavg()[0], 2)
  figures.total_s = round((performance.now() - started) / 1000)

  // The table, on stdout.
  console.log(
    `\nlogpush-edge bench: node ${process.version}, ${figures.cpus} x ${figures.cpu_model}, gzip level ${opts.level}, load average ${figures.loadavg_1m_start} -> ${figures.loadavg_1m_end}`,
  )
  if (s3)
    console.log(
      `sink s3: the service's S3 sink (GZIP_LEVEL ${opts.level}, S3_PART_BYTES ${figures.s3_part_bytes}) to a local s3rver; cpu excludes the server's process`,
    )
  console.log(header())
  for (const r of rows) console.log(formatRow(r))
  if (mem.length) {
    console.log('\nmemory (http_requests through the pipeline into the gzip null sink or into S3, fresh process, streamed from disk)')
    console.log("gunzip 'pipeline': the gzip body into runPipeline as in production; 'paced': gunzipped by the bench one awaited write at a time")
    console.log("start 'fresh': one warm-up run; 'steady': warmed up until V8 grew its young generation, as a Worker's isolate serving batch after batch has")
    console.log(
      `${'batch'.padStart(8)} ${'gunzip'.padStart(9)} ${'start'.padStart(6)} ${'sink'.padStart(4)} ${'lines'.padStart(9)} ${'MB in'.padStart(7)} ${'baseline RSS'.padStart(13)} ${'peak RSS - base'.padStart(16)} ${'peak heap - base'.padStart(17)} ${'peak external - base'.padStart(21)} ${'ev/s'.padStart(8)} ${'objects/parts'.padStart(13)}  peak RSS - base of each run (the median shown)`,
    )
    for (const m of mem) {
      console.log(
        `${m.size.padStart(8)} ${m.gunzip.padStart(9)} ${m.start.padStart(6)} ${m.sink.padStart(4)} ${String(m.lines).padStart(9)} ${m.mb.toFixed(0).padStart(7)} ${`${m.baselineRssMb.toFixed(1)} MiB`.padStart(13)} ${`${m.peakRssOverBaselineMb.toFixed(1)} MiB`.padStart(16)} ${`${m.peakHeapOverBaselineMb.toFixed(1)} MiB`.padStart(17)} ${`${m.peakExternalOverBaselineMb.toFixed(1)} MiB`.padStart(21)} ${Math.round(m.eventsPerS).toString().padStart(8)} ${(m.sink === 's3' ? `${m.objects}/${m.parts}` : '-').padStart(13)}  ${m.rssRuns.join(', ')}`,
      )
    }
  }
  console.log('')
  console.log(JSON.stringify(figures))
}

/**
 * A peak is the worst moment of a run, and where garbage collection and zlib's buffers happen to
 * fall moves it by several MiB from one run to the next: the run with the median peak RSS of
 * `runs`, with every run's peak beside it.
 */
async function medianMemoryRun(runs, ...args) {
  const all = []
  for (let i = 0; i < runs; i++) all.push(await runMemoryChild(...args))
  all.sort((a, b) => a.peakRssOverBaselineMb - b.peakRssOverBaselineMb)
  return { ...all[(all.length - 1) >> 1], rssRuns: all.map((r) => round(r.peakRssOverBaselineMb)) }
}

/** The memory runs of one batch size, each in a fresh process; adds their figures. */
async function memory(opts, size, s3, figures) {
  // As in production (the gzip body into runPipeline), then with the gunzip paced by the bench.
  const m = await medianMemoryRun(opts.memoryRuns, size, opts.level, 'pipeline')
  // (--quick skips the paced run: a 20 MB batch is 2 MB of gzip, too little to show the difference.)
  const paced = opts.quick ? null : await medianMemoryRun(opts.memoryRuns, size, opts.level, 'paced')
  // As in production into the service's S3 sink: single PUT or multipart by S3_PART_BYTES.
  const toS3 = s3 ? await medianMemoryRun(opts.memoryRuns, size, opts.level, 'pipeline', s3.url, opts.partBytes) : null
  // The same two production runs from a steady isolate (--quick: a 20 MB batch shows no step).
  const steady = opts.quick ? null : await medianMemoryRun(opts.memoryRuns, size, opts.level, 'pipeline', undefined, undefined, 'steady')
  const steadyS3 = opts.quick || !s3 ? null : await medianMemoryRun(opts.memoryRuns, size, opts.level, 'pipeline', s3.url, opts.partBytes, 'steady')
  // A peak is the worst moment of a run, and a 1 GB batch runs ten times as long as a 100 MB one:
  // ten 100 MB batches back to back in one steady process give the 100 MB side as many moments.
  const repeat = size === '100MB' && opts.memory.includes('1GB') && !opts.quick ? 10 : 0
  const sequence = repeat ? await medianMemoryRun(opts.memoryRuns, size, opts.level, 'pipeline', undefined, undefined, 'steady', repeat) : null
  const k = size.toLowerCase()
  Object.assign(figures, {
    ...runFigures(m, k),
    [`baseline_rss_mb_${k}`]: round(m.baselineRssMb),
    [`memory_run_events_per_s_${k}`]: round(m.eventsPerS, 0),
    ...runFigures(paced, `${k}_paced_gunzip`),
    ...(toS3 && {
      ...runFigures(toS3, `${k}_s3`),
      [`baseline_rss_mb_${k}_s3`]: round(toS3.baselineRssMb),
      [`memory_run_events_per_s_${k}_s3`]: round(toS3.eventsPerS, 0),
      [`memory_run_objects_${k}_s3`]: toS3.objects,
      [`memory_run_parts_${k}_s3`]: toS3.parts,
    }),
    ...steadyFigures(steady, `${k}_steady`),
    ...steadyFigures(steadyS3, `${k}_s3_steady`),
    ...(sequence && {
      ...steadyFigures(sequence, `${k}_x${repeat}_steady`),
      [`peak_rss_mb_${k}_x${repeat}_steady_each`]: sequence.lapPeaks.map((x) => round(x)),
    }),
  })
  if (sequence) sequence.size = `${size}x${repeat}`
  return [m, paced, toS3, steady, steadyS3, sequence].filter(Boolean)
}

/** The figures every memory run reports, under `key` (the batch size and the run's kind). */
function runFigures(run, key) {
  return (
    run && {
      [`peak_rss_mb_${key}`]: round(run.peakRssOverBaselineMb),
      [`peak_rss_mb_${key}_runs`]: run.rssRuns,
      [`peak_heap_mb_${key}`]: round(run.peakHeapOverBaselineMb),
      [`peak_external_mb_${key}`]: round(run.peakExternalOverBaselineMb),
      [`v8_new_space_mb_${key}`]: run.newSpaceMb.map((x) => round(x)),
    }
  )
}

function steadyFigures(run, key) {
  return (
    run && {
      ...runFigures(run, key),
      [`baseline_rss_mb_${key}`]: round(run.baselineRssMb),
      [`warmup_runs_${key}`]: run.warmups,
    }
  )
}

await main()
