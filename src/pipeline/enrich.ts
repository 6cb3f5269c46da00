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

function sortedUnique(values: string[]): string[] {
  if (values.length < 2) return values
  values.sort()
  let w = 1
  for (let r = 1; r < values.length; r++) if (values[r] !== values[w - 1]) values[w++] = values[r]!
  values.length = w
  return values
}

const ROW_ID_PREFIX_CHARS = 24
const ROW_ID_LINE_DIGITS = 8

/**
 * Adds Panther's standard fields. `p_row_id` is the batch id's head plus the line number, so the
 * same batch always gets the same ids.
 * @example enrich(record, ctx, batch, 7)
 */
export function enrich(record: Record<string, unknown>, ctx: CheckContext, batch: BatchContext, lineNo: number): void {
  record.p_log_type = batch.logType
  record.p_event_time = ctx.eventTime
  record.p_parse_time = batch.parseTime
  record.p_row_id = batch.batchId.slice(0, ROW_ID_PREFIX_CHARS) + lineNo.toString(16).padStart(ROW_ID_LINE_DIGITS, '0')
  record.p_source_id = batch.sourceId
  record.p_source_label = batch.sourceLabel
  record.p_any_ip_addresses = ctx.ip.length ? sortedUnique(ctx.ip) : undefined
  record.p_any_domain_names = ctx.domain.length ? sortedUnique(ctx.domain) : undefined
  record.p_any_trace_ids = ctx.trace_id.length ? sortedUnique(ctx.trace_id) : undefined
  record.p_any_emails = ctx.email.length ? sortedUnique(ctx.email) : undefined
  record.p_any_usernames = ctx.username.length ? sortedUnique(ctx.username) : undefined
}
