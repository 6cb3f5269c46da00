import * as zlib from 'node:zlib'
import { type FileMetaData, parquetMetadata, parquetReadObjects } from 'hyparquet'
import type { ObjectStorage } from '../../src/ports'
import { concatBytes } from '../../src/utils/bytes'

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
      objects.set(key, { bytes: body.slice(), headers })
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
      uploads.get(uploadId)!.parts.set(partNumber, body.slice())
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
