import { CheckContext, type CompiledSchema, INEXACT } from '../schema/compile'
import { type BatchContext, enrich } from './enrich'

const PREVIEW_CHARS = 80
// A JSON number of 16 or more digits may be beyond 2^53, and one with a 3-digit exponent beyond a
// double (1e400 reads as Infinity, which JSON.stringify writes as null). Columns report one as
// INEXACT; this catches those in unknown fields and json values, which no checker looks into. A
// match inside a string only costs a second parse.
const LONG_NUMBERS = /[:,[]\s*-?(\d{16}|[\d.]+[eE]\+?\d{3})/g

function countLongNumbers(text: string): number {
  LONG_NUMBERS.lastIndex = 0
  let n = 0
  while (LONG_NUMBERS.exec(text) !== null) n++
  return n
}

/** Keeps integers beyond 2^53 and numbers beyond a double as their source text, so none is changed on the way out. */
function exactNumbers(_key: string, value: unknown, context: JSONReviverContext): unknown {
  if (typeof value === 'number' && (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) && context.source !== undefined) {
    return JSON.rawJSON(context.source)
  }
  return value
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? 'a string' : `a ${typeof v}`
}

/**
 * One line -> one enriched NDJSON line, or a reason. One instance per batch; after `parse` the
 * public fields hold the result (no object per event for the verdict).
 * @example if (p.parse(text, n)) write(p.partition, p.json); else quarantine(p.reason)
 */
export class EventParser {
  json = ''
  /** `YYYY-MM-DD HH` of the event time: the output partition. */
  partition = ''
  eventTime = ''
  reason = ''
  private readonly ctx = new CheckContext()

  constructor(
    private readonly schema: CompiledSchema,
    private readonly batch: BatchContext,
  ) {}

  parse(text: string, lineNo: number): boolean {
    try {
      return this.parseLine(text, lineNo)
    } catch (err) {
      // A failure of one line is that line's verdict, never the batch's. JSON.stringify and a
      // reviver recurse, so a deeply nested value (JSON.parse itself copes) overflows the stack
      // at a depth that depends on where the stack already is.
      if (err instanceof RangeError) return this.reject(`nested too deeply to process (${err.message.slice(0, PREVIEW_CHARS)})`)
      return this.reject(`could not be processed: ${String(err).slice(0, PREVIEW_CHARS)}`)
    }
  }

  private parseLine(text: string, lineNo: number): boolean {
    let record: unknown
    try {
      record = JSON.parse(text)
    } catch (err) {
      return this.reject(`not valid JSON: ${(err as Error).message.slice(0, PREVIEW_CHARS)}`)
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return this.reject(`expected a JSON object, got ${describe(record)}`)
    }
    const ctx = this.ctx
    ctx.reset()
    ctx.source = text
    let verdict = this.schema.check(record as Record<string, unknown>, ctx)
    if (verdict === INEXACT || (verdict === null && countLongNumbers(text) > ctx.exactNumbers)) {
      // Rare by design: columns read their long numbers back from the text; only a long number
      // elsewhere (an unknown field, inside json or an array) makes the line pay for the reviver.
      record = JSON.parse(text, exactNumbers)
      ctx.reset()
      verdict = this.schema.check(record as Record<string, unknown>, ctx)
    }
    if (verdict !== null) return this.reject(verdict === INEXACT ? 'a number could not be read exactly' : verdict)
    enrich(record as Record<string, unknown>, ctx, this.batch, lineNo)
    this.json = JSON.stringify(record)
    this.eventTime = ctx.eventTime
    this.partition = ctx.eventTime.slice(0, 13)
    return true
  }

  private reject(reason: string): false {
    this.reason = reason
    return false
  }
}
