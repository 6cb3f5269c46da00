import { describe, expect, it, vi } from 'vitest'
import httpRfc3339 from '../../fixtures/http_requests.rfc3339.ndjson?raw'
import httpTwoHours from '../../fixtures/http_requests.two-hours.ndjson?raw'
import httpUnix from '../../fixtures/http_requests.unix.ndjson?raw'
import httpUnixnano from '../../fixtures/http_requests.unixnano.ndjson?raw'
import { createGzip } from 'node:zlib'
import { GzipNdjsonWriter } from '../../src/formats/ndjson-gzip/writer'
import { MIN_PART_SIZE } from '../../src/storage/object-writer'
import { S3Client } from '../../src/storage/s3/client'
import { concatBytes, untilStill } from '../helpers/streams'
import {
  faultStats,
  faultyS3Options,
  firstDifference,
  gunzip,
  injectFault,
  noise,
  releaseHeld,
  s3Options,
  uniquePrefix,
  untilFaulted,
  watch,
} from '../storage/helpers'

const MiB = 1024 * 1024
const PART_SIZE = MIN_PART_SIZE + 1
// Parts this small reach the multipart path with little data: the local S3 server takes them.
const SMALL_PART = { partSize: 256 * 1024, minPartSize: 1 }
const encoder = new TextEncoder()

// 7 MiB of noise as base64 (~9.3 MiB) gzips to ~7 MiB: past one 5 MiB part, so two parts.
const NOISE_BYTES = 7 * MiB
const LINE_CHARS = 1000
let noisyLinesCache: string[] | undefined

/** NDJSON lines of base64 noise, which gzip shrinks only to about 3/4; made once per file. */
function noisyLines(): string[] {
  if (noisyLinesCache) return noisyLinesCache
  const bytes = noise(NOISE_BYTES)
  let base64 = ''
  for (let at = 0; at < bytes.byteLength; at += 48 * 1024) {
    base64 += btoa(String.fromCharCode(...bytes.subarray(at, at + 48 * 1024)))
  }
  const lines: string[] = []
  for (let at = 0; at < base64.length; at += LINE_CHARS) {
    lines.push(JSON.stringify({ n: lines.length, data: base64.slice(at, at + LINE_CHARS) }))
  }
  noisyLinesCache = lines
  return lines
}

/** What one node:zlib gzip stream makes of `text` written at once: the writer's bytes before it could suspend. */
async function streamGzip(text: Uint8Array, level?: number): Promise<Uint8Array> {
  const gzip = createGzip({ level })
  const chunks: Uint8Array[] = []
  const done = (async () => {
    for await (const chunk of gzip) chunks.push(chunk)
  })()
  gzip.write(text)
  gzip.end()
  await done
  return concatBytes(...chunks)
}

async function readBackText(s3: S3Client, key: string): Promise<Uint8Array> {
  const res = await s3.getObject(key)
  if (!res) throw new Error(`${key} is not in the bucket`)
  return gunzip(new Uint8Array(await res.arrayBuffer()))
}

