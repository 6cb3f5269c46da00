import { describe, expect, it } from 'vitest'
import { BodyTooLargeError } from '../../src/pipeline/errors'
import { type SpillStore, spoolBody } from '../../src/ingest/spool'
import { bytes } from '../helpers/streams'
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
})
