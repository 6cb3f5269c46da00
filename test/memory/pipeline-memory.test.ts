// Memory of the pipeline on a large batch, measured in Node: workerd shows no memory figures to
// code inside it (process.memoryUsage() answers zeros there, and there is no gc()), and the
// pipeline keeps to what both runtimes have (Web Streams, node:zlib), so Node runs the same code.
// A 50 MB (decompressed) gzip batch must stream through without holding the batch (peak well
// below its size) and leave nothing behind (the heap after a forced GC is where it was before,
// after two runs).
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import httpText from '../../fixtures/http_requests.unixnano.ndjson?raw'
import type { BatchOutput } from '../../src/ports'
import { runPipeline } from '../../src/pipeline/run'
import { schemas } from '../../src/schema/registry'

const MiB = 1024 * 1024
const BATCH_BYTES = 50 * MiB
const CHUNK_BYTES = 64 * 1024
const SAMPLE_EVERY = 1000

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function used(): number {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

async function settled(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r))
    gc()
  }
  return used()
}

/** About 50 MB of realistic lines, every one distinct (the RayID carries its number), gzipped. */
function bigBatch(): { body: Uint8Array; lines: number } {
  const base = httpText.split('\n').filter((l) => l !== '')
  const parts: string[] = []
  let bytes = 0
  for (let i = 0; bytes < BATCH_BYTES; i++) {
    const line = base[i % base.length]!.replace(/"RayID":"[^"]*"/, `"RayID":"mem-${i}"`)
    parts.push(line)
    bytes += line.length + 1
  }
  return { body: new Uint8Array(gzipSync(`${parts.join('\n')}\n`)), lines: parts.length }
}

/** A stream over `body` in chunks, made as it is read (nothing but the compressed body held). */
function chunks(body: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= body.byteLength) return controller.close()
      controller.enqueue(body.slice(at, at + CHUNK_BYTES))
      at += CHUNK_BYTES
    },
  })
}

describe('pipeline memory on a 50 MB batch (Node)', () => {
  it('streams it with a bounded peak and retains nothing after it', async () => {
    const { body, lines } = bigBatch()
    const schema = schemas().get('http_requests')!
    const batch = { batchId: 'f'.repeat(32), logType: schema.logType, parseTime: '2026-11-25 10:00:00.000000000', sourceId: 's', sourceLabel: 'l' }
    const limits = { maxDecompressedBytes: 1024 * MiB, maxLineBytes: MiB }

    const runOnce = async () => {
      const before = await settled()
      let peak = 0
      let seen = 0
      // Discards what it is given, like an S3 writer that has uploaded it; samples memory as it goes.
      const out: BatchOutput = {
        event() {
          if (++seen % SAMPLE_EVERY === 0) peak = Math.max(peak, used() - before)
        },
        quarantine() {},
      }
      const counts = await runPipeline(chunks(body), schema, batch, limits, out)
      expect(counts).toMatchObject({ events: lines, written: lines, quarantined: 0 })
      expect(counts.decompressedBytes).toBeGreaterThanOrEqual(BATCH_BYTES)
      return { peak, after: (await settled()) - before }
    }

    const baseline = await settled()
    const first = await runOnce()
    const second = await runOnce()
    const retained = (await settled()) - baseline
    console.log(
      `memory, 50 MB batch (${lines} lines, ${(body.byteLength / MiB).toFixed(1)} MiB gzip): peak +${(first.peak / MiB).toFixed(1)} MiB / +${(second.peak / MiB).toFixed(1)} MiB over the run's start; after 2 runs +${(retained / MiB).toFixed(2)} MiB`,
    )
    // Garbage between GCs counts in the peak: bounded means far below the batch, not zero.
    expect(first.peak).toBeLessThan(BATCH_BYTES / 2)
    expect(second.peak).toBeLessThan(BATCH_BYTES / 2)
    expect(retained).toBeLessThan(4 * MiB)
  }, 120_000)
})
