// npm run bench:profile [-- --lines=100000] [--datasets=http_requests,http_requests_rfc3339]
//
// Where the pipeline's time goes, two ways, for each dataset (default: http_requests with unixnano
// numbers and the same events with RFC 3339 strings, which isolates the reviver re-parse):
//
// 1. `node --cpu-prof` on one runPipeline over the batch (a bundle whose JSON.parse/stringify are
//    named probes, see probes.mjs), summarised as top self-time functions and grouped by stage.
//    The profile sees the main thread only: zlib (gunzip, gzip) runs on the libuv pool.
// 2. Stage by stage in isolation on the same lines (CPU ms per 10k events): gunzip, split+decode,
//    JSON.parse, field checks, reviver re-parse, timestamps, IPs, enrich, stringify, gzip at
//    several levels, and the per-line await chain, against the measured pipeline.
//
// Everything is printed; the raw profiles stay in bench/out/profiles/ (open them in Chrome DevTools).

import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import { readManifest } from '../scripts/schema-events.mjs'
import { ensureDataset, SCHEMA_OF } from './generate.mjs'
import { OUT_DIR, PROFILE_BUNDLE, batchContext, buildBundle, fileBody, gc, loadPipeline, pipeline, timed } from './lib.mjs'

const PROFILE_DIR = join(OUT_DIR, 'profiles')
const PROFILE_INTERVAL_US = 250
const LIMITS = { maxDecompressedBytes: 8 * 1024 ** 3, maxLineBytes: 1024 * 1024 }
const GZIP_LEVELS = [1, 3, 4, 5, 6, 9]
const STAGE_BATCH = 1000
const { datasets: SCHEMAS } = readManifest()
/** A dataset's top-level columns of one kind, from its schema: the timestamps, the IP addresses. */
const columnsWhere = (dataset, test) => (SCHEMAS[dataset]?.fields ?? []).filter(test).map((f) => f.name)

function parseArgs(argv) {
  const opts = { lines: 100_000, datasets: ['http_requests', 'http_requests_rfc3339'], level: 6 }
  for (const a of argv) {
    const [k, v] = a.replace(/^--/, '').split('=')
    if (k === 'lines') opts.lines = Number(v)
    else if (k === 'datasets') opts.datasets = v.split(',')
    else if (k === 'level') opts.level = Number(v)
    else if (k === 'cpu-child') opts.cpuChild = v
    else if (k === 'stages-child') opts.stagesChild = v
    else throw new Error(`unknown option ${a}`)
  }
  return opts
}

const log = (m) => process.stderr.write(`${m}\n`)

// ---------------------------------------------------------------------------------------------
// 1. CPU profile

async function cpuChild(dataset, opts) {
  const pipe = await loadPipeline({ probes: true })
  const schema = pipe.schemas.get(SCHEMA_OF[dataset])
  const data = await ensureDataset(dataset, String(opts.lines))
  // The profile's clock is the monotonic one of process.hrtime: the summary keeps only this window,
  // leaving out start-up (module loading, schema compilation).
  const fromUs = Number(process.hrtime.bigint() / 1000n)
  const run = await timed(() => pipeline(pipe.mod, schema, fileBody(data.file), opts.level, LIMITS))
  const toUs = Number(process.hrtime.bigint() / 1000n)
  console.log(JSON.stringify({ wallMs: run.wallMs, cpuMs: run.cpuMs, lines: data.lines, written: run.result.written, fromUs, toUs }))
}

function spawnChild(args, nodeFlags = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
    })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${args.join(' ')} exited with ${code}`))))
  })
}

/** Line ranges of each source module in the bundle, from esbuild's `// src/...` markers. */
function bundleModules() {
  const lines = readFileSync(PROFILE_BUNDLE, 'utf8').split('\n')
  const marks = []
  lines.forEach((l, i) => {
    const m = /^\/\/ ((?:src|bench)\/\S+)$/.exec(l)
    if (m) marks.push({ from: i, file: m[1] })
  })
  return (line) => {
    let file = '(bundle)'
    for (const m of marks) if (m.from <= line) file = m.file
    return file
  }
}

