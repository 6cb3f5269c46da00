import type { OutputFormat } from '../ports'
import { ndjsonGzip } from './ndjson-gzip'

/** The output formats this build writes, by their name in OUTPUT_FORMAT. */
export const outputFormats = {
  ndjson: ndjsonGzip,
} as const satisfies Record<string, OutputFormat>

export type OutputFormatName = keyof typeof outputFormats
