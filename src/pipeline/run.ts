import type { BatchOutput } from '../ports'
import type { CompiledSchema } from '../schema/compile'
import { type DecodeStats, decodeBody } from './decode'
import type { BatchContext } from './enrich'
import { NotNdjsonError } from './errors'
import { splitLines } from './lines'
import { EventParser } from './parse'

export interface BatchLimits {
  maxDecompressedBytes: number
  maxLineBytes: number
}

export interface BatchCounts {
  /** Non-blank lines. Always events = written + quarantined. */
  events: number
  written: number
  quarantined: number
  gzip: boolean
  decompressedBytes: number
  /** Latest p_event_time written, '' when none. */
  maxEventTime: string
  /** The batch was Logpush's destination check, `{"content":"tests"}`, and nothing else. */
  validation: boolean
}

const VALIDATION_CONTENT = 'tests'

function isValidationLine(text: string): boolean {
  if (text.length > 64 || !text.includes(VALIDATION_CONTENT)) return false
  try {
    const v = JSON.parse(text) as unknown
    return typeof v === 'object' && v !== null && Object.keys(v).length === 1 && (v as { content?: unknown }).content === VALIDATION_CONTENT
  } catch {
    return false
  }
}

function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 32 && c !== 9) return c
  }
  return -1
}

/**
 * The pipeline of one batch: decode -> lines -> parse+validate -> enrich -> encode, into `out`.
 * Streams end to end; a failure of the batch as a whole throws a named error (see ./errors).
 * @example const counts = await runPipeline(body, schema, batch, limits, output)
 */
export async function runPipeline(
  body: ReadableStream<Uint8Array>,
  schema: CompiledSchema,
  batch: BatchContext,
  limits: BatchLimits,
  out: BatchOutput,
): Promise<BatchCounts> {
  const stats: DecodeStats = { gzip: false, decompressedBytes: 0 }
  const counts: BatchCounts = { events: 0, written: 0, quarantined: 0, gzip: false, decompressedBytes: 0, maxEventTime: '', validation: false }
  const parser = new EventParser(schema, batch)
  // The destination check is held back until a second line shows this is a real batch.
  let heldValidation: { text: string; lineNo: number } | undefined

  const quarantine = (reason: string, lineNo: number, raw: string) => {
    counts.quarantined++
    return out.quarantine(JSON.stringify({ reason, line: lineNo, raw }))
  }

  const handleLine = async (text: string, lineNo: number): Promise<void> => {
    if (parser.parse(text, lineNo)) {
      counts.written++
      if (parser.eventTime > counts.maxEventTime) counts.maxEventTime = parser.eventTime
      await out.event(parser.partition, parser)
    } else {
      await quarantine(parser.reason, lineNo, text)
    }
  }

  const releaseHeld = async (): Promise<void> => {
    if (!heldValidation) return
    const held = heldValidation
    heldValidation = undefined
    await handleLine(held.text, held.lineNo)
  }

  const ndjson = await decodeBody(body, limits, stats)
  await splitLines(ndjson, limits.maxLineBytes, {
    async line(text, lineNo) {
      counts.events++
      if (counts.events === 1) {
        // Logpush NDJSON lines are objects; anything else at the top is another format (CSV output).
        if (firstNonSpace(text) !== 123 /* { */) {
          throw new NotNdjsonError('body is not NDJSON: the first line is not a JSON object (is the Logpush job set to CSV output? NDJSON is required)')
        }
        if (isValidationLine(text)) {
          heldValidation = { text, lineNo }
          return
        }
      }
      await releaseHeld()
      await handleLine(text, lineNo)
    },
    async oversize(lineNo, head, bytes) {
      counts.events++
      await releaseHeld()
      await quarantine(`line is ${bytes} bytes, over MAX_LINE_BYTES (${limits.maxLineBytes}); raw holds its head`, lineNo, head)
    },
  })
  counts.gzip = stats.gzip
  counts.decompressedBytes = stats.decompressedBytes
  if (heldValidation) {
    counts.validation = true
    counts.events = 0
  }
  return counts
}
