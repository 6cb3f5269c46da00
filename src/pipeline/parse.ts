import { CheckContext, type CompiledSchema, INEXACT } from '../schema/compile'
import { encodeRecord, encodeSpliced } from './encode'
import { type BatchContext, ENRICHED_FIELDS, Enricher } from './enrich'
import { LineMembers } from './members'

const PREVIEW_CHARS = 80
// A JSON number of 16 or more digits may be beyond 2^53, and one with a 3-digit exponent beyond a
// double (1e400 reads as Infinity, which JSON.stringify writes as null). When a line is serialised
// from its parsed record, one of these anywhere makes it parse again with each number's source
// text. A match inside a string only costs that second parse.
const LONG_NUMBER = /[:,[]\s*-?(\d{16}|[\d.]+[eE]\+?\d{3})/

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

export interface EventParserOptions {
  /**
   * Reuse each line's text for its output (the default), or always serialise the parsed record.
   * Both write the same events; the second is the reference the first is tested against.
   */
  encode?: 'splice' | 'serialize'
}

/**
 * One line -> one enriched NDJSON line, or a reason. One instance per batch; after `parse` the
 * public fields hold the result (no object per event for the verdict).
 *
 * The usual way: JSON.parse checks the syntax and gives the values, the field loop checks them
 * and notes which columns it changed, and the output is the line's own text with those changes
 * and the enrichment spliced in. The general way, for what splicing cannot express (a key given
 * twice or with escapes, a change inside a nested value), serialises the checked record.
 * @example if (p.parse(text, n)) write(p.partition, p.json); else quarantine(p.reason)
 */
export class EventParser {
  json = ''
  /** `YYYY-MM-DD HH` of the event time: the output partition. */
  partition = ''
  eventTime = ''
  reason = ''
  private readonly ctx = new CheckContext()
  private readonly enricher: Enricher
  private readonly members: LineMembers | null

  constructor(
    private readonly schema: CompiledSchema,
    batch: BatchContext,
    options: EventParserOptions = {},
  ) {
    this.enricher = new Enricher(batch)
    this.members = options.encode === 'serialize' ? null : new LineMembers(schema.columns, ENRICHED_FIELDS)
  }

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
    const members = this.members !== null && this.members.scan(text, record) ? this.members : null
    if (members === null) return this.serialize(text, lineNo, record as Record<string, unknown>)
    const ctx = this.ctx
    ctx.reset(members)
    const verdict = this.schema.check(record as Record<string, unknown>, ctx)
    if (verdict !== null && verdict !== INEXACT) return this.reject(verdict)
    if (verdict === INEXACT || !ctx.spliceable) return this.serialize(text, lineNo)
    this.json = encodeSpliced(members, ctx, this.enricher.fields(ctx, lineNo))
    return this.accept()
  }

  /** The general way: check the record in place and serialise it. `parsed` is unchecked, or none. */
  private serialize(text: string, lineNo: number, parsed?: Record<string, unknown>): boolean {
    const exact = LONG_NUMBER.test(text)
    let record = (exact ? JSON.parse(text, exactNumbers) : (parsed ?? JSON.parse(text))) as Record<string, unknown>
    const ctx = this.ctx
    ctx.reset(null)
    let verdict = this.schema.check(record, ctx)
    if (verdict === INEXACT && !exact) {
      // A number the pattern above did not catch (such as 1e+21 in a string column).
      record = JSON.parse(text, exactNumbers) as Record<string, unknown>
      ctx.reset(null)
      verdict = this.schema.check(record, ctx)
    }
    if (verdict !== null) return this.reject(verdict === INEXACT ? 'a number could not be read exactly' : verdict)
    this.json = encodeRecord(record, this.enricher.fields(ctx, lineNo))
    return this.accept()
  }

  private accept(): true {
    this.eventTime = this.ctx.eventTime
    this.partition = this.ctx.eventTime.slice(0, 13)
    return true
  }

  private reject(reason: string): false {
    this.reason = reason
    return false
  }
}
