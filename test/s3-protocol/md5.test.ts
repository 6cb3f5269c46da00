import { describe, expect, it } from 'vitest'
import { md5 } from '../../src/s3-protocol/checksums'

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
const text = (s: string) => new TextEncoder().encode(s)

describe('md5', () => {
  it('gives the test suite of RFC 1321', () => {
    expect(hex(md5(text('')))).toBe('d41d8cd98f00b204e9800998ecf8427e')
    expect(hex(md5(text('a')))).toBe('0cc175b9c0f1b6a831c399e269772661')
    expect(hex(md5(text('abc')))).toBe('900150983cd24fb0d6963f7d28e17f72')
    expect(hex(md5(text('message digest')))).toBe('f96b697d7cb7938d525a2f31aaf161d0')
    expect(hex(md5(text('abcdefghijklmnopqrstuvwxyz')))).toBe('c3fcd3d76192e4007dfb496cca67e13b')
    expect(hex(md5(text('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')))).toBe('d174ab98d277d9f5a5611c2c9f419d9f')
    expect(hex(md5(text('1234567890'.repeat(8))))).toBe('57edf4a22be3c955ac49da2e2107b67a')
  })

  it("agrees with workerd's digest at every length around the block and padding boundaries, and on views into larger buffers", async () => {
    const random = crypto.getRandomValues(new Uint8Array(65_536))
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1000, 4095, 4096, 4097, 65_535]
    for (const length of lengths) {
      for (const offset of [0, 3]) {
        const bytes = random.subarray(offset, offset + length)
        expect(hex(md5(bytes)), `length ${length}, offset ${offset}`).toBe(hex(new Uint8Array(await crypto.subtle.digest('MD5', bytes))))
      }
    }
  })
})
