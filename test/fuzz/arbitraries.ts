// fast-check generators for the pipeline fuzzer: valid Logpush batches from fixtures/, then
// mutations at the level of lines, fields, bytes, encoding and chunking.
import fc from 'fast-check'
import { knownDatasets } from '../../src/schema/registry'
import { fixture, FORMATS } from '../helpers/fixtures'

/** One fixture of each dataset of the manifest (the formats taken in turn), the two-hour batch and the bad lines. */
export const FIXTURES = [
  ...knownDatasets().map((dataset, i) => ({ dataset, file: `${dataset}.${FORMATS[i % FORMATS.length]}.ndjson` })),
  { dataset: 'http_requests', file: 'http_requests.two-hours.ndjson' },
  { dataset: 'http_requests', file: 'bad-lines.ndjson' },
].map((f) => ({
  dataset: f.dataset,
  lines: fixture(f.file)
    .split('\n')
    .filter((l) => l !== ''),
}))

const MAX_LINES = 8

/** JSON text for a field value: ordinary values, edge values of every column type, deep nesting. */
export const rawValue: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 2 }),
  fc.constantFrom(
    'null',
    '""',
    'true',
    'false',
    '0',
    '-0',
    '1.5',
    '-1',
    '1e3',
    '1e400',
    '-1.5E+999',
    '1e-400',
    '9007199254740993',
    '18446744073709551616',
    '99999999999999999999',
    '-9223372036854775809',
    '9223372036854775807',
    '"2022-05-25T13:25:26Z"',
    '"2022-05-25T13:25:26.123456789+09:30"',
    '"0001-01-01T00:00:00Z"',
    '"9999-12-31T23:59:59.999999999Z"',
    '"0000-01-01T00:00:00Z"',
    '"10000-01-01T00:00:00Z"',
    '1653484780897169842',
    '1653484780',
    '"1653484780123"',
    '"Thu, 21 May 2022 11:17:33 GMT"',
    '"2001:DB8::1"',
    '"192.0.2.1"',
    '"a@b.example"',
    '"00"',
    '[]',
    '{}',
    '[null]',
    '{"a":{}}',
    '"\\u0000"',
    '"\\ud800"',
    '"é日本🎉"',
  ),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
)

/** A whole line that is not from a fixture. */
const foreignLine: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '   ', '\t', '{"content":"tests"}', '{', '}', 'null', '[1,2]', '{"a":1}{"b":2}', '\uFEFF{}', '{}'),
)

type LineOp =
  | { op: 'set'; line: number; key: number; keyName: string | null; value: string }
  | { op: 'removeKey'; line: number; key: number }
  | { op: 'delete'; line: number }
  | { op: 'duplicate'; line: number }
  | { op: 'swap'; a: number; b: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'cut'; line: number; at: number }

const lineOp: fc.Arbitrary<LineOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      line: fc.nat(),
      key: fc.nat(),
      keyName: fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'p_row_id', 'p_event_time', 'NewField', '') },
      ),
      value: rawValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeKey' as const), line: fc.nat(), key: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: foreignLine }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), line: fc.nat(), at: fc.nat() }) },
)

/** Sets `key` of a JSON object line to raw JSON text `value`, keeping the other keys in order. */
function setField(line: string, keyIndex: number, keyName: string | null, value: string): string {
  try {
    const record = JSON.parse(line) as unknown
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return line
    const keys = Object.keys(record)
    const key = keyName ?? keys[keyIndex % Math.max(1, keys.length)] ?? 'Empty'
    const marker = '\u0001fuzz-value\u0001'
    ;(record as Record<string, unknown>)[key] = marker
    return JSON.stringify(record).replace(JSON.stringify(marker), () => value)
  } catch {
    // Not JSON, or (after an earlier mutation) nested too deeply for JSON.stringify: left as it is.
    return line
  }
}

function removeKey(line: string, keyIndex: number): string {
  try {
    const record = JSON.parse(line) as Record<string, unknown>
    const keys = Object.keys(record)
    if (keys.length === 0) return line
    delete record[keys[keyIndex % keys.length]!]
    return JSON.stringify(record)
  } catch {
    return line
  }
}

