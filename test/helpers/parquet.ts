import * as zlib from 'node:zlib'
import { type FileMetaData, parquetMetadata, parquetReadObjects } from 'hyparquet'
import { expect } from 'vitest'
import { type ColumnField, type ColumnType, ENRICHED_FIELDS, INDICATOR_COLUMNS, type ObjectStorage } from '../../src/ports'
import { bodyChunks, concatBytes } from '../../src/utils/bytes'

const decoder = new TextDecoder()

// hyparquet reads SNAPPY itself; the codecs workerd compresses natively are decompressed natively.
const compressors = {
  ZSTD: (input: Uint8Array) => zlib.zstdDecompressSync(input),
  GZIP: (input: Uint8Array) => zlib.gunzipSync(input),
  BROTLI: (input: Uint8Array) => zlib.brotliDecompressSync(input),
}

// Timestamps as the integer microseconds stored, JSON as its text: nothing rounded on the way.
const parsers = {
  timestampFromMicroseconds: (micros: bigint) => micros,
  jsonFromBytes: (bytes: Uint8Array) => bytes && decoder.decode(bytes),
}

/** A Parquet file read back with a real reader (hyparquet): its rows as objects, and its metadata. */
export async function readParquet(bytes: Uint8Array): Promise<{ rows: Record<string, unknown>[]; metadata: FileMetaData }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  const metadata = parquetMetadata(file, { parsers })
  const rows = await parquetReadObjects({ file, metadata, compressors, parsers })
  return { rows: rows.map((row) => nullish(row) as Record<string, unknown>), metadata }
}

// The reader gives no value as undefined or null depending on the nesting: null throughout.
function nullish(v: unknown): unknown {
  if (v === undefined || v === null) return null
  if (Array.isArray(v)) return v.map(nullish)
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, nullish(x)]))
  }
  return v
}

