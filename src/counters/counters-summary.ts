import { DurableObject } from 'cloudflare:workers'
import type { DatasetSnapshot } from './types'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshots (
  dataset TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  snapshot TEXT NOT NULL
)`

// A snapshot replaces the kept one only when it is newer: pushes may arrive out of order
// (concurrent batches, a retry from the alarm) and the same push may arrive twice.
const KEEP_NEWER = `
INSERT INTO snapshots (dataset, version, snapshot) VALUES (?1, ?2, ?3)
ON CONFLICT (dataset) DO UPDATE SET version = excluded.version, snapshot = excluded.snapshot
WHERE excluded.version > snapshots.version`

/**
 * One instance for all datasets (`summaryOf(env)` in ./client): the latest snapshot each dataset's `DatasetCounters` pushed
 * (totals and the last RECENT_HOURS hours), so that `/stats` and the status page read every
 * dataset in one call. A copy, never a count of its own: each dataset's object stays the source
 * of truth and of exactly-once counting, and pushes absolute values. Use it through
 * `readOverview(env, datasets)` from ./client.
 */
export class CountersSummary extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.storage.sql.exec(SCHEMA)
  }

  /** Keeps the snapshot unless one of the same or a later version of its dataset is kept. */
  async put(snapshot: DatasetSnapshot): Promise<void> {
    if (typeof snapshot.dataset !== 'string' || snapshot.dataset.length === 0) throw new TypeError('dataset must be a non-empty string')
    if (!Number.isSafeInteger(snapshot.version) || snapshot.version < 0) throw new TypeError('version must be a non-negative integer')
    this.ctx.storage.sql.exec(KEEP_NEWER, snapshot.dataset, snapshot.version, JSON.stringify(snapshot))
  }

  /** The kept snapshots of these datasets; a dataset that never pushed one is left out. */
  async read(datasets: readonly string[]): Promise<DatasetSnapshot[]> {
    const wanted = new Set(datasets)
    const out: DatasetSnapshot[] = []
    for (const row of this.ctx.storage.sql.exec<{ dataset: string; snapshot: string }>('SELECT dataset, snapshot FROM snapshots')) {
      if (wanted.has(row.dataset)) out.push(JSON.parse(row.snapshot) as DatasetSnapshot)
    }
    return out
  }
}
