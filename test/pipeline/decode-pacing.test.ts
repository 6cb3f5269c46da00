import { expect, it } from 'vitest'
import { decodeBody } from '../../src/pipeline/decode'
import { gzip, untilStill } from '../helpers/streams'

it('takes compressed input only as decompressed output is read, so memory stays flat', async () => {
  const raw = new Uint8Array(32 * 1024 * 1024)
  for (let i = 0; i < raw.length; i++) raw[i] = ((i * 2654435761) >>> 24) & 0x3f
  const compressed = await gzip(raw)
  const CHUNK = 16 * 1024
  let pulled = 0
  let at = 0
  const source = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (at >= compressed.length) return controller.close()
        const chunk = compressed.slice(at, at + CHUNK)
        at += CHUNK
        pulled += chunk.length
        controller.enqueue(chunk)
      },
    },
    { highWaterMark: 0 },
  )
  const reader = (await decodeBody(source, { maxDecompressedBytes: raw.length }, { gzip: false, decompressedBytes: 0 })).getReader()
  let out = 0
  for (let i = 0; i < 20; i++) out += ((await reader.read()).value as Uint8Array).length
  // The reader has stopped: wait until the source stops being pulled too (or is drained).
  await untilStill(() => pulled)
  // workerd's DecompressionStream alone would have swallowed the whole compressed body by now.
  expect(compressed.length).toBeGreaterThan(10 * CHUNK)
  expect(pulled).toBeLessThanOrEqual(4 * CHUNK)
  for (;;) {
    const r = await reader.read()
    if (r.done) break
    out += r.value.length
  }
  expect(out).toBe(raw.length)
  expect(pulled).toBe(compressed.length)
})