/** Up to six value changes to a fixture's lines, reserved and odd key names among them: for tests that compare two readings of the same line. */
export const valueSets: fc.Arbitrary<LineOp[]> = fc.array(
  fc.record({
    op: fc.constant('set' as const),
    line: fc.nat(),
    key: fc.nat(),
    keyName: fc.option<string>(fc.constantFrom('__proto__', 'p_row_id', 'p_event_time', 'p_any_emails', 'p_x', 'NewField', ''), { freq: 4 }),
    value: rawValue,
  }),
  { maxLength: 6 },
)

export function applyLineOps(lines: string[], ops: LineOp[]): string[] {
  const out = [...lines]
  for (const o of ops) {
    const n = out.length
    switch (o.op) {
      case 'set':
        if (n) out[o.line % n] = setField(out[o.line % n]!, o.key, o.keyName, o.value)
        break
      case 'removeKey':
        if (n) out[o.line % n] = removeKey(out[o.line % n]!, o.key)
        break
      case 'delete':
        if (n) out.splice(o.line % n, 1)
        break
      case 'duplicate':
        if (n) out.splice(o.line % n, 0, out[o.line % n]!)
        break
      case 'swap':
        if (n) [out[o.a % n], out[o.b % n]] = [out[o.b % n]!, out[o.a % n]!]
        break
      case 'insert':
        out.splice(o.at % (n + 1), 0, o.text)
        break
      case 'cut':
        if (n) out[o.line % n] = out[o.line % n]!.slice(0, o.at % (out[o.line % n]!.length + 1))
    }
  }
  return out
}

export type ByteOp = { op: 'flip'; at: number; bit: number } | { op: 'insert'; at: number; bytes: Uint8Array } | { op: 'truncate'; at: number }

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
)

export function applyByteOps(data: Uint8Array, ops: ByteOp[]): Uint8Array {
  let out = data
  for (const o of ops) {
    const n = out.byteLength
    if (o.op === 'flip') {
      if (n === 0) continue
      out = out.slice()
      out[o.at % n] = out[o.at % n]! ^ (1 << o.bit)
    } else if (o.op === 'insert') {
      const at = o.at % (n + 1)
      const next = new Uint8Array(n + o.bytes.byteLength)
      next.set(out.subarray(0, at))
      next.set(o.bytes, at)
      next.set(out.subarray(at), at + o.bytes.byteLength)
      out = next
    } else {
      out = out.slice(0, o.at % (n + 1))
    }
  }
  return out
}

export interface FuzzInput {
  fixture: number
  from: number
  count: number
  lineOps: LineOp[]
  newline: '\n' | '\r\n'
  finalNewline: boolean
  bom: boolean
  /** Mutations of the NDJSON bytes (before any compression). */
  plainOps: ByteOp[]
  encoding: 'plain' | 'gzip' | 'gzip-members'
  /** Where a gzip-members body is split into members (fractions of its length, in per mille). */
  memberCuts: number[]
  /** Mutations of the compressed bytes. */
  gzipOps: ByteOp[]
  /** Where the body stream is cut into chunks (per mille of its length). */
  cuts: number[]
  /** Where the source fails (per mille of the body's length): the client went away. */
  sourceFailsAt: number | null
  maxLineBytes: number
  maxDecompressedBytes: number
}

export const fuzzInput: fc.Arbitrary<FuzzInput> = fc.record({
  fixture: fc.nat({ max: FIXTURES.length - 1 }),
  from: fc.nat(),
  count: fc.integer({ min: 0, max: MAX_LINES }),
  lineOps: fc.array(lineOp, { maxLength: 6 }),
  newline: fc.constantFrom('\n' as const, '\r\n' as const),
  finalNewline: fc.boolean(),
  bom: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  plainOps: fc.oneof({ weight: 3, arbitrary: fc.constant<ByteOp[]>([]) }, { weight: 1, arbitrary: fc.array(byteOp, { minLength: 1, maxLength: 3 }) }),
  encoding: fc.constantFrom('plain' as const, 'gzip' as const, 'gzip-members' as const),
  memberCuts: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 }),
  gzipOps: fc.oneof({ weight: 9, arbitrary: fc.constant<ByteOp[]>([]) }, { weight: 1, arbitrary: fc.array(byteOp, { minLength: 1, maxLength: 2 }) }),
  cuts: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 8 }),
  sourceFailsAt: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }) }),
  maxLineBytes: fc.constantFrom(1 << 20, 1 << 20, 4096, 512, 64),
  maxDecompressedBytes: fc.oneof({ weight: 9, arbitrary: fc.constant(64 << 20) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 8192 }) }),
})
