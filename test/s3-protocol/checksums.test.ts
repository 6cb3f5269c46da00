import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { createChecksum } from '../../src/s3-protocol/checksums'

/** CRC-32 (ISO-HDLC) bit by bit, straight from its definition: the reference for workerd's. */
function crc32Bitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

const hex32 = (n: number) => n.toString(16).padStart(8, '0')

describe('crc32 from node:zlib in workerd', () => {
  it('is there and gives the check value, whole and carried on from a previous value', () => {
    const check = new TextEncoder().encode('123456789')
    expect(typeof crc32).toBe('function')
    expect(hex32(crc32(check))).toBe('cbf43926')
    for (let cut = 0; cut <= check.byteLength; cut++) {
      expect(hex32(crc32(check.subarray(cut), crc32(check.subarray(0, cut)))), `cut at ${cut}`).toBe('cbf43926')
    }
  })

  it('agrees with the definition on random bytes, and createChecksum agrees fed in pieces', async () => {
    const random = crypto.getRandomValues(new Uint8Array(4099))
    for (const length of [0, 1, 3, 4, 5, 63, 64, 65, 1000, 4099]) {
      const bytes = random.subarray(4099 - length)
      const want = crc32Bitwise(bytes)
      expect(crc32(bytes), `length ${length}`).toBe(want)
      const sum = createChecksum('crc32')
      for (let at = 0; at < length; at += 7) sum.update(bytes.subarray(at, at + 7))
      expect(hex32(new DataView((await sum.digest()).buffer).getUint32(0)), `length ${length}, in pieces`).toBe(hex32(want))
    }
  })
})
