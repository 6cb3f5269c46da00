/** A cached gzip batch of bench/out/ and its facts. */
export interface Dataset {
  file: string
  dataset: string
  size: string
  spanHours?: number
  lines: number
  /** Decompressed bytes. */
  bytes: number
  compressedBytes: number
  gzipLevel: number
  generator: number
}

/** Bench dataset -> the Logpush dataset whose schema parses it. */
export const SCHEMA_OF: Readonly<Record<string, string>>

/** The datasets with a generator of their own, each with its generator's version. */
export const TUNED: Readonly<Record<string, number>>

/** What a bench run measures unless told. */
export const BENCHED: readonly string[]

/** The first `count` lines of a bench dataset's batch of that many lines, without their newlines. */
export function sampleLines(dataset: string, count: number): string[]

/** The cached gzip file for a dataset and size (`100000` lines, `100MB`), generated on first use. */
export function ensureDataset(dataset: string, size: string, log?: (message: string) => void, options?: { spanHours?: number }): Promise<Dataset>
