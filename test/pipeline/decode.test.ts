import { describe, expect, it } from 'vitest'
import { decodeBody, type DecodeStats } from '../../src/pipeline/decode'
import { BodyTooLargeError, SourceReadError, UndecodableBodyError } from '../../src/pipeline/errors'
import { bytes, concatBytes, gzip, storedGzipMember, streamOf, untilStill } from '../helpers/streams'
import { unhandledRejectionsDuring } from '../helpers/rejections'

const LIMITS = { maxDecompressedBytes: 64 * 1024 * 1024 }

async function decode(body: ReadableStream<Uint8Array>, limits = LIMITS): Promise<{ text: Uint8Array; stats: DecodeStats }> {
  const stats: DecodeStats = { gzip: false, decompressedBytes: 0 }
  const out = await decodeBody(body, limits, stats)
  const text = new Uint8Array(await new Response(out).arrayBuffer())
  return { text, stats }
}

const td = new TextDecoder()

describe('decodeBody', () => {
  it('passes plain bytes through and counts them', async () => {
    const { text, stats } = await decode(streamOf(bytes('{"a":1}\n{"b":2}\n'), [1, 5]))
    expect(td.decode(text)).toBe('{"a":1}\n{"b":2}\n')
    expect(stats).toEqual({ gzip: false, decompressedBytes: 16 })
  })

  it('reads an empty body as empty plain text', async () => {
    const { text, stats } = await decode(streamOf(new Uint8Array(0)))
    expect(text.byteLength).toBe(0)
    expect(stats.gzip).toBe(false)
  })

  it('detects gzip by its magic bytes even when the first chunk is one byte', async () => {
    const gz = await gzip(bytes('{"a":1}\n'))
    const { text, stats } = await decode(streamOf(gz, [1, 2, 3]))
    expect(td.decode(text)).toBe('{"a":1}\n')
    expect(stats).toEqual({ gzip: true, decompressedBytes: 8 })
  })

  it('decodes every member of concatenated gzip streams, cut at every byte offset', async () => {
    const parts = ['{"a":1}\n', '{"b":2}\n{"c":3}\n', '{"d":"é日本🎉"}\n']
    const body = concatBytes(...(await Promise.all(parts.map((p) => gzip(bytes(p))))))
    const want = parts.join('')
    for (let cut = 0; cut <= body.byteLength; cut++) {
      const { text } = await decode(streamOf(body, [cut]))
      expect(td.decode(text), `cut at ${cut}`).toBe(want)
    }
    const { text } = await decode(
      streamOf(
        body,
        Array.from({ length: body.byteLength }, (_, i) => i),
      ),
    )
    expect(td.decode(text), 'one byte per chunk').toBe(want)
  })

  it('decodes an empty member between two others', async () => {
    const body = concatBytes(await gzip(bytes('x\n')), await gzip(new Uint8Array(0)), await gzip(bytes('y\n')))
    expect(td.decode((await decode(streamOf(body))).text)).toBe('x\ny\n')
  })

  it('keeps a gzip-looking run of bytes inside a member as data, not as a new member', async () => {
    // A stored deflate block carries its bytes as they are, so a fake member header can sit inside one.
    const fake = concatBytes(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]), bytes('not deflate data at all, just text'))
    const payload = concatBytes(bytes('head '), fake, bytes(' tail'))
    const body = concatBytes(storedGzipMember(payload), await gzip(bytes('second member')))
    for (const cuts of [[], [6], [17, 18, 19]]) {
      const { text } = await decode(streamOf(body, cuts))
      expect(text).toEqual(concatBytes(payload, bytes('second member')))
    }
  })

  it('rejects a truncated gzip body as undecodable', async () => {
    const gz = await gzip(bytes('{"a":1}\n'.repeat(50)))
    for (const cut of [3, 12, gz.byteLength - 9, gz.byteLength - 1]) {
      await expect(decode(streamOf(gz.slice(0, cut))), `cut at ${cut}`).rejects.toBeInstanceOf(UndecodableBodyError)
    }
  })

  it('rejects a truncated second member', async () => {
    const second = await gzip(bytes('{"b":2}\n'.repeat(20)))
    const body = concatBytes(await gzip(bytes('{"a":1}\n')), second.slice(0, second.byteLength - 12))
    await expect(decode(streamOf(body))).rejects.toBeInstanceOf(UndecodableBodyError)
  })

  it('rejects garbage after the last member and corrupt compressed data', async () => {
    const gz = await gzip(bytes('{"a":1}\n'.repeat(50)))
    await expect(decode(streamOf(concatBytes(gz, bytes('garbage'))))).rejects.toBeInstanceOf(UndecodableBodyError)
    const corrupt = gz.slice()
    corrupt[15] = corrupt[15]! ^ 0xff
    corrupt[16] = corrupt[16]! ^ 0xff
    await expect(decode(streamOf(corrupt))).rejects.toBeInstanceOf(UndecodableBodyError)
    const badCrc = gz.slice()
    badCrc[badCrc.byteLength - 6] = badCrc[badCrc.byteLength - 6]! ^ 1
    await expect(decode(streamOf(badCrc))).rejects.toBeInstanceOf(UndecodableBodyError)
  })

  it('rejects bytes after a member that start with NUL, wherever the chunks are cut', async () => {
    // zlib leaves such bytes unread as padding and may go on with a member after them.
    const first = await gzip(bytes('{"a":1}\n'))
    const body = concatBytes(first, new Uint8Array([0]), await gzip(bytes('{"b":2}\n')))
    for (const cuts of [[], [first.byteLength], [first.byteLength + 1]]) {
      await expect(decode(streamOf(body, cuts)), `cut at ${cuts}`).rejects.toBeInstanceOf(UndecodableBodyError)
    }
  })

  it('stops a gzip bomb with BodyTooLargeError', async () => {
    const bomb = await gzip(new Uint8Array(50 * 1024 * 1024))
    let pulled = 0
    const source = streamOf(
      bomb,
      Array.from({ length: Math.ceil(bomb.byteLength / 1024) }, (_, i) => i * 1024),
    )
    const counting = source.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          pulled += chunk.byteLength
          controller.enqueue(chunk)
        },
      }),
    )
    const stats: DecodeStats = { gzip: false, decompressedBytes: 0 }
    const out = await decodeBody(counting, { maxDecompressedBytes: 1024 * 1024 }, stats)
    const reader = out.getReader()
    let seen = 0
    const err = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return undefined
          seen += value.byteLength
        }
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(BodyTooLargeError)
    expect((err as BodyTooLargeError).limit).toBe('MAX_DECOMPRESSED_BYTES')
    expect(seen, 'decompressed bytes handed on').toBeLessThanOrEqual(1024 * 1024)
    // Inflating stops within about one write of the cap: most of the bomb is never read.
    expect(stats.decompressedBytes).toBeLessThan(8 * 1024 * 1024)
    expect(pulled).toBeLessThan(bomb.byteLength / 4)
  })

  it('inflates only as far ahead of a slow reader as the high-water mark', async () => {
    let text = ''
    for (let i = 0; text.length < 24e6; i++)
      text += `{"EdgeStartTimestamp":${1653485126000000000 + i},"RayID":"${(i * 2654435761).toString(16)}","Path":"/p/${i % 977}"}\n`
    const gz = await gzip(bytes(text))
    let pulled = 0
    const source = streamOf(
      gz,
      Array.from({ length: Math.ceil(gz.byteLength / 65536) }, (_, i) => i * 65536),
    ).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          pulled += chunk.byteLength
          controller.enqueue(chunk)
        },
      }),
    )
    const stats: DecodeStats = { gzip: false, decompressedBytes: 0 }
    const reader = (await decodeBody(source, LIMITS, stats)).getReader()
    await reader.read()
    // The reader has stopped: wait until the source stops being pulled too (or is drained).
    await untilStill(() => pulled)
    expect(stats.decompressedBytes).toBeLessThan(8 * 1024 * 1024)
    expect(pulled).toBeLessThan(gz.byteLength / 2)
    // And reading on still gives everything, in order.
    let rest = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      rest += value.byteLength
    }
    expect(stats.decompressedBytes).toBe(bytes(text).byteLength)
    expect(rest).toBeGreaterThan(0)
  })

  it('caps plain bodies too', async () => {
    await expect(decode(streamOf(bytes('x'.repeat(2000)), [700, 1400]), { maxDecompressedBytes: 1000 })).rejects.toBeInstanceOf(BodyTooLargeError)
  })

  it('tags a failing source as SourceReadError', async () => {
    const gz = await gzip(bytes('{"a":1}\n'.repeat(100)))
    for (const head of [gz.slice(0, 30), bytes('{"a":1}\n')]) {
      let sent = false
      const failing = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (!sent) {
            sent = true
            controller.enqueue(head)
          } else controller.error(new Error('client went away'))
        },
      })
      await expect(decode(failing)).rejects.toBeInstanceOf(SourceReadError)
    }
  })

  it('leaves no unhandled rejection when a plain body over the cap comes from a source that then fails (found by the fuzzer)', async () => {
    const unhandled = await unhandledRejectionsDuring(async () => {
      for (const max of [0, 1]) {
        const chunks = [bytes('{'), bytes('"')]
        // Two one-byte chunks (the gzip check reads both), then the source fails: by the time the
        // cap cancels it, it has already failed, and cancelling a failed stream rejects.
        const failing = new ReadableStream<Uint8Array>({
          pull(controller) {
            const chunk = chunks.shift()
            if (chunk) controller.enqueue(chunk)
            else controller.error(new TypeError('Network connection lost.'))
          },
        })
        await expect(decode(failing, { maxDecompressedBytes: max })).rejects.toBeInstanceOf(BodyTooLargeError)
      }
    })
    expect(unhandled).toEqual([])
  })
})
