import type { CheckContext } from '../schema/compile'

/** What every event of one batch shares. */
export interface BatchContext {
  batchId: string
  logType: string
  /** Receive time, formatted like event timestamps. */
  parseTime: string
  sourceId: string
  sourceLabel: string
}

/**
 * Whether an input field is a pipeline's own (`p_` is Panther's reserved prefix, and ours): ours
 * are written afresh and any other (a Panther export's p_source_file, p_udm, ...) described the
 * copy it came from, so neither is kept, and re-ingesting an export writes the same events.
 */
export function isPipelineField(name: string): boolean {
  return name.charCodeAt(0) === 112 /* p */ && name.charCodeAt(1) === 95 /* _ */
}

function sortedUnique(values: string[]): string[] {
  if (values.length < 2) return values
  // An event has a handful of each: insertion sort, without Array#sort's set-up per call.
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!
    let j = i
    for (; j > 0 && values[j - 1]! > v; j--) values[j] = values[j - 1]!
    values[j] = v
  }
  let w = 1
  for (let r = 1; r < values.length; r++) if (values[r] !== values[w - 1]) values[w++] = values[r]!
  values.length = w
  return values
}

const ROW_ID_PREFIX_CHARS = 24
const ROW_ID_LINE_DIGITS = 8

/**
 * Panther's standard fields as JSON members, to close an event's object with. What the batch
 * shares is written once; `p_row_id` is the batch id's head plus the line number, so the same
 * batch always gets the same ids.
 * @example const json = `{${members},${enricher.fields(ctx, 7)}}`
 */
export class Enricher {
  private readonly beforeEventTime: string
  private readonly beforeLineNo: string
  private readonly afterLineNo: string
  private readonly rowIdPrefix: string

  constructor(batch: BatchContext) {
    this.rowIdPrefix = batch.batchId.slice(0, ROW_ID_PREFIX_CHARS)
    this.beforeEventTime = `"p_log_type":${JSON.stringify(batch.logType)},"p_event_time":"`
    this.beforeLineNo = `","p_parse_time":${JSON.stringify(batch.parseTime)},"p_row_id":"${batch.batchId.slice(0, ROW_ID_PREFIX_CHARS)}`
    this.afterLineNo = `","p_source_id":${JSON.stringify(batch.sourceId)},"p_source_label":${JSON.stringify(batch.sourceLabel)}`
  }

  /** The `p_row_id` that `fields` writes for line `lineNo`. */
  rowId(lineNo: number): string {
    return this.rowIdPrefix + lineNo.toString(16).padStart(ROW_ID_LINE_DIGITS, '0')
  }

  /** The members for one event, from what its field checks collected (`ctx.eventTime` needs no escaping). */
  fields(ctx: CheckContext, lineNo: number): string {
    let json = this.beforeEventTime + ctx.eventTime + this.beforeLineNo + lineNo.toString(16).padStart(ROW_ID_LINE_DIGITS, '0') + this.afterLineNo
    if (ctx.ip.length) json += `,"p_any_ip_addresses":${JSON.stringify(sortedUnique(ctx.ip))}`
    if (ctx.domain.length) json += `,"p_any_domain_names":${JSON.stringify(sortedUnique(ctx.domain))}`
    if (ctx.trace_id.length) json += `,"p_any_trace_ids":${JSON.stringify(sortedUnique(ctx.trace_id))}`
    if (ctx.email.length) json += `,"p_any_emails":${JSON.stringify(sortedUnique(ctx.email))}`
    if (ctx.username.length) json += `,"p_any_usernames":${JSON.stringify(sortedUnique(ctx.username))}`
    if (ctx.sha256.length) json += `,"p_any_sha256_hashes":${JSON.stringify(sortedUnique(ctx.sha256))}`
    if (ctx.sha1.length) json += `,"p_any_sha1_hashes":${JSON.stringify(sortedUnique(ctx.sha1))}`
    if (ctx.md5.length) json += `,"p_any_md5_hashes":${JSON.stringify(sortedUnique(ctx.md5))}`
    if (ctx.mac.length) json += `,"p_any_mac_addresses":${JSON.stringify(sortedUnique(ctx.mac))}`
    return json
  }
}
