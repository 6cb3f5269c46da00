import { describe, expect, it } from 'vitest'
import type { ObjectBody, ObjectStorage } from '../../src/ports'
import { countingStorage } from '../../src/storage/counting'
import { MIN_PART_SIZE, ObjectWriter } from '../../src/storage/object-writer'
import { S3Client } from '../../src/storage/s3/client'
import { faultStats, faultyS3Options, firstDifference, injectFault, md5Hex, noise, s3Options, uniquePrefix, watch } from './helpers'

const MiB = 1024 * 1024
// The smallest part size S3 allows, plus one: the multipart path with the least data.
const PART_SIZE = MIN_PART_SIZE + 1

/** Writes `bytes` in uneven chunks, so that part boundaries fall inside chunks. */
async function writeAll(writer: ObjectWriter, bytes: Uint8Array, chunkSize = MiB + 7): Promise<void> {
  for (let at = 0; at < bytes.byteLength; at += chunkSize) await writer.write(bytes.subarray(at, at + chunkSize))
}

async function readBack(s3: S3Client, key: string): Promise<Uint8Array> {
  const res = await s3.getObject(key)
  if (!res) throw new Error(`${key} is not in the bucket`)
  return new Uint8Array(await res.arrayBuffer())
}

describe('ObjectWriter', () => {
  const s3 = new S3Client(s3Options())

  it('stores a small object with one PUT and the given headers', async () => {
    const key = `${uniquePrefix('writer')}small.json.gz`
    const writer = new ObjectWriter({ storage: s3, key, contentType: 'application/x-ndjson', contentEncoding: 'gzip' })
    const body = noise(1000)
    await writeAll(writer, body, 300)

    expect(await writer.close()).toEqual({ key, bytes: 1000, parts: 1 })
    const res = await s3.getObject(key)
    expect(res?.headers.get('Content-Type')).toBe('application/x-ndjson')
    expect(res?.headers.get('Content-Encoding')).toBe('gzip')
    expect(new Uint8Array(await res!.arrayBuffer())).toEqual(body)
  })

  it('stores an object of exactly partSize with one PUT, and an empty one too', async () => {
    const prefix = uniquePrefix('writer')
    const exact = new ObjectWriter({ storage: s3, key: `${prefix}exact`, partSize: PART_SIZE })
    await writeAll(exact, noise(PART_SIZE))
    expect(await exact.close()).toMatchObject({ bytes: PART_SIZE, parts: 1 })

    const empty = new ObjectWriter({ storage: s3, key: `${prefix}empty` })
    expect(await empty.close()).toMatchObject({ bytes: 0, parts: 1 })
    expect(await s3.headObject(`${prefix}empty`)).toMatchObject({ size: 0 })
  })

  it('switches to a multipart upload past partSize and stores the bytes exactly', async () => {
    const key = `${uniquePrefix('writer')}large.bin`
    const body = noise(12 * MiB + 123)
    const writer = new ObjectWriter({ storage: s3, key, partSize: PART_SIZE })
    await writeAll(writer, body)

    // 12 MiB at 5 MiB + 1 per part: two full parts and the rest.
    expect(await writer.close()).toEqual({ key, bytes: body.byteLength, parts: 3 })
    const stored = await readBack(s3, key)
    expect(stored.byteLength).toBe(body.byteLength)
    expect(firstDifference(stored, body)).toBe(-1)
    // s3rver's ETag of a completed multipart upload is the MD5 of the whole object (S3's is not).
    expect((await s3.headObject(key))?.etag).toBe(`"${await md5Hex(body)}"`)
  })

  it('stores the bytes written exactly whatever the chunk sizes, across part boundaries', async () => {
    // A part size no chunk size divides, above the writer's first buffer so that it grows into
    // its first part; the local server takes parts this small.
    const partSize = 64 * 1024 + 13
    const prefix = uniquePrefix('writer')
    const cases = [
      { chunkSize: 1000, size: 3 * partSize + 1 },
      { chunkSize: 7919, size: 2 * partSize }, // ends on a part boundary: two full parts
      { chunkSize: partSize - 1, size: 4 * partSize - 5 },
      { chunkSize: partSize + 1, size: 3 * partSize + 2 },
      { chunkSize: Math.floor(2.5 * partSize), size: 5 * partSize + 7 }, // a chunk spans parts
      { chunkSize: 7919, size: partSize - 3 }, // one PUT
    ]
    for (const [i, { chunkSize, size }] of cases.entries()) {
      const key = `${prefix}${chunkSize}-${size}.bin`
      const body = noise(size, i + 1)
      const writer = new ObjectWriter({ storage: s3, key, partSize, minPartSize: 1 })
      await writeAll(writer, body, chunkSize)

      expect(await writer.close(), `chunks of ${chunkSize}`).toEqual({ key, bytes: size, parts: Math.ceil(size / partSize) })
      expect(firstDifference(await readBack(s3, key), body), `chunks of ${chunkSize}`).toBe(-1)
    }
  })

  it('copies each chunk: changing it once write() resolved does not change what is stored', async () => {
    const partSize = 64 * 1024 + 13
    const prefix = uniquePrefix('writer')
    // One PUT and a multipart upload, each written from one buffer reused for every chunk.
    for (const size of [30_000, 3 * partSize + 11]) {
      const key = `${prefix}${size}.bin`
      const body = noise(size, size)
      const reused = new Uint8Array(10_000)
      const writer = new ObjectWriter({ storage: s3, key, partSize, minPartSize: 1 })
      for (let at = 0; at < size; at += reused.byteLength) {
        const chunk = reused.subarray(0, Math.min(reused.byteLength, size - at))
        chunk.set(body.subarray(at, at + chunk.byteLength))
        await writer.write(chunk)
        chunk.fill(0xff)
      }

      await writer.close()
      expect(firstDifference(await readBack(s3, key), body), `${size} bytes`).toBe(-1)
    }
  })

  it('leaves no object when aborted after parts were sent, and aborting twice is harmless', async () => {
    const prefix = uniquePrefix('writer')
    const key = `${prefix}aborted.bin`
    await watch(`${key}?partNumber=`)
    await watch(`${key}?uploadId=`) // Complete and Abort
    const proxied = new S3Client(faultyS3Options())
    const writer = new ObjectWriter({ storage: proxied, key, partSize: PART_SIZE })
    await writeAll(writer, noise(11 * MiB))
    await writer.abort(new Error('batch rejected'))
    await writer.abort()

    expect((await faultStats(`${key}?partNumber=`)).seen).toBeGreaterThanOrEqual(1)
    expect(await faultStats(`${key}?uploadId=`)).toMatchObject({ seen: 1 })
    expect(await s3.headObject(key)).toBeNull()
    expect(await s3.listKeys(prefix)).toEqual([])
    await expect(writer.write(new Uint8Array(1))).rejects.toThrow('batch rejected')
    await expect(writer.close()).rejects.toThrow('batch rejected')
  })

  it('fails, and aborts the upload, when a part cannot be stored', async () => {
    const prefix = uniquePrefix('writer')
    const key = `${prefix}broken.bin`
    const faulty = new S3Client(faultyS3Options({ baseDelayMs: 10 }))
    await injectFault({ match: `${key}?partNumber=2&`, count: 100, status: 403, code: 'AccessDenied' })
    await watch(`${key}?uploadId=`) // Complete and Abort
    const writer = new ObjectWriter({ storage: faulty, key, partSize: PART_SIZE })

    // Part 2 fails in the background; the write or close after it reports the failure.
    const err = await writeAll(writer, noise(12 * MiB))
      .then(() => writer.close())
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ operation: 'UploadPart', code: 'AccessDenied', retryable: false })
    expect(await faultStats(`${key}?partNumber=2&`)).toMatchObject({ faulted: 1 })
    expect(await faultStats(`${key}?uploadId=`)).toMatchObject({ seen: 1 }) // Abort, no Complete
    expect(await s3.listKeys(prefix)).toEqual([])
  })

  it('rejects a part size S3 would refuse and use after close', async () => {
    expect(() => new ObjectWriter({ storage: s3, key: 'k', partSize: MIN_PART_SIZE - 1 })).toThrow(RangeError)
    expect(() => new ObjectWriter({ storage: s3, key: '' })).toThrow(TypeError)
    const writer = new ObjectWriter({ storage: s3, key: `${uniquePrefix('writer')}closed` })
    await writer.close()
    await expect(writer.write(new Uint8Array(1))).rejects.toThrow(/after close/)
  })

  it('keeps every byte across trims between writes, single PUT and multipart', async () => {
    const prefix = uniquePrefix('writer-trim')
    for (const [name, partSize, total] of [
      ['small', PART_SIZE, 5000],
      ['multipart', 64 * 1024, 300_000],
    ] as const) {
      const writer = new ObjectWriter({ storage: s3, key: `${prefix}${name}`, partSize, minPartSize: 1 })
      const body = noise(total)
      for (let at = 0; at < total; at += 777) {
        await writer.write(body.subarray(at, at + 777))
        writer.trim()
      }
      await writer.close()
      expect(firstDifference(await readBack(s3, `${prefix}${name}`), body)).toBe(-1)
    }
  })

  it('hands storage each part as the blocks it was filled in, never joined, within the bound it states', async () => {
    const bodies: ObjectBody[] = []
    // All of s3's calls, with the bodies of the two that carry them recorded.
    const recording: ObjectStorage = {
      ...countingStorage(s3, () => {}),
      putObject: (key, body, headers, call) => (bodies.push(body), s3.putObject(key, body, headers, call)),
      uploadPart: (key, uploadId, n, body, call) => (bodies.push(body), s3.uploadPart(key, uploadId, n, body, call)),
    }
    const prefix = uniquePrefix('writer-blocks')
    for (const [name, total] of [
      ['single', 3 * MiB + 5],
      ['multipart', 2 * PART_SIZE + 100],
    ] as const) {
      bodies.length = 0
      const writer = new ObjectWriter({ storage: recording, key: `${prefix}${name}`, partSize: PART_SIZE })
      const body = noise(total)
      await writeAll(writer, body, 16_384 + 3)
      await writer.close()
      expect(firstDifference(await readBack(s3, `${prefix}${name}`), body)).toBe(-1)
      for (const sent of bodies) {
        const blocks = sent instanceof Uint8Array ? [sent] : sent
        // Every block is an array of its own, none bigger than 256 KiB, and all of them no more
        // room than the bytes they hold (or the first KiB): the part grew without a copy.
        expect(new Set(blocks.map((b) => b.buffer)).size).toBe(blocks.length)
        expect(Math.max(...blocks.map((b) => b.buffer.byteLength))).toBeLessThanOrEqual(256 * 1024)
        const room = blocks.reduce((sum, b) => sum + b.buffer.byteLength, 0)
        const filled = blocks.reduce((sum, b) => sum + b.byteLength, 0)
        expect(room).toBeLessThanOrEqual(writer.holdsAtMost(filled, false))
      }
      expect(bodies.length).toBe(name === 'single' ? 1 : 3)
    }
  })

  it('holds no more than it says after a trim to under a KiB and a write after it', async () => {
    const bodies: ObjectBody[] = []
    const recording: ObjectStorage = { ...countingStorage(s3, () => {}), putObject: (key, body) => (bodies.push(body), s3.putObject(key, body)) }
    const key = `${uniquePrefix('writer-blocks')}trimmed`
    const writer = new ObjectWriter({ storage: recording, key, partSize: PART_SIZE })
    const body = noise(501)
    await writer.write(body.subarray(0, 500))
    writer.trim()
    await writer.write(body.subarray(500))
    await writer.close()
    const blocks = bodies[0] instanceof Uint8Array ? [bodies[0]] : bodies[0]!
    expect(blocks.reduce((sum, b) => sum + b.buffer.byteLength, 0)).toBeLessThanOrEqual(writer.holdsAtMost(501, false))
    expect(await readBack(s3, key)).toEqual(body)
  })

  it('bounds what it holds: the bytes once trimmed, up to twice them growing, two parts at most', () => {
    const writer = new ObjectWriter({ storage: s3, key: `${uniquePrefix('writer-trim')}bound`, partSize: PART_SIZE })
    expect(writer.holdsAtMost(300, true)).toBe(300)
    expect(writer.holdsAtMost(300, false)).toBe(1024)
    expect(writer.holdsAtMost(10_000, false)).toBe(20_000)
    expect(writer.holdsAtMost(100 * MiB, true)).toBe(2 * PART_SIZE)
  })
})
