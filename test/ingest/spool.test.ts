import { describe, expect, it } from 'vitest'
import { BodyTooLargeError } from '../../src/pipeline/errors'
import { type SpillStore, spoolBody } from '../../src/ingest/spool'
import { bytes, concatBytes, streamOf } from '../helpers/streams'
import { unhandledRejectionsDuring } from '../helpers/rejections'

const noSpill: SpillStore = {
  key: () => 'unused',
  open: () => {
    throw new Error('nothing should be staged')
  },
  read: () => Promise.reject(new Error('nothing should be staged')),
  remove: () => Promise.resolve(),
}

describe('spoolBody', () => {
  it('refuses a body over MAX_BODY_BYTES without an unhandled rejection when cancelling the body fails', async () => {
    const unhandled = await unhandledRejectionsDuring(async () => {
      // A body whose cancel fails, as cancelling one whose connection has dropped does.
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(bytes('{"a":1}\n'))
        },
        cancel() {
          throw new TypeError('Network connection lost.')
        },
      })
      const options = { seed: 'http_requests', maxBodyBytes: 4, memoryBytes: 1 << 20, hashHexChars: 32, spill: noSpill }
      await expect(spoolBody(body, options)).rejects.toBeInstanceOf(BodyTooLargeError)
    })
    expect(unhandled).toEqual([])
  })

  it('only hashes a body that can be read again: nothing held or staged, the same batch id, and open() reads it anew', async () => {
    const body = bytes('{"a":1}\n'.repeat(1000))
    const chunked = () => {
      let at = 0
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= body.byteLength) return controller.close()
          controller.enqueue(body.slice(at, at + 777))
          at += 777
        },
      })
    }
    const options = { seed: 'http_requests', maxBodyBytes: 1 << 20, memoryBytes: 100, hashHexChars: 32 }
    let reopened = 0
    const again = await spoolBody(chunked(), { ...options, spill: noSpill, reopen: () => (reopened++, chunked()) })
    // Held in memory (memoryBytes over the body's size), the same bytes hash the same.
    const held = await spoolBody(chunked(), { ...options, memoryBytes: 1 << 20, spill: noSpill })
    expect(again).toMatchObject({ hash: held.hash, bytes: body.byteLength, staged: false })
    expect(reopened).toBe(0)
    expect(new Uint8Array(await new Response(await again.open()).arrayBuffer())).toEqual(body)
    expect(reopened).toBe(1)
  })

  it('fails the second read of a body that changed since it was hashed: other bytes, more bytes or fewer', async () => {
    const body = bytes('{"a":1}\n'.repeat(100))
    const options = { seed: 'http_requests', maxBodyBytes: 1 << 20, memoryBytes: 100, hashHexChars: 32, spill: noSpill }
    const changed = body.slice()
    changed[3] = 0x32
    for (const second of [changed, concatBytes(body, bytes('x')), body.subarray(1)]) {
      const spooled = await spoolBody(streamOf(body), { ...options, reopen: () => streamOf(second) })
      await expect(new Response(await spooled.open()).arrayBuffer()).rejects.toThrow(/changed/)
    }
  })
})
