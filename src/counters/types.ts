/** What the ingest route reports for one batch, after every object of it is durably in S3. */
export interface BatchRecord {
  /** Content hash of the batch; a batch id already counted is ignored (exactly-once). */
  batchId: string
  dataset: string
  /** ms epoch, when the request arrived. */
  receivedAt: number
  /** Non-blank lines in. */
  events: number
  written: number
  quarantined: number
  /** Compressed request body bytes. */
  bytesReceived: number
  bytesDecompressed: number
  /** S3 objects written. */
  objects: number
  /** ms epoch of the max p_event_time in the batch; null when no line had one. */
  maxEventTime: number | null
}

/** A dataset's counters since its Durable Object was created. Times are ms epoch. */
export interface DatasetTotals {
  batches: number
  events: number
  written: number
  quarantined: number
  bytesReceived: number
  bytesDecompressed: number
  objects: number
  /** Logpush destination checks answered. */
  validations: number
  /** Batches ignored because their id was already counted (Logpush retries). */
  duplicates: number
  /** Batches that failed (5xx or rejected), all reasons together. */
  failures: number
  failuresByReason: Record<string, number>
  /** quarantined / events, 0 when there are no events. */
  quarantineRate: number
  lastBatchAt: number | null
  /** The latest event time seen in any batch (max p_event_time). */
  lastEventAt: number | null
  /** receivedAt − maxEventTime of the most recent batch that had an event time. */
  lagMs: number | null
  lastFailureAt: number | null
  lastValidationAt: number | null
}

export interface DatasetStats extends DatasetTotals {
  dataset: string
}

/** One hour of activity, bucketed by receivedAt (failures by the time they were recorded). */
export interface HourlyPoint {
  /** ms epoch of the start of the hour (UTC). */
  hour: number
  batches: number
  events: number
  written: number
  quarantined: number
  /** Compressed bytes received. */
  bytes: number
  failures: number
}

/**
 * What a dataset's object pushes to the summary object after every write: its totals and its
 * recent hours, as absolute values. `version` grows with every write, so the summary keeps the
 * newest snapshot whatever order pushes arrive in, and a push sent twice changes nothing.
 */
export interface DatasetSnapshot {
  dataset: string
  version: number
  totals: DatasetTotals
  /** Hours with activity among the last RECENT_HOURS at the time of the push, oldest first. */
  recent: HourlyPoint[]
}

/** One dataset as the status page shows it: totals and the recent hours. */
export interface DatasetRecent {
  stats: DatasetStats
  series: HourlyPoint[]
}
