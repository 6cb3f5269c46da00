import { DurableObject } from 'cloudflare:workers'
import { summaryOf } from './client'
import { within } from '../utils/within'
import { DAY_MS, HOUR_MS, RECENT_HOURS, hourOf } from './hours'
import type { BatchRecord, DatasetSnapshot, DatasetTotals, HourlyPoint } from './types'

/** The hourly series and the batch ids remembered for dedup cover this much time (by receivedAt). */
export const RETENTION_MS = 7 * DAY_MS
/** Hours in the series: the current hour and the 167 before it. */
export const RETENTION_HOURS = RETENTION_MS / HOUR_MS
const PRUNE_EVERY_MS = HOUR_MS
/** A push to the summary that failed is tried again this much later, by the alarm. */
const PUBLISH_RETRY_MS = 60_000
/**
 * A write waits this long at most for its push to the summary, whatever pushes are ahead of it,
 * so a slow summary adds no more than this to a batch's answer; the push goes on without it.
 */
export const PUBLISH_WAIT_MS = 2_000
/** A push the summary has not answered in this long counts as failed, so it holds up no later push. */
const PUSH_TIMEOUT_MS = 2_000
const MAX_BATCH_ID_LENGTH = 256
const MAX_REASON_LENGTH = 64
const COUNT_FIELDS = ['events', 'written', 'quarantined', 'bytesReceived', 'bytesDecompressed', 'objects'] as const

const SCHEMA = `
CREATE TABLE IF NOT EXISTS totals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  batches INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0,
  written INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  bytes_received INTEGER NOT NULL DEFAULT 0,
  bytes_decompressed INTEGER NOT NULL DEFAULT 0,
  objects INTEGER NOT NULL DEFAULT 0,
  validations INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  last_batch_at INTEGER,
  last_event_at INTEGER,
  lag_ms INTEGER,
  lag_at INTEGER,
  last_failure_at INTEGER,
  last_validation_at INTEGER
);
INSERT OR IGNORE INTO totals (id) VALUES (1);
CREATE TABLE IF NOT EXISTS failures (
  reason TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  last_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS hourly (
  hour INTEGER PRIMARY KEY,
  batches INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0,
  written INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seen_batches (
  batch_id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_batches_by_time ON seen_batches (received_at);
`

// SQLite evaluates every SET expression against the row as it was, so lag_at in the
// conditions is the previous value: the lag follows the most recently received batch
// even when batches are recorded out of order.
const ADD_BATCH = `
UPDATE totals SET
  batches = batches + 1,
  events = events + ?1,
  written = written + ?2,
  quarantined = quarantined + ?3,
  bytes_received = bytes_received + ?4,
  bytes_decompressed = bytes_decompressed + ?5,
  objects = objects + ?6,
  last_batch_at = MAX(COALESCE(last_batch_at, ?7), ?7),
  last_event_at = CASE WHEN ?8 IS NULL THEN last_event_at ELSE MAX(COALESCE(last_event_at, ?8), ?8) END,
  lag_ms = CASE WHEN ?8 IS NOT NULL AND ?7 >= COALESCE(lag_at, ?7) THEN ?7 - ?8 ELSE lag_ms END,
  lag_at = CASE WHEN ?8 IS NOT NULL AND ?7 >= COALESCE(lag_at, ?7) THEN ?7 ELSE lag_at END
WHERE id = 1`

const ADD_HOUR = `
INSERT INTO hourly (hour, batches, events, written, quarantined, bytes, failures)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (hour) DO UPDATE SET
  batches = batches + excluded.batches,
  events = events + excluded.events,
  written = written + excluded.written,
  quarantined = quarantined + excluded.quarantined,
  bytes = bytes + excluded.bytes,
  failures = failures + excluded.failures`

type TotalsRow = {
  batches: number
  events: number
  written: number
  quarantined: number
  bytes_received: number
  bytes_decompressed: number
  objects: number
  validations: number
  duplicates: number
  failures: number
  last_batch_at: number | null
  last_event_at: number | null
  lag_ms: number | null
  last_failure_at: number | null
  last_validation_at: number | null
}

/**
 * One instance per dataset (`idFromName(dataset)`): totals, failures by reason, an hourly
 * series and the recent batch ids, in the object's SQLite storage. Every method does its
 * reads and writes synchronously inside one transaction, so concurrent calls never
 * interleave and a call that throws leaves nothing half-counted.
 * After every write, and from the hourly alarm, it pushes a snapshot (totals and the last
 * RECENT_HOURS hours) to the one `CountersSummary`, so that a page of every dataset costs one
 * call. The push is best effort: the write waits PUBLISH_WAIT_MS for it at most, and a push
 * that fails is logged, never fails the write, and is tried again by the alarm a minute later.
 * Use it through `countersFor(env, dataset)` from ./client.
 */