/** The UTC text of microseconds since the epoch, as the NDJSON writes it cut to microseconds. */
export function microsText(micros: bigint): string {
  const seconds = micros / 1_000_000n - (micros < 0n && micros % 1_000_000n !== 0n ? 1n : 0n)
  const fraction = micros - seconds * 1_000_000n
  // toISOString writes years 1 to 9999 with four digits.
  const iso = new Date(Number(seconds) * 1000).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction.toString().padStart(6, '0')}`
}

/** An object store in memory, with multipart uploads: what a format writer's objects came to. */
export function memoryStorage(): ObjectStorage & { objects: Map<string, { bytes: Uint8Array; headers: Record<string, string> }> } {
  const objects = new Map<string, { bytes: Uint8Array; headers: Record<string, string> }>()
  const uploads = new Map<string, { key: string; headers: Record<string, string>; parts: Map<number, Uint8Array> }>()
  let ids = 0
  const refuse = () => Promise.reject(new Error('not used by format writers'))
  return {
    objects,
    async putObject(key, body, headers = {}) {
      objects.set(key, { bytes: concatBytes(bodyChunks(body)).slice(), headers })
      return `"${key}"`
    },
    putObjectStream: refuse,
    getObject: refuse,
    headObject: refuse,
    deleteObject: async (key) => void objects.delete(key),
    listKeys: refuse,
    async createMultipartUpload(key, headers = {}) {
      const id = `upload-${++ids}`
      uploads.set(id, { key, headers, parts: new Map() })
      return id
    },
    async uploadPart(_key, uploadId, partNumber, body) {
      uploads.get(uploadId)!.parts.set(partNumber, concatBytes(bodyChunks(body)).slice())
      return `"${uploadId}-${partNumber}"`
    },
    async completeMultipartUpload(key, uploadId, parts) {
      const upload = uploads.get(uploadId)!
      objects.set(key, { bytes: concatBytes(parts.map((p) => upload.parts.get(p.partNumber)!)), headers: upload.headers })
      uploads.delete(uploadId)
      return `"${key}"`
    },
    abortMultipartUpload: async (_key, uploadId) => void uploads.delete(uploadId),
  }
}

/** An NDJSON line parsed with every number kept as its text (`{ n: '…' }`), so none is rounded. */
export function exactParse(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown, ctx: JSONReviverContext) => (typeof v === 'number' ? { n: exactNumber(ctx.source ?? String(v)) } : v))
}

/** A number's text by the exact value it stands for: `1e2`, `100` and `100.0` alike. */
function exactNumber(text: string): string {
  if (/^-?\d+$/.test(text)) return BigInt(text).toString()
  const n = Number(text)
  return Number.isInteger(n) && Number.isFinite(n) ? BigInt(n).toString() : String(n)
}

/**
 * A value of the NDJSON line (`side: 'ndjson'`, from `exactParse`) or of the Parquet row
 * (`'parquet'`, from `readParquet`) in one form, guided by the column's type: timestamps to the
 * microsecond, numbers by exact value, JSON parsed, no value as null. Members a struct does not
 * type are left out: they are in p_unknown_fields (see `unknownOf`).
 */
export function canonical(value: unknown, type: ColumnType, side: 'ndjson' | 'parquet'): unknown {
  if (value === null || value === undefined) return null
  switch (type.type) {
    case 'timestamp':
      return side === 'ndjson' ? (value as string).slice(0, 26) : microsText(value as bigint)
    case 'bigint':
    case 'int':
    case 'smallint':
    case 'float':
      return side === 'ndjson' ? value : { n: exactNumber(String(value)) }
    case 'json':
      return side === 'ndjson' ? value : exactParse(value as string)
    case 'string':
    case 'boolean':
      return value
    case 'array':
      return (value as unknown[]).map((v) => canonical(v, type.element, side))
    case 'object': {
      const record = value as Record<string, unknown>
      if ('fields' in type) return Object.fromEntries(type.fields.map((f) => [f.name, canonical(record[f.name], f, side)]))
      return Object.fromEntries(Object.keys(record).map((k) => [k, canonical(record[k], type.element, side)]))
    }
  }
}

/** What of an NDJSON value its type has no place for, at its own path (null where an array's element has none). */
export function unknownOf(value: unknown, type: ColumnType): unknown {
  if (value === null || typeof value !== 'object') return undefined
  if (type.type === 'array') {
    const inner = (value as unknown[]).map((v) => unknownOf(v, type.element))
    return inner.some((v) => v !== undefined) ? inner.map((v) => v ?? null) : undefined
  }
  if (type.type !== 'object') return undefined
  const record = value as Record<string, unknown>
  const out: [string, unknown][] = []
  for (const key of Object.keys(record)) {
    const field = 'fields' in type ? type.fields.find((f) => f.name === key) : type.element
    const r = field === undefined ? record[key] : unknownOf(record[key], field)
    if (r !== undefined) out.push([key, r])
  }
  return out.length ? Object.fromEntries(out) : undefined
}

const ENRICHED = new Set<string>(ENRICHED_FIELDS)

/**
 * Expects a Parquet row to hold what its NDJSON line holds: each schema column (by its type, see
 * `canonical`), the standard fields (times to the microsecond), and in p_unknown_fields the
 * fields the schema lacks and what its structs lack. `line` is the line's text.
 */
export function expectRowMatchesLine(row: Record<string, unknown>, line: string, fields: readonly ColumnField[], label: string): void {
  const nd = exactParse(line) as Record<string, unknown>
  const got: Record<string, unknown> = {}
  const want: Record<string, unknown> = {}
  for (const f of fields) {
    got[f.name] = canonical(row[f.name], f, 'parquet')
    want[f.name] = canonical(nd[f.name], f, 'ndjson')
  }
  for (const name of ['p_log_type', 'p_row_id', 'p_source_id', 'p_source_label']) {
    got[name] = row[name]
    want[name] = nd[name]
  }
  for (const name of ['p_event_time', 'p_parse_time']) {
    got[name] = microsText(row[name] as bigint)
    want[name] = (nd[name] as string).slice(0, 26)
  }
  for (const name of INDICATOR_COLUMNS) {
    got[name] = row[name]
    want[name] = nd[name] ?? null
  }
  const unknown: [string, unknown][] = []
  for (const key of Object.keys(nd)) {
    if (ENRICHED.has(key)) continue
    const field = fields.find((f) => f.name === key)
    const r = field ? unknownOf(nd[key], field) : nd[key]
    if (r !== undefined) unknown.push([key, r])
  }
  got.p_unknown_fields = row.p_unknown_fields === null ? null : exactParse(row.p_unknown_fields as string)
  want.p_unknown_fields = unknown.length ? Object.fromEntries(unknown) : null
  expect(got, label).toEqual(want)
}
