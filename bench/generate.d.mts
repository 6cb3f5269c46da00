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

/** The cached gzip file for a dataset and size (`100000` lines, `100MB`), generated on first use. */
export function ensureDataset(dataset: string, size: string, log?: (message: string) => void, options?: { spanHours?: number }): Promise<Dataset>
