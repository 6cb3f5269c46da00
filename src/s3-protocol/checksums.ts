/**
 * Incremental checksums for S3's flexible checksums (`x-amz-checksum-*`), fed chunk by chunk as
 * a body streams, and the MD5 of Content-MD5. CRC-32 and MD5 come from node:zlib and node:crypto
 * (workerd implements both natively); CRC-32C and CRC-64/NVME, which neither platform offers, are
 * table-driven here; SHA-1/SHA-256 go through workerd's DigestStream.
 */

import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { bodyChunks } from '../utils/bytes'

export type ChecksumAlgorithm = 'crc32' | 'crc32c' | 'crc64nvme' | 'sha1' | 'sha256'

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256']

export interface IncrementalChecksum {
  update(chunk: Uint8Array): void | Promise<void>
  /** The raw digest bytes (big-endian for CRCs), as S3 base64-encodes them. */
  digest(): Promise<Uint8Array>
}

function crc32Table(poly: number): Uint32Array {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
}

function bigEndian32(value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value >>> 0)
  return out
}

function crc32Checksum(): IncrementalChecksum {
  let crc = 0
  return {
    update(chunk) {
      crc = crc32(chunk, crc)
    },
    digest: async () => bigEndian32(crc),
  }
}

// CRC-32C (Castagnoli), reflected polynomial.
const CRC32C = crc32Table(0x82f63b78)

function crc32c(): IncrementalChecksum {
  let crc = 0xffffffff
  return {
    update(chunk) {
      for (let i = 0; i < chunk.length; i++) crc = CRC32C[(crc ^ chunk[i]!) & 0xff]! ^ (crc >>> 8)
    },
    digest: async () => bigEndian32(crc ^ 0xffffffff),
  }
}

// CRC-64/NVME, reflected polynomial 0x9a6c9329ac4bc9b5, held as two 32-bit halves: BigInt per
// byte would be an order of magnitude slower.
const CRC64_HI = new Uint32Array(256)
const CRC64_LO = new Uint32Array(256)
{
  const polyHi = 0x9a6c9329
  const polyLo = 0xac4bc9b5
  for (let n = 0; n < 256; n++) {
    let hi = 0
    let lo = n
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0
      hi = hi >>> 1
      if (carry) {
        hi = (hi ^ polyHi) >>> 0
        lo = (lo ^ polyLo) >>> 0
      }
    }
    CRC64_HI[n] = hi
    CRC64_LO[n] = lo
  }
}

function crc64nvme(): IncrementalChecksum {
  let hi = 0xffffffff
  let lo = 0xffffffff
  return {
    update(chunk) {
      for (let i = 0; i < chunk.length; i++) {
        const index = (lo ^ chunk[i]!) & 0xff
        lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[index]!) >>> 0
        hi = ((hi >>> 8) ^ CRC64_HI[index]!) >>> 0
      }
    },
    async digest() {
      const out = new Uint8Array(8)
      const view = new DataView(out.buffer)
      view.setUint32(0, (hi ^ 0xffffffff) >>> 0)
      view.setUint32(4, (lo ^ 0xffffffff) >>> 0)
      return out
    },
  }
}

/** A streaming digest over workerd's `crypto.DigestStream` (SHA-1, SHA-256, MD5). */
export function streamingDigest(algorithm: 'MD5' | 'SHA-1' | 'SHA-256'): IncrementalChecksum {
  const stream = new crypto.DigestStream(algorithm)
  const writer = stream.getWriter()
  return {
    update: (chunk) => writer.write(chunk),
    async digest() {
      await writer.close()
      return new Uint8Array(await stream.digest)
    },
  }
}

/**
 * A fresh checksum for one of S3's algorithms.
 * @example const sum = createChecksum('crc32'); sum.update(bytes); toBase64(await sum.digest())
 */
export function createChecksum(algorithm: ChecksumAlgorithm): IncrementalChecksum {
  switch (algorithm) {
    case 'crc32':
      return crc32Checksum()
    case 'crc32c':
      return crc32c()
    case 'crc64nvme':
      return crc64nvme()
    case 'sha1':
      return streamingDigest('SHA-1')
    case 'sha256':
      return streamingDigest('SHA-256')
  }
}

/**
 * MD5 (RFC 1321) of bytes (one array or several in a row), read in place: node:crypto hashes the caller's memory, where Web
 * Crypto's `digest` copies its input first (for an 8 MiB multipart part, 8 MiB more held until
 * GC). The S3 client sends it as Content-MD5, so S3 refuses a body damaged on the way.
 * @example toBase64(md5(new TextEncoder().encode('abc'))) === 'kAFQmDzST7DWlj99KOF/cg=='
 */
export function md5(bytes: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const hash = createHash('md5')
  for (const chunk of bodyChunks(bytes)) hash.update(chunk)
  return hash.digest()
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
