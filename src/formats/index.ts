import type { OutputFormat } from '../ports'
import { ndjsonGzip } from './ndjson-gzip'
import { parquet } from './parquet'

/** The output formats this build writes, by their name in OUTPUT_FORMAT. */
export const outputFormats = {
  ndjson: ndjsonGzip,
  parquet,
} as const satisfies Record<string, OutputFormat>

export type OutputFormatName = keyof typeof outputFormats