const PROBES = { jsonParse: 'JSON.parse', jsonParseWithReviver: 'JSON.parse with reviver (re-parse)', jsonStringify: 'JSON.stringify' }
const FILE_STAGES = {
  'src/pipeline/decode.ts': 'gunzip: decode stream glue (inflate itself runs on the libuv pool)',
  'src/pipeline/lines.ts': 'line split + UTF-8 decode',
  'src/pipeline/parse.ts': 'EventParser glue',
  'src/pipeline/run.ts': 'runPipeline per-line glue (async/await)',
  'src/pipeline/enrich.ts': 'enrich',
  'src/pipeline/members.ts': 'find members (LineMembers.scan)',
  'src/pipeline/encode.ts': 'splice the output line',
  'src/schema/compile.ts': 'field checks',
  'src/schema/ip.ts': 'field checks: IP canonicalisation (indicators)',
  'src/schema/timestamp.ts': 'timestamp normalisation',
}

const IDLE = 'idle (main thread waiting for zlib / fs threads)'

function stageOf(frame, moduleOf) {
  const { functionName: fn, url, lineNumber } = frame
  if (PROBES[fn]) return PROBES[fn]
  if (fn === 'exactNumbers') return 'JSON.parse with reviver (general way)'
  if (fn === '(garbage collector)') return 'GC'
  if (fn === '(idle)') return IDLE
  if (fn === '(program)' || fn === '(root)') return 'V8 / native, unattributed'
  if (fn === 'runMicrotasks') return 'microtask loop (resuming async functions, promise jobs)'
  // Native frames and Buffer helpers are charged to their caller (the sink's Buffer.from, zlib's allocUnsafe).
  if (url === '' || url === 'node:buffer' || url === 'node:internal/buffer') return null
  if (url.endsWith('pipeline-profile.mjs')) return FILE_STAGES[moduleOf(lineNumber)] ?? `bundle: ${moduleOf(lineNumber)}`
  if (url.endsWith('bench/lib.mjs')) return 'sink: join lines + UTF-8 encode (bench output)'
  if (/zlib/.test(url)) return 'zlib JS glue on the main thread (gzip writes, gunzip callbacks)'
  if (/webstreams/.test(url)) return 'Web Streams machinery (decode, DecompressionStream, toWeb)'
  if (/internal\/(streams|fs)|node:stream|node:fs/.test(url)) return 'Node streams / fs read'
  if (/task_queues|async_hooks|promise/.test(url)) return 'microtask loop (resuming async functions, promise jobs)'
  if (url.startsWith('node:')) return `Node internals (${url})`
  return `other (${url.replace(/^.*node_modules\//, '')})`
}

/** Self time per function and per stage, over the samples taken in [fromUs, toUs]. */
function summariseProfile(file, fromUs, toUs) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const moduleOf = bundleModules()
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const stageOfNode = (id) => {
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const stage = stageOf(byId.get(at).callFrame, moduleOf)
      if (stage !== null) return stage
    }
    return 'V8 / native, unattributed'
  }
  const selfUs = new Map()
  const { samples, timeDeltas } = profile
  let t = profile.startTime
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i]
    if (t < fromUs || t > toUs) continue
    const dt = timeDeltas[i + 1] ?? PROFILE_INTERVAL_US
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt)
  }
  const fns = new Map()
  const stages = new Map()
  let busy = 0
  let idle = 0
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)
    const where = callFrame.url.endsWith('pipeline-profile.mjs') ? moduleOf(callFrame.lineNumber) : callFrame.url.replace(/^.*\/(bench\/)/, '$1')
    const key = `${callFrame.functionName || '(native)'}  ${where || '(native)'}:${callFrame.lineNumber + 1}`
    const stage = stageOfNode(id)
    if (stage === IDLE) {
      idle += us
      continue
    }
    fns.set(key, { us: (fns.get(key)?.us ?? 0) + us, stage })
    stages.set(stage, (stages.get(stage) ?? 0) + us)
    busy += us
  }
  return { busy, idle, fns: [...fns].sort((a, b) => b[1].us - a[1].us), stages: [...stages].sort((a, b) => b[1] - a[1]) }
}

// ---------------------------------------------------------------------------------------------
// 2. Stages in isolation

