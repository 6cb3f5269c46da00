import type { BatchOutput } from '../../../src/ports'

/** How many quarantined lines a file's report shows with their full reasons. */
export const FIRST_LINES = 5

// A field's reason ends with the value it met, `ClientIP: expected ip, got "x"`: one bad column
// would otherwise count as many reasons as it has distinct values. The lazy `.*?` stops at the
// first ", got", which the field name and the type before it never hold.
const FIELD_VALUE = /^(.*?: (?:expected|bad element of) .*?), got .*$/s
const JSON_ERROR = /^(not valid JSON): .*$/s
const OVERSIZE = /^line is \d+ bytes, (over MAX_LINE_BYTES \(\d+\)).*$/s

/**
 * A quarantine reason without the value in it, to count by: the bad value of a field, the JSON
 * parser's message, an over-long line's size.
 * @example reasonKind('ClientSrcPort: expected int, got "443/tcp"') // 'ClientSrcPort: expected int'
 */
export function reasonKind(reason: string): string {
  return reason.replace(FIELD_VALUE, '$1').replace(JSON_ERROR, '$1').replace(OVERSIZE, 'line $1')
}

export interface QuarantinedLine {
  line: number
  reason: string
}

/**
 * The pipeline's output for `check`: writes nothing, counts quarantine records by reasonKind and
 * keeps the first FIRST_LINES of them whole.
 */
export class TallyOutput implements BatchOutput {
  readonly reasons = new Map<string, number>()
  readonly first: QuarantinedLine[] = []

  event(): void {
    // Events are counted by the pipeline (BatchCounts.written); check keeps none of them.
  }

  quarantine(record: string): void {
    const { reason, line } = JSON.parse(record) as QuarantinedLine
    const kind = reasonKind(reason)
    this.reasons.set(kind, (this.reasons.get(kind) ?? 0) + 1)
    if (this.first.length < FIRST_LINES) this.first.push({ line, reason })
  }

  /** The counts by reason, most frequent first. */
  reasonCounts(): Record<string, number> {
    return Object.fromEntries([...this.reasons].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1)))
  }
}
