import type { BatchContext } from '../../src/pipeline/enrich'
import type { BatchOutput } from '../../src/pipeline/run'

const encoder = new TextEncoder()

export function bytes(text: string): Uint8Array {
  return encoder.encode(text)
}

/** A stream that delivers `data` cut at the given offsets. */
export function streamOf(data: Uint8Array, cuts: number[] = []): ReadableStream<Uint8Array> {
  const points = [0, ...cuts.filter((c) => c > 0 && c < data.byteLength), data.byteLength]
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

export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const out = new Response(new Blob([data]).stream().pipeThrough(new CompressionStream('gzip')))
  return new Uint8Array(await out.arrayBuffer())
}

export async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  const out = new Response(new Blob([data]).stream().pipeThrough(new DecompressionStream('gzip')))
  return new Uint8Array(await out.arrayBuffer())
}

/** Collects what the pipeline emits, in memory. */
export class MemoryOutput implements BatchOutput {
  events = new Map<string, string[]>()
  quarantined: string[] = []
  event(partition: string, json: string): void {
    const list = this.events.get(partition) ?? []
    list.push(json)
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
