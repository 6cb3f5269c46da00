// Shared parts of the benchmark: the bundled pipeline, the gzip null sink, the S3 sink on a local
// server, the floor, timing.

import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createGzip } from 'node:zlib'
import { freePort } from '../scripts/free-port.mjs'
import { ACCESS_KEY_ID, BUCKET, SECRET_ACCESS_KEY, startS3Server } from '../scripts/s3-server.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
export const OUT_DIR = join(HERE, 'out')
const BUNDLE = join(OUT_DIR, 'pipeline.mjs')
const SINK_BUNDLE = join(OUT_DIR, 'sink.mjs')
export const PROFILE_BUNDLE = join(OUT_DIR, 'pipeline-profile.mjs')
/** Output is handed to gzip in pieces of about this many characters (like a sink filling a part). */
const SINK_FLUSH_CHARS = 128 * 1024
const READ_CHUNK_BYTES = 64 * 1024

/**
 * Bundles bench/entry.ts (the pipeline and the schema manifest, which bench/generate.mjs rebuilds
 * from schemas/ when it loads) for Node with esbuild. With `probes`, the profiling variant:
 * JSON.parse/stringify go through named functions (bench/probes.mjs).
 */
export async function buildBundle({ probes = false } = {}) {
  const outfile = probes ? PROFILE_BUNDLE : BUNDLE
  await bundle(
    'entry.ts',
    outfile,
    probes && {
      define: { 'JSON.parse': 'benchJsonParse', 'JSON.stringify': 'benchJsonStringify' },
      inject: [join(HERE, 'probes.mjs')],
    },
  )
  return outfile
}

/** Bundles bench/entry-sink.ts: the service's S3 sink and config, for the S3 runs. */
export async function buildSinkBundle() {
  await bundle('entry-sink.ts', SINK_BUNDLE)
}

async function bundle(entry, outfile, options) {
  const esbuild = await import('esbuild')
  await esbuild.build({
    entryPoints: [join(HERE, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Packages load from node_modules as they are; only our TypeScript (and the manifest) is bundled.
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
    ...options,
  })
}

/** The bundled pipeline module and its schemas by dataset (the registry, compiled on first use). */
export async function loadPipeline({ probes = false } = {}) {
  const mod = await import(pathToFileURL(probes ? PROFILE_BUNDLE : BUNDLE).href)
  return { mod, schemas: mod.schemas() }
}

/** A gzip file as a Web stream, read from disk in 64 KiB pieces: never the whole file in memory. */
export function fileBody(file) {
  return Readable.toWeb(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }))
}

/**
 * The same file, gunzipped here with one awaited write at a time, so that no more compressed input
 * is read than zlib has taken. `body.pipeThrough(new DecompressionStream('gzip'))` in Node 22 does
 * not hold back: the writable side's high-water mark is 65536 chunks, so pipeTo reads the whole
 * compressed body ahead of a slower consumer. The memory runs use this to tell that apart from the
 * rest of the pipeline (runPipeline sees plain NDJSON and passes it through).
 */
export function pacedGunzipBody(file) {
  const source = fileBody(file).getReader()
  const gunzip = new DecompressionStream('gzip')
  const writer = gunzip.writable.getWriter()
  const feed = async () => {
    for (;;) {
      const { done, value } = await source.read()
      if (done) return writer.close()
      await writer.write(value)
    }
  }
  feed().catch((err) => writer.abort(err))
  return gunzip.readable
}

export function batchContext(logType) {
  return {
    batchId: '9f2c4e1ab37d5c08e6f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7',
    logType,
    parseTime: '2026-11-25 10:05:00.000000000',
    sourceId: 'bench-source',
    sourceLabel: 'bench',
  }
}

/**
 * One gzip stream whose output is counted and dropped. Lines are joined into pieces before they go
 * to zlib; `line` returns a promise only when zlib asks the writer to wait.
 */
export class GzipNull {
  bytesIn = 0
  bytesOut = 0
  #parts = []
  #chars = 0
  #gz
  #ended