describe('GzipNdjsonWriter', () => {
  const s3 = new S3Client(s3Options())

  it('writes lines as one gzip NDJSON object with its headers and counts', async () => {
    const key = `${uniquePrefix('gzip')}small.json.gz`
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i, ClientIP: '192.0.2.1', note: 'café ☕' }))
    const writer = new GzipNdjsonWriter({ storage: s3, key })
    for (const line of lines) await writer.writeLine(line)
    const result = await writer.close()

    const text = lines.join('\n') + '\n'
    const stored = await s3.headObject(key)
    expect(result).toEqual({ key, bytes: stored?.size, parts: 1, lines: 1000, uncompressedBytes: encoder.encode(text).byteLength })
    expect(writer.lines).toBe(1000)
    const res = await s3.getObject(key)
    expect(res?.headers.get('Content-Type')).toBe('application/x-ndjson')
    expect(res?.headers.get('Content-Encoding')).toBe('gzip')
    expect(new TextDecoder().decode(await gunzip(new Uint8Array(await res!.arrayBuffer())))).toBe(text)
  })

  it('writes an empty gzip stream when no line came', async () => {
    const key = `${uniquePrefix('gzip')}empty.json.gz`
    const writer = new GzipNdjsonWriter({ storage: s3, key })
    expect(await writer.close()).toMatchObject({ lines: 0, uncompressedBytes: 0, parts: 1 })
    expect((await readBackText(s3, key)).byteLength).toBe(0)
  })

  it('streams a large output as a multipart upload that decompresses to the same lines', async () => {
    const key = `${uniquePrefix('gzip')}large.json.gz`
    const lines = noisyLines()
    const writer = new GzipNdjsonWriter({ storage: s3, key, partSize: PART_SIZE })
    for (const line of lines) await writer.writeLine(line)
    // Compressed output keeps pace with input (~3/4 of it for this data) instead of piling
    // up inside the compressor until close(), as it would in workerd without the drain.
    expect(writer.bytes / writer.uncompressedBytes).toBeGreaterThan(0.6)
    const result = await writer.close()

    const expected = encoder.encode(lines.join('\n') + '\n')
    expect(result.parts).toBeGreaterThanOrEqual(2)
    expect(result).toMatchObject({ lines: lines.length, uncompressedBytes: expected.byteLength })
    expect(result.bytes).toBe((await s3.headObject(key))?.size)
    expect(firstDifference(await readBackText(s3, key), expected)).toBe(-1)
  })

  it('leaves no object when aborted mid-stream, after parts were sent', async () => {
    const prefix = uniquePrefix('gzip')
    const key = `${prefix}aborted.json.gz`
    await watch(`${key}?partNumber=`)
    await watch(`${key}?uploadId=`)
    const writer = new GzipNdjsonWriter({ storage: new S3Client(faultyS3Options()), key, partSize: PART_SIZE })
    for (const line of noisyLines()) await writer.writeLine(line)
    // The lines are in before S3 has answered CreateMultipartUpload: the writer waits for
    // uploads only when they fall behind. Abort once a part is on its way.
    await vi.waitFor(async () => expect((await faultStats(`${key}?partNumber=`)).seen).toBeGreaterThanOrEqual(1))
    await writer.abort(new Error('batch rejected'))
    await writer.abort()

    expect(await faultStats(`${key}?uploadId=`)).toMatchObject({ seen: 1 }) // Abort, no Complete
    expect(await s3.listKeys(prefix)).toEqual([])
    await expect(writer.writeLine('{}')).rejects.toThrow('batch rejected')
  })

  it('reports a storage failure to the writer of lines and stores nothing', async () => {
    const prefix = uniquePrefix('gzip')
    const key = `${prefix}denied.json.gz`
    await injectFault({ match: `${key}?partNumber=1&`, count: 100, status: 403, code: 'AccessDenied' })
    const writer = new GzipNdjsonWriter({ storage: new S3Client(faultyS3Options()), key, partSize: PART_SIZE })

    const err = await (async () => {
      for (const line of noisyLines()) await writer.writeLine(line)
      await writer.close()
    })().catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'StorageError', operation: 'UploadPart', code: 'AccessDenied' })
    await writer.abort(err)
    expect(await s3.listKeys(prefix)).toEqual([])
  })

  it('compresses at the level it is given: 1 and 9 store the same lines, 9 in fewer bytes', async () => {
    // Real-format Logpush lines, the kind of text the service stores.
    const lines = [httpUnixnano, httpUnix, httpRfc3339, httpTwoHours].flatMap((text) => text.trim().split('\n'))
    const prefix = uniquePrefix('gzip')
    const stored = async (level: number) => {
      const writer = new GzipNdjsonWriter({ storage: s3, key: `${prefix}level-${level}.json.gz`, level })
      for (const line of lines) await writer.writeLine(line)
      const result = await writer.close()
      return { bytes: result.bytes, text: new TextDecoder().decode(await readBackText(s3, result.key)) }
    }
    const [fastest, smallest] = [await stored(1), await stored(9)]

    const text = lines.join('\n') + '\n'
    expect(fastest.text).toBe(text)
    expect(smallest.text).toBe(text)
    expect(smallest.bytes).toBeLessThan(fastest.bytes * 0.9)
  })

  it('refuses a compression level zlib does not have', () => {
    expect(() => new GzipNdjsonWriter({ storage: s3, key: `${uniquePrefix('gzip')}bad.json.gz`, level: 10 })).toThrow(RangeError)
  })

  /** Writes every noisy line (then closes, if asked) while part 1 of `key` is held at the proxy. */
  async function writeWhileHeld(key: string, close: boolean) {
    const part1 = `${key}?partNumber=1&`
    await injectFault({ match: part1, mode: 'hold', count: 1 })
    const writer = new GzipNdjsonWriter({ storage: new S3Client(faultyS3Options()), key, ...SMALL_PART })
    const lines = noisyLines()
    const progress = { written: 0 }
    const producing = (async () => {
      for (const line of lines) {
        await writer.writeLine(line)
        progress.written++
      }
      return close ? writer.close() : undefined
    })()
    producing.catch(() => {})
    // Stalled: the first part is held at the proxy, and the writer of lines has stopped moving
    // (or has written everything, which the checks below refuse).
    await untilFaulted(part1)
    await untilStill(() => writer.uncompressedBytes)
    expect(progress.written).toBeLessThan(lines.length)
    // Two parts with the object writer, zlib's buffers and a piece of text: about 1 MiB of the 9.
    expect(writer.bytes).toBeLessThanOrEqual(2 * SMALL_PART.partSize + 64 * 1024)
    expect(writer.uncompressedBytes).toBeLessThan(2 * MiB)
    return { writer, lines, progress, producing, part1 }
  }

  it('holds back the writer of lines while an upload hangs, with bounded memory, until aborted', async () => {
    const prefix = uniquePrefix('gzip')
    const { writer, producing } = await writeWhileHeld(`${prefix}held.json.gz`, false)

    await writer.abort(new Error('batch rejected'))
    await expect(producing).rejects.toThrow('batch rejected')
    expect(await s3.listKeys(prefix)).toEqual([])
  })

  it('takes lines again once the held upload goes on, and stores every one of them', async () => {
    const key = `${uniquePrefix('gzip')}released.json.gz`
    const { lines, progress, producing, part1 } = await writeWhileHeld(key, true)
    const stalledAt = progress.written

    expect(await releaseHeld(part1)).toBe(1)
    const result = await producing
    expect(stalledAt).toBeLessThan(progress.written)
    expect(progress.written).toBe(lines.length)
    const expected = encoder.encode(lines.join('\n') + '\n')
    expect(result).toMatchObject({ key, lines: lines.length, uncompressedBytes: expected.byteLength })
    expect(result!.parts).toBeGreaterThan(2)
    expect(firstDifference(await readBackText(s3, key), expected)).toBe(-1)
  })

  it('keeps each object its own bytes while writers run at once and share encode buffers, long and non-ASCII lines included', async () => {
    const prefix = uniquePrefix('gzip-interleaved')
    const noisy = noisyLines()
    const objects = [0, 1, 2].map((w) => {
      // Flushes of ASCII text fit a pooled buffer; multi-byte text and a line past the buffer's
      // size now and then are encoded partly apart.
      const lines = Array.from({ length: 1000 }, (_, n) =>
        n % 331 === 0
          ? JSON.stringify({ w, n, long: 'é€'.repeat(60_000) })
          : JSON.stringify({ w, n, data: noisy[n]!.slice(0, 400), text: w === 2 ? '日本語' : 'ascii' }),
      )
      return { lines, writer: new GzipNdjsonWriter({ storage: s3, key: `${prefix}${w}.json.gz`, ...SMALL_PART }) }
    })
    // All three at once: while one waits on zlib or an upload, the others flush into the pool.
    const results = await Promise.all(
      objects.map(async ({ lines, writer }) => {
        for (const line of lines) await writer.writeLine(line)
        return writer.close()
      }),
    )
    for (const [i, result] of results.entries()) {
      const text = encoder.encode(objects[i]!.lines.join('\n') + '\n')
      expect(result).toMatchObject({ lines: objects[i]!.lines.length, uncompressedBytes: text.byteLength })
      expect(firstDifference(await readBackText(s3, result.key), text)).toBe(-1)
    }
  })

  it('refuses a line with a raw newline, and lines after close', async () => {
    const writer = new GzipNdjsonWriter({ storage: s3, key: `${uniquePrefix('gzip')}misuse.json.gz` })
    await expect(writer.writeLine('{"a":\n1}')).rejects.toThrow(TypeError)
    await writer.writeLine('{"a":1}')
    await writer.close()
    await expect(writer.writeLine('{}')).rejects.toThrow(/after close/)
  })

  describe('suspended between lines', () => {
    /** The gzip members of `bytes`, as the offsets where each begins (magic 1f 8b 08 after the previous one's end). */
    function members(bytes: Uint8Array): number {
      let n = 0
      for (let at = 0; at + 2 < bytes.byteLength; at++) if (bytes[at] === 0x1f && bytes[at + 1] === 0x8b && bytes[at + 2] === 0x08) n++
      return n
    }

    it('finishes a member per suspend in the same object, which gunzips to every line in order', async () => {
      const key = `${uniquePrefix('gzip-suspend')}members.json.gz`
      const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ i, RayID: `ray-${i}` }))
      const writer = new GzipNdjsonWriter({ storage: s3, key })
      for (const [i, line] of lines.entries()) {
        await writer.writeLine(line)
        if (i % 10 === 9) await writer.suspend()
      }
      // Suspending a suspended writer changes nothing.
      await writer.suspend()
      const result = await writer.close()

      const res = await s3.getObject(key)
      const stored = new Uint8Array(await res!.arrayBuffer())
      expect(result).toMatchObject({ key, parts: 1, lines: 30, bytes: stored.byteLength })
      expect(members(stored)).toBe(3)
      expect(new TextDecoder().decode(await gunzip(stored))).toBe(lines.join('\n') + '\n')
    })

    it('bounds what it holds by the lengths of its lines, whatever their bytes', async () => {
      const prefix = uniquePrefix('gzip-suspend')
      // Same lengths, different text: a retried batch differs in p_parse_time only, at a fixed width.
      const a = new GzipNdjsonWriter({ storage: s3, key: `${prefix}a.json.gz` })
      const b = new GzipNdjsonWriter({ storage: s3, key: `${prefix}b.json.gz` })
      const line = (w: string, i: number) => JSON.stringify({ RayID: `held-${i}`, pad: w.repeat(200) })
      for (let i = 0; i < 50; i++) {
        await a.writeLine(line('x', i))
        await b.writeLine(line(String.fromCharCode(97 + ((i * 7) % 26)), i))
        if (i % 10 === 9) {
          await a.suspend()
          await b.suspend()
          // Suspended: about the text written, and no less than the compressed bytes it keeps.
          expect(a.held).toBeGreaterThanOrEqual(a.bytes)
          expect(a.held).toBeLessThan(a.uncompressedBytes + 32 * (i + 1))
        }
        expect(b.held).toBe(a.held)
      }
      expect(b.bytes).not.toBe(a.bytes)
      await Promise.all([a.close(), b.close()])
    })

    it('makes the bytes a gzip stream makes of its text, whether its member ends by close or by suspend', async () => {
      const prefix = uniquePrefix('gzip-suspend')
      // Under 64 KiB and over it: compressed in one call, and through a compressor stream.
      const small = httpTwoHours.trim().split('\n')
      const large = noisyLines().slice(0, 200)
      for (const [name, lines] of [
        ['small', small],
        ['large', large],
      ] as const) {
        for (const level of [undefined, 1, 9]) {
          const text = encoder.encode(lines.join('\n') + '\n')
          const expected = await streamGzip(text, level)
          const closed = new GzipNdjsonWriter({ storage: s3, key: `${prefix}${name}-${level}-closed`, level })
          const suspended = new GzipNdjsonWriter({ storage: s3, key: `${prefix}${name}-${level}-suspended`, level })
          for (const line of lines) await closed.writeLine(line)
          for (const line of lines) await suspended.writeLine(line)
          await suspended.suspend()
          await Promise.all([closed.close(), suspended.close()])
          const read = async (k: string) => new Uint8Array(await (await s3.getObject(k))!.arrayBuffer())
          expect(await read(closed.key), `${name} level ${level}`).toEqual(expected)
          expect(await read(suspended.key), `${name} level ${level}`).toEqual(expected)
        }
      }
    })

    it('resumes a multipart object across suspends, parts numbered on', async () => {
      const key = `${uniquePrefix('gzip-suspend')}multipart.json.gz`
      const lines = noisyLines().slice(0, 900)
      const writer = new GzipNdjsonWriter({ storage: s3, key, ...SMALL_PART })
      for (const [i, line] of lines.entries()) {
        await writer.writeLine(line)
        if (i % 100 === 99) await writer.suspend()
      }
      const result = await writer.close()
      expect(result.parts).toBeGreaterThan(2)
      expect(new TextDecoder().decode(await readBackText(s3, key))).toBe(lines.join('\n') + '\n')
    })
  })
})