export class DatasetCounters extends DurableObject<Env> {
  /**
   * Time source for retention, failures and validations. Not reachable over RPC (only
   * prototype methods are); tests set it through runInDurableObject to move in time.
   */
  now: () => number = () => Date.now()
  private alarmScheduled = false
  /** The push that writes from now on join: not started, so its snapshot is not taken yet. */
  private queued: Promise<void> | undefined
  private sending: Promise<void> | undefined

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    // sql.exec is synchronous: the tables exist before the first call is delivered,
    // so there is nothing to wrap in blockConcurrencyWhile.
    ctx.storage.sql.exec(SCHEMA)
  }

  /** Counts a batch once per batchId; `counted: false` means it was already counted. */
  async recordBatch(rec: BatchRecord): Promise<{ counted: boolean }> {
    checkBatch(rec)
    const sql = this.ctx.storage.sql
    const counted = this.ctx.storage.transactionSync(() => {
      const fresh = sql
        .exec(
          'INSERT INTO seen_batches (batch_id, received_at) VALUES (?, ?) ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id',
          rec.batchId,
          rec.receivedAt,
        )
        .toArray()
      if (fresh.length === 0) {
        sql.exec('UPDATE totals SET duplicates = duplicates + 1 WHERE id = 1')
        return false
      }
      sql.exec(ADD_BATCH, rec.events, rec.written, rec.quarantined, rec.bytesReceived, rec.bytesDecompressed, rec.objects, rec.receivedAt, rec.maxEventTime)
      sql.exec(ADD_HOUR, hourOf(rec.receivedAt), 1, rec.events, rec.written, rec.quarantined, rec.bytesReceived, 0)
      return true
    })
    await this.schedulePrune()
    await this.publish()
    return { counted }
  }

  /** Whether a batch id was counted (within the retention of batch ids): it was stored in full. */
  async hasBatch(batchId: string): Promise<boolean> {
    return this.ctx.storage.sql.exec('SELECT 1 FROM seen_batches WHERE batch_id = ?', batchId).toArray().length > 0
  }

  /** Counts a Logpush destination check (it writes nothing). */
  async recordValidation(): Promise<void> {
    this.ctx.storage.sql.exec(
      'UPDATE totals SET validations = validations + 1, last_validation_at = MAX(COALESCE(last_validation_at, ?1), ?1) WHERE id = 1',
      this.now(),
    )
    await this.publish()
  }

  /** Counts a batch that was not stored, under a short reason code such as 's3_unavailable'. */
  async recordFailure(reason: string): Promise<void> {
    const code = reasonCode(reason)
    const at = this.now()
    const sql = this.ctx.storage.sql
    this.ctx.storage.transactionSync(() => {
      sql.exec('UPDATE totals SET failures = failures + 1, last_failure_at = MAX(COALESCE(last_failure_at, ?1), ?1) WHERE id = 1', at)
      sql.exec(
        `INSERT INTO failures (reason, count, last_at) VALUES (?1, 1, ?2)
         ON CONFLICT (reason) DO UPDATE SET count = count + 1, last_at = MAX(last_at, ?2)`,
        code,
        at,
      )
      sql.exec(ADD_HOUR, hourOf(at), 0, 0, 0, 0, 0, 1)
    })
    await this.schedulePrune()
    await this.publish()
  }

  async stats(): Promise<DatasetTotals> {
    return this.totals()
  }

  /**
   * This dataset's snapshot, as the summary keeps it, once pushed there (best effort): for a
   * dataset the summary has no snapshot of (counters written before the summary existed, or
   * never written).
   */
  async snapshot(): Promise<DatasetSnapshot> {
    const dataset = this.ctx.id.name
    if (dataset === undefined) throw new TypeError('counters must be addressed by dataset name (idFromName)')
    await this.publish()
    return this.currentSnapshot(dataset)
  }

  private totals(): DatasetTotals {
    const sql = this.ctx.storage.sql
    const row = sql.exec<TotalsRow>('SELECT * FROM totals WHERE id = 1').one()
    const failuresByReason: Record<string, number> = {}
    for (const f of sql.exec<{ reason: string; count: number }>('SELECT reason, count FROM failures ORDER BY count DESC, reason')) {
      failuresByReason[f.reason] = f.count
    }
    return {
      batches: row.batches,
      events: row.events,
      written: row.written,
      quarantined: row.quarantined,
      bytesReceived: row.bytes_received,
      bytesDecompressed: row.bytes_decompressed,
      objects: row.objects,
      validations: row.validations,
      duplicates: row.duplicates,
      failures: row.failures,
      failuresByReason,
      quarantineRate: row.events === 0 ? 0 : row.quarantined / row.events,
      lastBatchAt: row.last_batch_at,
      lastEventAt: row.last_event_at,
      lagMs: row.lag_ms,
      lastFailureAt: row.last_failure_at,
      lastValidationAt: row.last_validation_at,
    }
  }

  /** Hours with activity in the retention window, oldest first; empty hours are omitted. */
  async series(): Promise<HourlyPoint[]> {
    return this.hoursFrom(this.firstKeptHour())
  }

  /**
   * Drops hours and batch ids older than the retention window, pushes the snapshot again (a
   * push that failed, or was lost with an evicted object, is made good here), then re-arms
   * while data is left.
   */
  override async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql
    this.ctx.storage.transactionSync(() => {
      sql.exec('DELETE FROM hourly WHERE hour < ?', this.firstKeptHour())
      sql.exec('DELETE FROM seen_batches WHERE received_at < ?', this.now() - RETENTION_MS)
    })
    this.alarmScheduled = false
    await this.publish()
    const left = sql.exec<{ n: number }>('SELECT (SELECT COUNT(*) FROM hourly) + (SELECT COUNT(*) FROM seen_batches) AS n').one().n
    if (left > 0) await this.schedulePrune()
  }

  /**
   * Pushes the snapshot to the summary, after the write the caller just made. One push at a
   * time: writes made while one is on its way share the next, so a burst of batches costs about
   * two pushes rather than one each. The caller waits PUBLISH_WAIT_MS at most.
   */
  private async publish(): Promise<void> {
    this.queued ??= this.pushAfter(this.sending)
    // push() never rejects: only the wait can end early, and the push then goes on alone.
    await within(this.queued, PUBLISH_WAIT_MS, 'push to the summary').catch(() => {})
  }

  private async pushAfter(previous: Promise<void> | undefined): Promise<void> {
    await previous
    // `queued` is this call's own promise; its snapshot is taken now, so a write from here on
    // queues the next push.
    const self = this.queued
    this.queued = undefined
    this.sending = self
    await this.push()
    if (this.sending === self) this.sending = undefined
  }

  /** One push; a failure is logged and the alarm tries again a minute later. */
  private async push(): Promise<void> {
    const dataset = this.ctx.id.name
    // Unnamed only in an alarm an older runtime set: the next write pushes.
    if (dataset === undefined) return
    try {
      await within(summaryOf(this.env).put(this.currentSnapshot(dataset)), PUSH_TIMEOUT_MS, 'push to the summary')
    } catch (err) {
      console.error('counters: push to the summary failed', dataset, err)
      await this.scheduleRetry().catch((alarmErr: unknown) => console.error('counters: no alarm for the retry', dataset, alarmErr))
    }
  }

  private currentSnapshot(dataset: string): DatasetSnapshot {
    const totals = this.totals()
    const recent = this.hoursFrom(hourOf(this.now()) - (RECENT_HOURS - 1) * HOUR_MS)
    // Every write adds one to exactly one of these, so their sum orders the snapshots.
    const version = totals.batches + totals.duplicates + totals.failures + totals.validations
    return { dataset, version, totals, recent }
  }

  private hoursFrom(first: number): HourlyPoint[] {
    return this.ctx.storage.sql
      .exec<{ [K in keyof HourlyPoint]: number }>(
        'SELECT hour, batches, events, written, quarantined, bytes, failures FROM hourly WHERE hour >= ? ORDER BY hour',
        first,
      )
      .toArray()
  }

  private firstKeptHour(): number {
    return hourOf(this.now()) - (RETENTION_HOURS - 1) * HOUR_MS
  }

  private async schedulePrune(): Promise<void> {
    if (this.alarmScheduled) return
    // Wall-clock time on purpose: the alarm is a real timer even when a test moves `now`.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PRUNE_EVERY_MS)
    this.alarmScheduled = true
  }

  private async scheduleRetry(): Promise<void> {
    const at = Date.now() + PUBLISH_RETRY_MS
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
    this.alarmScheduled = true
  }
}

function checkBatch(rec: BatchRecord): void {
  if (typeof rec.batchId !== 'string' || rec.batchId.length === 0 || rec.batchId.length > MAX_BATCH_ID_LENGTH) {
    throw new TypeError(`batchId must be a string of 1 to ${MAX_BATCH_ID_LENGTH} characters`)
  }
  if (!Number.isSafeInteger(rec.receivedAt)) throw new TypeError('receivedAt must be an integer ms epoch')
  for (const field of COUNT_FIELDS) {
    const n = rec[field]
    if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${field} must be a non-negative integer`)
  }
  if (rec.maxEventTime !== null && !Number.isSafeInteger(rec.maxEventTime)) {
    throw new TypeError('maxEventTime must be an integer ms epoch or null')
  }
}

/** Reasons become table keys and page labels: keep them short codes, whatever a caller passes. */
function reasonCode(reason: string): string {
  const code = String(reason)
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_REASON_LENGTH)
  return code || 'unknown'
}
