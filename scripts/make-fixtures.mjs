// Writes Logpush batches to fixtures/, generated from the schema manifest (scripts/schema-events.mjs):
// every dataset in every timestamp format (<dataset>.<format>.ndjson, plain and gzip), plus a
// http_requests batch spanning two hours, the destination check and a set of bad lines.
// Deterministic: seeded by dataset name, fixed instants, gzip without a timestamp.
//   npm run fixtures              writes the files (and removes those of datasets no longer served)
//   npm run fixtures -- --check   fails when fixtures/ differs from what it would write (CI)
//   --manifest <file>  --out <dir>   another manifest or folder (the tests' throwaway schema)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import { eventMaker, FORMATS, MANIFEST_FILE, ndjsonLine, prng, readManifest, seedOf } from './schema-events.mjs'

const FIXTURES_DIR = fileURLToPath(new URL('../fixtures', import.meta.url))
const LINES = 20
// 2022-05-25 13:02:00 UTC: every batch but the two-hour one stays inside hour 13.
const BASE_SECONDS = 1653483720n
const NS = 1_000_000_000n
/** The per-dataset files' names: what a dataset that left the manifest leaves behind. */
const DATASET_FILE = new RegExp(`^[a-z][a-z0-9_]*\\.(${FORMATS.join('|')})\\.ndjson(\\.gz)?$`)

/** A batch: the same events at the same instants in every format (each at its own precision). */
function batch(schema, format, count, spanSeconds, seed = seedOf(schema.dataset)) {
  const r = prng(seed)
  const make = eventMaker(schema)
  const out = []
  for (let i = 0; i < count; i++) {
    const ns = (BASE_SECONDS + BigInt(Math.floor((i * spanSeconds) / count))) * NS + BigInt(r.int(0, 999_999_999))
    out.push(ndjsonLine(make(r, ns, format)))
  }
  return `${out.join('\n')}\n`
}

function badLines(http) {
  const r = prng(404)
  const make = eventMaker(http)
  const good = () => make(r, (BASE_SECONDS + BigInt(r.int(0, 3000))) * NS + BigInt(r.int(0, 999_999_999)), 'unixnano')
  const without = (event, key) => {
    const { [key]: _, ...rest } = event
    return rest
  }
  // One bad line of each kind, between good ones; the test names the reason of each.
  return `${[
    ndjsonLine(good()),
    ndjsonLine(good()).slice(0, 180), // not JSON: cut off mid-line
    '["EdgeStartTimestamp",1653485126000000000]', // not an object
    ndjsonLine(without(good(), 'EdgeStartTimestamp')), // the required field is missing
    ndjsonLine({ ...good(), EdgeStartTimestamp: 'yesterday' }), // bad timestamp
    ndjsonLine({ ...good(), ClientSrcPort: '443/tcp' }), // bad int
    ndjsonLine({ ...good(), EdgeResponseStatus: 70000 }), // smallint out of range
    ndjsonLine(good()),
    ndjsonLine({ ...good(), CacheTieredFill: 'yes' }), // bad boolean
    ndjsonLine({ ...good(), BotTags: ['googlebot', { name: 'bing' }] }), // bad array element
    ndjsonLine({ ...good(), EdgeResponseCompressionRatio: 'n/a' }), // bad float
    ndjsonLine({ ...good(), ZoneID: 1.5 }), // fractional bigint
    ndjsonLine({ ...good(), ZoneID: '9223372036854775808' }), // bigint beyond int64
    ndjsonLine({ ...good(), ClientIP: { v4: '192.0.2.1' } }), // object for a string
    ndjsonLine({ ...good(), EdgeStartTimestamp: 'Wed, 25 May 2022 13:25:26 GMT' }), // HTTP-date outside the header columns
    ndjsonLine({ ...good(), EdgeStartTimestamp: '' }), // empty event time
    ndjsonLine({ ...good(), EdgeStartTimestamp: '2022-02-30T10:00:00Z' }), // no such day
    ndjsonLine({ ...good(), ClientSrcPort: 3000000000 }), // int out of range
    '',
    ndjsonLine(good()),
  ].join('\n')}\n`
}

/** Every fixture file: name -> bytes. */
export function fixtureFiles(manifest) {
  const texts = new Map()
  for (const schema of Object.values(manifest.datasets)) {
    for (const format of FORMATS) texts.set(`${schema.dataset}.${format}.ndjson`, batch(schema, format, LINES, 3000))
  }
  const http = manifest.datasets.http_requests
  if (http) {
    // 13:02 to 14:52: two hours, two partitions.
    texts.set('http_requests.two-hours.ndjson', batch(http, 'unixnano', LINES, 6600, 99))
    texts.set('bad-lines.ndjson', badLines(http))
  }
  const files = new Map()
  for (const [name, text] of texts) {
    files.set(name, Buffer.from(text))
    if (name !== 'bad-lines.ndjson') files.set(`${name}.gz`, gzipSync(text, { level: 9 }))
  }
  files.set('validation.json.gz', gzipSync('{"content":"tests"}', { level: 9 }))
  return files
}

/** Whether the file on disk holds `data`; gzip files by content, as another zlib may compress the same text differently. */
function unchanged(file, data) {
  let onDisk
  try {
    onDisk = readFileSync(file)
  } catch {
    return false
  }
  return file.endsWith('.gz') ? gunzipSync(onDisk).equals(gunzipSync(data)) : onDisk.equals(data)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const option = (flag, fallback) => (args.includes(flag) ? path.resolve(args[args.indexOf(flag) + 1]) : fallback)
  const check = args.includes('--check')
  const out = option('--out', FIXTURES_DIR)
  const files = fixtureFiles(readManifest(option('--manifest', MANIFEST_FILE)))
  mkdirSync(out, { recursive: true })
  const leftOver = readdirSync(out).filter((f) => DATASET_FILE.test(f) && !files.has(f))
  const rel = (f) => path.relative(process.cwd(), path.join(out, f))
  if (check) {
    const stale = []
    for (const [name, data] of files) if (!unchanged(path.join(out, name), data)) stale.push(`stale: ${rel(name)}`)
    for (const f of leftOver) stale.push(`not generated (its dataset has no schema): ${rel(f)}`)
    if (stale.length > 0) {
      for (const s of stale) console.error(s)
      console.error(`${stale.length} fixture file(s) differ from what scripts/make-fixtures.mjs writes: run npm run fixtures`)
      process.exit(1)
    }
    console.log(`fixtures are up to date (${files.size} files)`)
  } else {
    for (const [name, data] of files) if (!unchanged(path.join(out, name), data)) writeFileSync(path.join(out, name), data)
    for (const f of leftOver) rmSync(path.join(out, f))
    console.log(`${files.size} fixture files in ${path.relative(process.cwd(), out) || '.'}${leftOver.length > 0 ? `; removed ${leftOver.join(', ')}` : ''}`)
  }
}
