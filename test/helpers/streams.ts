import { gunzipSync } from 'node:zlib'
import type { BatchContext } from '../../src/pipeline/enrich'
import type { BatchOutput, CheckedEvent } from '../../src/ports'

const encoder = new TextEncoder()

export function bytes(text: string): Uint8Array {
  return encoder.encode(text)
}

/** Printable text gzip cannot shrink much (base64 of random bytes, 6 bits a character), for multipart outputs. */
export function incompressibleText(chars: number): string {
  const random = new Uint8Array(Math.ceil((chars * 3) / 4))
  // getRandomValues fills at most 64 KiB at a time.
  for (let at = 0; at < random.byteLength; at += 65_536) crypto.getRandomValues(random.subarray(at, at + 65_536))
  let text = ''
  for (let at = 0; at < random.byteLength; at += 3 * 8192) text += btoa(String.fromCharCode(...random.subarray(at, at + 3 * 8192)))
  return text.slice(0, chars)
}

/** A stream that delivers `data` cut at the given offsets (in any order). */
export function streamOf(data: Uint8Array, cuts: number[] = []): ReadableStream<Uint8Array> {
  const points = [0, ...cuts.filter((c) => c > 0 && c < data.byteLength).sort((a, b) => a - b), data.byteLength]
  let i = 0
  return new ReadableStream({
    pull(controller) {
      if (i + 1 >= points.length) {
        controller.close()
        return
      }
      controller.enqueue(data.slice(points[i], points[i + 1]))
      i++
    },
  })
}

/**
 * Resolves, with the last value, once `progress()` has stopped changing: the same value over
 * `quietTurns` timer turns in a row. A timer fires after the work already queued in the isolate
 * (promise jobs, workerd's native stream steps), so a quiet turn means that work found nothing
 * more to do, however busy the machine. It stands where a fixed sleep would stand for "it has
 * stopped": a consumer that keeps pulling never goes quiet before its source is drained, so the
 * bound checked afterwards fails instead of passing by luck.
 * @example const pulled = await untilStill(() => source.pulled)
 */
export async function untilStill(progress: () => number, quietTurns = 3): Promise<number> {
  let last = progress()
  for (let quiet = 0; quiet < quietTurns; ) {
    await new Promise((resolve) => setTimeout(resolve, 0))
    const now = progress()
    quiet = now === last ? quiet + 1 : 0
    last = now
  }
  return last
}

export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const out = new Response(new Blob([data]).stream().pipeThrough(new CompressionStream('gzip')))
  return new Uint8Array(await out.arrayBuffer())
}

/**
 * Every gzip member of `data`, decompressed: node:zlib, as gunzip, DuckDB and Panther read an
 * object (workerd's DecompressionStream stops at the end of the first member and refuses the rest).
 */
export async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  return gunzipSync(data)
}

/** Collects what the pipeline emits, in memory: the NDJSON lines of the events. */
export class MemoryOutput implements BatchOutput {
  events = new Map<string, string[]>()
  quarantined: string[] = []
  event(partition: string, event: CheckedEvent): void {
    const list = this.events.get(partition) ?? []
    list.push(event.json)
    this.events.set(partition, list)
  }
  quarantine(record: string): void {
    this.quarantined.push(record)
  }
  all(): Record<string, unknown>[] {
    return [...this.events.values()].flat().map((l) => JSON.parse(l) as Record<string, unknown>)
  }
  reasons(): { reason: string; line: number; raw: string }[] {
    return this.quarantined.map((q) => JSON.parse(q) as { reason: string; line: number; raw: string })
  }
}

export const batchContext: BatchContext = {
  batchId: '0123456789abcdef0123456789abcdef',
  logType: 'Cloudflare.HttpRequest',
  parseTime: '2026-11-25 10:00:00.000000000',
  sourceId: 'test-source',
  sourceLabel: 'test-label',
}

export const limits = { maxDecompressedBytes: 64 * 1024 * 1024, maxLineBytes: 1024 * 1024 }

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < data.byteLength; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** A gzip member whose deflate data is one stored block: `payload` appears in it byte for byte. */
export function storedGzipMember(payload: Uint8Array): Uint8Array {
  if (payload.byteLength > 0xffff) throw new Error('one stored block holds at most 65535 bytes')
  const len = payload.byteLength
  const header = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])
  const block = new Uint8Array([1, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff])
  const trailer = new Uint8Array(8)
  const view = new DataView(trailer.buffer)
  view.setUint32(0, crc32(payload), true)
  view.setUint32(4, len, true)
  return concatBytes(header, block, payload, trailer)
}