  constructor(level) {
    this.#gz = createGzip({ level })
    this.#gz.on('data', (c) => {
      this.bytesOut += c.length
    })
    this.#ended = once(this.#gz, 'end')
  }

  line(text) {
    this.#parts.push(text)
    this.#chars += text.length + 1
    if (this.#chars >= SINK_FLUSH_CHARS) return this.flush()
  }

  flush() {
    if (this.#parts.length === 0) return
    const buf = Buffer.from(`${this.#parts.join('\n')}\n`)
    this.#parts = []
    this.#chars = 0
    this.bytesIn += buf.length
    if (!this.#gz.write(buf)) return once(this.#gz, 'drain')
  }

  async end() {
    await this.flush()
    this.#gz.end()
    await this.#ended
  }
}

/** The pipeline's BatchOutput for the bench: one GzipNull per partition, one for quarantine. */
export class NullOutput {
  partitions = new Map()
  quarantined = 0
  firstQuarantine = ''
  #level
  #lastKey = ''
  #last = null
  #quarantine = null

  constructor(level) {
    this.#level = level
  }

  event(partition, event) {
    if (partition !== this.#lastKey) {
      let sink = this.partitions.get(partition)
      if (!sink) this.partitions.set(partition, (sink = new GzipNull(this.#level)))
      this.#last = sink
      this.#lastKey = partition
    }
    return this.#last.line(event.json)
  }

  quarantine(record) {
    this.quarantined++
    if (this.firstQuarantine === '') this.firstQuarantine = record.slice(0, 300)
    this.#quarantine ??= new GzipNull(this.#level)
    return this.#quarantine.line(record)
  }

  async end() {
    for (const sink of this.partitions.values()) await sink.end()
    if (this.#quarantine) await this.#quarantine.end()
  }

  get bytesOut() {
    let n = this.#quarantine?.bytesOut ?? 0
    for (const s of this.partitions.values()) n += s.bytesOut
    return n
  }
}

/**
 * The floor: what any receiver must at least do. gunzip -> split lines -> JSON.parse ->
 * JSON.stringify -> gzip at the same level, no schema work, with the same platform pieces the
 * pipeline uses (DecompressionStream, TextDecoder) and the same gzip sink.
 */
export async function floor(body, level) {
  const reader = body.pipeThrough(new DecompressionStream('gzip')).getReader()
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const out = new GzipNull(level)
  let events = 0
  let bytes = 0
  let carry = ''
  const take = async (text) => {
    const lines = text.split('\n')
    carry = lines.pop()
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]
      if (line.length === 0) continue
      events++
      const wait = out.line(JSON.stringify(JSON.parse(line)))
      if (wait) await wait
    }
  }
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    await take(carry + decoder.decode(value, { stream: true }))
  }
  await take(`${carry}${decoder.decode()}\n`)
  await out.end()
  return { events, written: events, quarantined: 0, decompressedBytes: bytes, bytesOut: out.bytesOut, partitions: 1 }
}

/**
 * The physical limit beside the floor: gunzip and gzip the same bytes at the same level, nothing
 * between. Any receiver that writes gzip pays at least this; a pipeline at a ratio near 1 to it
 * spends almost nothing on its own work.
 */
export async function compressOnly(body, level) {
  const reader = body.pipeThrough(new DecompressionStream('gzip')).getReader()
  const gz = createGzip({ level })
  let bytesOut = 0
  gz.on('data', (c) => {
    bytesOut += c.length
  })
  const ended = once(gz, 'end')
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    if (!gz.write(value)) await once(gz, 'drain')
  }
  gz.end()
  await ended
  return { decompressedBytes: bytes, bytesOut }
}

/** The pipeline into the gzip null sink. */
export async function pipeline(mod, schema, body, level, limits) {
  const out = new NullOutput(level)
  const counts = await mod.runPipeline(body, schema, batchContext(schema.logType), limits, out)
  await out.end()
  return { ...counts, bytesOut: out.bytesOut, partitions: out.partitions.size, firstQuarantine: out.firstQuarantine }
}

/**
 * The local S3 server `npm start` runs (s3rver: bucket and keys as there) on a free loopback port,
 * its data in a temp directory that `close` removes.
 */
export async function startLocalS3() {
  const directory = await mkdtemp(join(tmpdir(), 'logpush-edge-bench-s3-'))
  const removeDir = () => rm(directory, { recursive: true, force: true })
  try {
    const server = await startS3Server({ host: '127.0.0.1', port: await freePort(), directory, silent: true })
    return { url: server.url, close: () => server.close().then(removeDir) }
  } catch (err) {
    await removeDir()
    throw err
  }
}

/**
 * The sink bundle and a service config for the S3 server at `endpoint`: the service's defaults
 * (S3_PART_BYTES unless `partBytes` is given) at the bench's gzip level. The batch budget stays at
 * its default: it counts waits on storage, not the batch's CPU, so a 1M-line batch that takes
 * minutes here is stored as the service would store it.
 */
export async function loadSink(endpoint, partBytes, level) {
  const sink = await import(pathToFileURL(SINK_BUNDLE).href)
  const defaults = sink.configSchema.parse({
    S3_ENDPOINT: endpoint,
    S3_REGION: 'us-east-1',
    S3_BUCKET: BUCKET,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    INGEST_TOKEN: 'bench-token',
    GZIP_LEVEL: String(level),
    ...(partBytes && { S3_PART_BYTES: partBytes }),
  })
  // One config object for the whole process: the service keeps one S3 client per config.
  return { ...sink, config: defaults }
}

/**
 * The pipeline into the service's S3 sink, wired as src/ingest/batch.ts wires it (stores made per batch,
 * so the batch's S3 deadline starts here; the contract's keys; the batch context), without the
 * body spool: one gzip NDJSON object per partition, a single PUT up to S3_PART_BYTES, multipart
 * past it; with `parquetCodec`, Parquet objects with that page codec instead. Resolves once every
 * object is stored. The same keys every time, as a retried batch.
 */
export async function s3Pipeline(mod, sink, schema, body, limits, parquetCodec) {
  const batch = batchContext(schema.logType)
  const layout = { dataset: schema.dataset, table: schema.table, day: batch.parseTime.slice(0, 10), batchId: batch.batchId }
  const stores = parquetCodec ? sink.s3ParquetStores(sink.config, parquetCodec) : sink.s3Stores(sink.config)
  const store = stores.output(layout)
  const stored = []
  const out = new sink.PartitionedOutput({
    ...store,
    open: (keys) => keepingResult(store.open(keys), 'write', stored),
    openQuarantine: (key) => keepingResult(store.openQuarantine(key), 'writeLine', stored),
  })
  try {
    const counts = await mod.runPipeline(body, schema, batch, limits, out)
    await out.close()
    return {
      ...counts,
      bytesOut: stored.reduce((n, o) => n + o.bytes, 0),
      objects: stored.length,
      parts: stored.reduce((n, o) => n + o.parts, 0),
    }
  } catch (err) {
    await out.abort()
    throw err
  }
}

/**
 * `writer`, with what its close() stored (bytes; 1 for a single PUT, else the parts) kept in
 * `results`; its held bytes and suspend() as they are, so the output decides as the service's does.
 */
function keepingResult(writer, write, results) {
  return {
    [write]: writer[write].bind(writer),
    get held() {
      return writer.held
    },
    suspend: () => writer.suspend(),
    close: async () => {
      const result = await writer.close()
      results.push(...[result].flat())
      return result
    },
    abort: () => writer.abort(),
  }
}

let gcFn
/** A full GC between runs, so one run's garbage is not collected on the next one's clock. */
export function gc() {
  if (!gcFn) {
    setFlagsFromString('--expose-gc')
    gcFn = runInNewContext('gc')
  }
  gcFn()
}

/** Runs `fn` once after a GC; wall ms and process CPU ms (all threads: zlib runs on the libuv pool). */
export async function timed(fn) {
  gc()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const result = await fn()
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, result }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