/** Like the reviver of src/pipeline/parse.ts (not exported there): integers beyond 2^53 as source text, for the timestamp stage. */
function exactNumbers(_key, value, context) {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context.source !== undefined) {
    return JSON.rawJSON(context.source)
  }
  return value
}

async function collectLines(mod, file) {
  const lines = []
  await mod.splitLines(await mod.decodeBody(fileBody(file), LIMITS, { gzip: false, decompressedBytes: 0 }), LIMITS.maxLineBytes, {
    line(text) {
      lines.push(text)
    },
    oversize() {},
  })
  return lines
}

/** CPU ms of a synchronous or asynchronous piece of work (process CPU: includes zlib pool threads). */
async function cpuOf(fn) {
  const r = await timed(fn)
  return r.cpuMs
}

async function stagesChild(dataset, opts) {
  const { mod, schemas } = await loadPipeline()
  const schema = schemas.get(SCHEMA_OF[dataset])
  const data = await ensureDataset(dataset, String(opts.lines))
  const warm = await ensureDataset(dataset, '3000')
  const batch = batchContext(schema.logType)
  const n = data.lines
  const per10k = (ms) => (ms / n) * 1e4
  const tsFields = columnsWhere(SCHEMA_OF[dataset], (f) => f.type === 'timestamp')
  const ipFields = columnsWhere(SCHEMA_OF[dataset], (f) => f.type === 'string' && f.indicators?.includes('ip'))
  const out = {}

  // The whole pipeline, for reference (warm-up first, best of 2 by CPU).
  await pipeline(mod, schema, fileBody(warm.file), opts.level, LIMITS)
  const whole = []
  for (let i = 0; i < 2; i++) whole.push(await timed(() => pipeline(mod, schema, fileBody(data.file), opts.level, LIMITS)))
  out.pipeline = per10k(Math.min(...whole.map((w) => w.cpuMs)))
  out.pipelineWall = per10k(Math.min(...whole.map((w) => w.wallMs)))

  // Decoding: gunzip alone (sync, one thread), then decodeBody + splitLines with a no-op handler.
  const compressed = readFileSync(data.file)
  out.gunzip = per10k(await cpuOf(() => gunzipSync(compressed)))
  const splitOnly = async (handler) =>
    mod.splitLines(await mod.decodeBody(fileBody(data.file), LIMITS, { gzip: false, decompressedBytes: 0 }), LIMITS.maxLineBytes, handler)
  const noop = { line() {}, oversize() {} }
  await splitOnly(noop)
  out.decodeStreamAndSplit = per10k(Math.min(await cpuOf(() => splitOnly(noop)), await cpuOf(() => splitOnly(noop))))
  out.split = out.decodeStreamAndSplit - out.gunzip
  // Parse, check, re-parse, enrich, stringify: in batches of lines, each stage timed over a batch.
  const lines = await collectLines(mod, data.file)

  // The per-line chain of async calls in splitLines + runPipeline (emit -> line -> releaseHeld ->
  // handleLine -> out.event, five awaits), against the same calls made synchronously, with no work
  // inside: what the awaits alone cost per line.
  const sink = { event() {} }
  const asyncChain = async () => {
    const releaseHeld = async () => {}
    const handleLine = async (text) => {
      await sink.event(text)
    }
    const handler = {
      async line(text) {
        await releaseHeld()
        await handleLine(text)
      },
    }
    const emit = async (text) => {
      await handler.line(text)
    }
    for (let i = 0; i < lines.length; i++) await emit(lines[i])
  }
  const syncChain = async () => {
    const releaseHeld = () => {}
    const handleLine = (text) => sink.event(text)
    const handler = {
      line(text) {
        releaseHeld()
        handleLine(text)
      },
    }
    const emit = (text) => handler.line(text)
    for (let i = 0; i < lines.length; i++) emit(lines[i])
  }
  await asyncChain()
  await syncChain()
  const chainMs = []
  for (let i = 0; i < 3; i++) chainMs.push((await timed(asyncChain)).wallMs - (await timed(syncChain)).wallMs)
  out.awaitChain = per10k(Math.min(...chainMs))
  // Per line, as EventParser does it: parse, find the members, check, splice + enrich. Lines that
  // take the general way (a key given twice, a change inside a nested value) are timed whole.
  const ctx = new mod.CheckContext()
  const members = new mod.LineMembers(schema.columns, mod.isPipelineField)
  const enricher = new mod.Enricher(batch)
  const general = new mod.EventParser(schema, batch, { encode: 'serialize' })
  const t = { parse: 0, scan: 0, check: 0, encode: 0, general: 0, timestamps: 0, ips: 0, join: 0 }
  let generalLines = 0
  const outputs = []
  for (let rep = 0; rep < 2; rep++) {
    const r = { parse: 0, scan: 0, check: 0, encode: 0, general: 0, timestamps: 0, ips: 0, join: 0 }
    generalLines = 0
    gc()
    for (let at = 0; at < lines.length; at += STAGE_BATCH) {
      const chunk = lines.slice(at, at + STAGE_BATCH)
      let t0 = performance.now()
      const records = chunk.map((l) => JSON.parse(l))
      r.parse += performance.now() - t0
      const json = []
      for (let i = 0; i < chunk.length; i++) {
        const t1 = performance.now()
        const scanned = members.scan(chunk[i], records[i])
        const t2 = performance.now()
        r.scan += t2 - t1
        let verdict = null
        if (scanned) {
          ctx.reset(members)
          verdict = schema.check(records[i], ctx)
        }
        const t3 = performance.now()
        r.check += t3 - t2
        if (scanned && verdict === null && ctx.spliceable) {
          json.push(mod.encodeSpliced(members, ctx, enricher.fields(ctx, at + i + 1)))
          r.encode += performance.now() - t3
        } else {
          generalLines++
          if (general.parse(chunk[i], at + i + 1)) json.push(general.json)
          r.general += performance.now() - t3
        }
      }

      // Timestamps and IPs alone, on raw values.
      const raw = chunk.map((l) => JSON.parse(l, exactNumbers))
      t0 = performance.now()
      for (const rec of raw) {
        for (const f of tsFields) {
          const v = rec[f]
          if (v === undefined || v === '') continue
          if (JSON.isRawJSON(v)) mod.normalizeTimestamp(0, false, v.rawJSON)
          else mod.normalizeTimestamp(v, f.startsWith('OriginResponseHTTP'))
        }
      }
      r.timestamps += performance.now() - t0
      t0 = performance.now()
      for (const rec of raw) for (const f of ipFields) if (typeof rec[f] === 'string' && rec[f] !== '') mod.canonicalIp(rec[f])
      r.ips += performance.now() - t0

      t0 = performance.now()
      const buf = Buffer.from(`${json.join('\n')}\n`)
      r.join += performance.now() - t0
      if (rep === 0) outputs.push(buf)
    }
    for (const k of Object.keys(t)) t[k] = rep === 0 ? r[k] : Math.min(t[k], r[k])
  }
  for (const [k, v] of Object.entries(t)) out[k] = per10k(v)
  out.generalShare = generalLines / n

  // gzip of the real output, synchronously on this thread, at several levels.
  const outBytes = outputs.reduce((a, b) => a + b.length, 0)
  out.gzip = {}
  for (const level of GZIP_LEVELS) {
    let size = 0
    const ms = await cpuOf(() => {
      for (const b of outputs) size += gzipSync(b, { level }).length
    })
    out.gzip[level] = { cpu10k: per10k(ms), mbPerS: outBytes / 1e6 / (ms / 1000), ratio: outBytes / size, outMb: size / 1e6 }
  }
  out.outMb = outBytes / 1e6
  out.inMb = data.bytes / 1e6
  out.lines = n
  console.log(JSON.stringify(out))
}

