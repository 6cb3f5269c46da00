import type { CheckedEvent, StandardFields } from '../ports'
import { CheckContext, type CompiledSchema, INEXACT } from '../schema/compile'
import { encodeRecord, encodeSpliced } from './encode'
import { type BatchContext, Enricher, isPipelineField } from './enrich'
import { LineMembers } from './members'

const PREVIEW_CHARS = 80
// `YYYY-MM-DD HH` of an event time.
const PARTITION_CHARS = 13
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

/**
 * A member's parsed value with the numbers a double rounds as their text, as `exactNumbers`
 * gives them: re-read from the line only where the value holds such a number.
 */
function exactValue(members: LineMembers, m: number): unknown {
  const v = members.values[m]
  if (typeof v === 'number') return Number.isSafeInteger(v) || (Number.isFinite(v) && !Number.isInteger(v)) ? v : JSON.rawJSON(members.memberText(m))
  if (typeof v !== 'object' || v === null) return v
  const text = members.memberText(m)
  return LONG_NUMBER.test(text) ? JSON.parse(text, exactNumbers) : v
}

/** The standard fields of the parser's current event, read from its state when asked. */
class StandardView implements StandardFields {
  constructor(
    private readonly batch: BatchContext,
    private readonly ctx: CheckContext,
    private readonly enricher: Enricher,
    private readonly parser: EventParser,
  ) {}

  get p_log_type(): string {
    return this.batch.logType
  }
  get p_event_time(): string {
    return this.ctx.eventTime
  }
  get p_parse_time(): string {
    return this.batch.parseTime
  }
  get p_row_id(): string {
    return this.enricher.rowId(this.parser.lineNo)
  }
  get p_source_id(): string {
    return this.batch.sourceId
  }
  get p_source_label(): string {
    return this.batch.sourceLabel
  }
  // Enrichment sorted and deduplicated these in place when it wrote the line.
  get p_any_ip_addresses(): readonly string[] {
    return this.ctx.ip
  }
  get p_any_domain_names(): readonly string[] {
    return this.ctx.domain
  }
  get p_any_trace_ids(): readonly string[] {
    return this.ctx.trace_id
  }
  get p_any_emails(): readonly string[] {
    return this.ctx.email
  }
  get p_any_usernames(): readonly string[] {
    return this.ctx.username
  }
  get p_any_sha256_hashes(): readonly string[] {
    return this.ctx.sha256
  }
  get p_any_sha1_hashes(): readonly string[] {
    return this.ctx.sha1
  }
  get p_any_md5_hashes(): readonly string[] {
    return this.ctx.md5
  }
  get p_any_mac_addresses(): readonly string[] {
    return this.ctx.mac
  }
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
 * public fields hold the result (no object per event for the verdict), and the parser itself is
 * the accepted event as output formats read it (`CheckedEvent`): what only other formats need
 * (values by column, unknown fields, standard fields) is worked out when they ask for it.
 *
 * The usual way: JSON.parse checks the syntax and gives the values, the field loop checks them
 * and notes which columns it changed, and the output is the line's own text with those changes
 * and the enrichment spliced in. The general way, for what splicing cannot express (a key given
 * twice or with escapes, a change inside a nested value), serialises the checked record.
 * @example if (p.parse(text, n)) out.event(p.partition, p); else quarantine(p.reason)
 */
export class EventParser implements CheckedEvent {
  json = ''
  /** `YYYY-MM-DD HH` of the event time: the output partition. */
  partition = ''
  eventTime = ''
  /** Line number of the accepted event. */
  lineNo = 0
  reason = ''
  readonly columns: readonly string[]
  readonly standard: StandardFields
  private readonly ctx = new CheckContext()
  private readonly enricher: Enricher
  private readonly members: LineMembers | null
  /** The checked record the event was serialised from, or null when its line was spliced. */
  private record: Record<string, unknown> | null = null
  private known: ReadonlySet<string> | undefined

  constructor(
    private readonly schema: CompiledSchema,
    batch: BatchContext,
    options: EventParserOptions = {},
  ) {
    this.enricher = new Enricher(batch)
    this.members = options.encode === 'serialize' ? null : new LineMembers(schema.columns, isPipelineField)
    this.columns = schema.columns
    this.standard = new StandardView(batch, this.ctx, this.enricher, this)
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
    return this.accept(lineNo, null)
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
    return this.accept(lineNo, record)
  }

  value(column: number): unknown {
    const record = this.record
    if (record !== null) {
      const name = this.columns[column]!
      return Object.hasOwn(record, name) ? record[name] : undefined
    }
    const ctx = this.ctx
    if (ctx.replacements[column] !== undefined) return ctx.values[column]
    const members = this.members!
    const m = members.memberOf[column]!
    return m < 0 ? undefined : exactValue(members, m)
  }

  unknownFields(): [string, unknown][] {
    const fields: [string, unknown][] = []
    const record = this.record
    if (record !== null) {
      const known = (this.known ??= new Set(this.columns))
      for (const name of Object.keys(record)) if (!known.has(name) && !isPipelineField(name)) fields.push([name, record[name]])
      return fields
    }
    const members = this.members!
    for (let m = 0; m < members.count; m++) if (members.column[m]! < 0) fields.push([members.key(m), exactValue(members, m)])
    return fields
  }

  private accept(lineNo: number, record: Record<string, unknown> | null): true {
    this.lineNo = lineNo
    this.record = record
    const eventTime = this.ctx.eventTime
    this.eventTime = eventTime
    // Events of a batch mostly fall in the hour of the one before: the same string is kept, not
    // a new one made per event (and the output's lookup by partition finds its hash cached).
    if (this.partition.length !== PARTITION_CHARS || !eventTime.startsWith(this.partition)) this.partition = eventTime.slice(0, PARTITION_CHARS)
    return true
  }

  private reject(reason: string): false {
    this.reason = reason
    return false
  }
}
