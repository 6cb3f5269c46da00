import type { CheckContext } from '../schema/compile'
import { isPipelineField } from './enrich'
import type { LineMembers } from './members'

/**
 * The event as its own line with the checks' replacements spliced in and `enriched` appended:
 * members nobody changed are copied as written, runs of them in one slice. Unknown fields and json
 * values so keep every digit, and nothing is serialised twice.
 */
export function encodeSpliced(members: LineMembers, ctx: CheckContext, enriched: string): string {
  const { text, count, keyStart, valueStart, valueEnd, column } = members
  const replacements = ctx.replacements
  let json = '{'
  let comma = ''
  let runStart = -1
  let runEnd = -1
  for (let m = 0; m < count; m++) {
    const c = column[m]!
    const replacement = c < 0 ? undefined : replacements[c]
    if (replacement === undefined) {
      if (runStart < 0) runStart = keyStart[m]!
      runEnd = valueEnd[m]!
      continue
    }
    if (runStart >= 0) {
      json += comma + text.slice(runStart, runEnd)
      comma = ','
      runStart = -1
    }
    // '' drops the member.
    if (replacement !== '') {
      json += comma + text.slice(keyStart[m]!, valueStart[m]!) + replacement
      comma = ','
    }
  }
  if (runStart >= 0) {
    json += comma + text.slice(runStart, runEnd)
    comma = ','
  }
  return `${json}${comma}${enriched}}`
}

/** The event serialised from its checked record, `enriched` appended (the general way). */
export function encodeRecord(record: Record<string, unknown>, enriched: string): string {
  for (const name of Object.keys(record)) if (isPipelineField(name)) record[name] = undefined
  const json = JSON.stringify(record)
  return json.length > 2 ? `${json.slice(0, -1)},${enriched}}` : `{${enriched}}`
}