// ---------------------------------------------------------------------------------------------

function pct(x, total) {
  return `${((100 * x) / total).toFixed(1)}%`.padStart(6)
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  if (opts.cpuChild) return cpuChild(opts.cpuChild, opts)
  if (opts.stagesChild) return stagesChild(opts.stagesChild, opts)

  await buildBundle()
  await buildBundle({ probes: true })
  mkdirSync(PROFILE_DIR, { recursive: true })
  for (const d of opts.datasets) {
    await ensureDataset(d, String(opts.lines), log)
    await ensureDataset(d, '3000', log)
  }

  const stages = {}
  for (const d of opts.datasets) {
    const name = `${d}-${opts.lines}.cpuprofile`
    const run = await spawnChild(
      [`--cpu-child=${d}`, `--lines=${opts.lines}`, `--level=${opts.level}`],
      ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}`, `--cpu-prof-interval=${PROFILE_INTERVAL_US}`],
    )
    const prof = summariseProfile(join(PROFILE_DIR, name), run.fromUs, run.toUs)
    console.log(
      `\n## CPU profile: ${d}, ${run.lines} lines (run: ${run.wallMs.toFixed(0)} ms wall, ${run.cpuMs.toFixed(0)} ms CPU on all threads, ${run.written} written)`,
    )
    console.log(
      `main thread: ${(prof.busy / 1000).toFixed(0)} ms busy, ${(prof.idle / 1000).toFixed(0)} ms idle; shares are of busy time; gunzip/gzip themselves run on the libuv pool (see the stages below)`,
    )
    console.log('\nby stage (self time; native frames charged to their JavaScript caller):')
    for (const [stage, us] of prof.stages) if (us >= 1000) console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms ${pct(us, prof.busy)}  ${stage}`)
    console.log('\ntop self-time functions:')
    for (const [key, { us, stage }] of prof.fns.slice(0, 25))
      console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms ${pct(us, prof.busy)}  ${key}   [${stage}]`)
    stages[d] = await spawnChild([`--stages-child=${d}`, `--lines=${opts.lines}`, `--level=${opts.level}`])
  }

  const ds = opts.datasets
  const row = (label, get) =>
    console.log(`  ${label.padEnd(58)}${ds.map((d) => (Number.isFinite(get(stages[d])) ? get(stages[d]).toFixed(0) : '-').padStart(24)).join('')}`)
  console.log(`\n## Stages in isolation: CPU ms per 10k events (${opts.lines} lines; best of 2; process CPU)`)
  console.log(`  ${''.padEnd(58)}${ds.map((d) => d.padStart(24)).join('')}`)
  row('gunzip (zlib, sync)', (s) => s.gunzip)
  row('line split + UTF-8 decode (+ Web Streams glue)', (s) => s.split)
  row('per-line async/await chain of runPipeline', (s) => s.awaitChain)
  row('JSON.parse', (s) => s.parse)
  row('find members (LineMembers.scan)', (s) => s.scan)
  row('field checks', (s) => s.check)
  row('  of which timestamp normalisation (alone)', (s) => s.timestamps)
  row('  of which IP canonicalisation (alone)', (s) => s.ips)
  row('enrich + splice the output line', (s) => s.encode)
  row('lines the general way (parse + check + stringify)', (s) => s.general)
  row('join lines + UTF-8 encode (sink)', (s) => s.join)
  row(`gzip level ${opts.level} (sync)`, (s) => s.gzip[opts.level].cpu10k)
  const sum = (s) => s.gunzip + s.split + s.awaitChain + s.parse + s.scan + s.check + s.encode + s.general + s.join + s.gzip[opts.level].cpu10k
  row('sum of stages', sum)
  row('pipeline measured (CPU, all threads)', (s) => s.pipeline)
  row('remainder (GC, streams, sink glue, cache effects)', (s) => s.pipeline - sum(s))
  console.log(`  ${'share of lines the general way'.padEnd(58)}${ds.map((d) => `${(100 * stages[d].generalShare).toFixed(0)}%`.padStart(24)).join('')}`)

  console.log(`\n## gzip level of the output (${ds[0]}, ${stages[ds[0]].outMb.toFixed(0)} MB of enriched NDJSON, sync, one thread)`)
  console.log(`  ${'level'.padStart(5)} ${'CPU ms/10k'.padStart(11)} ${'MB/s'.padStart(7)} ${'ratio'.padStart(6)} ${'out MB'.padStart(7)}`)
  for (const [level, g] of Object.entries(stages[ds[0]].gzip))
    console.log(
      `  ${level.padStart(5)} ${g.cpu10k.toFixed(0).padStart(11)} ${g.mbPerS.toFixed(1).padStart(7)} ${g.ratio.toFixed(1).padStart(6)} ${g.outMb.toFixed(1).padStart(7)}`,
    )
  console.log('')
  console.log(JSON.stringify({ stages }))
}

await main()
