/**
 * MD5 (RFC 1321) of a byte array, read in place. Web Crypto has no MD5 outside workerd, and its
 * `digest` copies its input, which for an 8 MiB multipart part is 8 MiB more held until GC.
 * The S3 client sends it as Content-MD5, so S3 refuses a body damaged on the way.
 *
 * @example toBase64(md5(new TextEncoder().encode('abc'))) === 'kAFQmDzST7DWlj99KOF/cg=='
 */
export function md5(bytes: Uint8Array): Uint8Array {
  const state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476)
  const words = new Int32Array(16)
  const whole = bytes.length - (bytes.length % 64)
  for (let offset = 0; offset < whole; offset += 64) compress(state, words, bytes, offset)

  // The tail, a 0x80 byte, zeros, and the length in bits (little-endian, 64-bit): one block or two.
  const tail = new Uint8Array(128)
  tail.set(bytes.subarray(whole))
  const rest = bytes.length - whole
  tail[rest] = 0x80
  const end = rest < 56 ? 64 : 128
  const bits = bytes.length * 8
  const view = new DataView(tail.buffer)
  view.setUint32(end - 8, bits >>> 0, true)
  view.setUint32(end - 4, Math.floor(bits / 2 ** 32), true)
  for (let offset = 0; offset < end; offset += 64) compress(state, words, tail, offset)

  const out = new Uint8Array(16)
  const outView = new DataView(out.buffer)
  for (let i = 0; i < 4; i++) outView.setInt32(i * 4, state[i]!, true)
  return out
}

// Per-step additive constants, floor(abs(sin(i + 1)) * 2^32), and rotations.
const K = Int32Array.of(
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
)
const R = Uint8Array.of(7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21)
// Which message word each of the 64 steps reads.
const WORD = Uint8Array.from({ length: 64 }, (_, i) => (i < 16 ? i : i < 32 ? 5 * i + 1 : i < 48 ? 3 * i + 5 : 7 * i) & 15)

// One 64-byte block; the four rounds differ only in their mixing function, so each is its own loop.
function compress(state: Int32Array, words: Int32Array, bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const o = offset + i * 4
    words[i] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)
  }
  let a = state[0]!
  let b = state[1]!
  let c = state[2]!
  let d = state[3]!
  let i = 0
  for (; i < 16; i++) {
    const x = (a + ((b & c) | (~b & d)) + K[i]! + words[i]!) | 0
    const s = R[i & 3]!
    a = d
    d = c
    c = b
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0
  }
  for (; i < 32; i++) {
    const x = (a + ((b & d) | (c & ~d)) + K[i]! + words[WORD[i]!]!) | 0
    const s = R[4 + (i & 3)]!
    a = d
    d = c
    c = b
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0
  }
  for (; i < 48; i++) {
    const x = (a + (b ^ c ^ d) + K[i]! + words[WORD[i]!]!) | 0
    const s = R[8 + (i & 3)]!
    a = d
    d = c
    c = b
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0
  }
  for (; i < 64; i++) {
    const x = (a + (c ^ (b | ~d)) + K[i]! + words[WORD[i]!]!) | 0
    const s = R[12 + (i & 3)]!
    a = d
    d = c
    c = b
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0
  }
  state[0] = (state[0]! + a) | 0
  state[1] = (state[1]! + b) | 0
  state[2] = (state[2]! + c) | 0
  state[3] = (state[3]! + d) | 0
}
