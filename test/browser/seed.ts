import { countersFor, type BatchRecord, type CountersEnv } from '../../src/counters/client'
import { HOUR_MS, hourOf } from '../../src/counters/hours'

// Believable traffic for the status page: a busy dataset with a daily curve, one that is
// failing right now, one that went quiet hours ago and one that never sent anything.

/** Deterministic noise in [0, 1), so every run draws the same page. */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453
  return x - Math.floor(x)
}

/** Daily curve peaking at 15:00 UTC, between 0.35 and 1. */
function daily(at: number): number {
  const h = new Date(at).getUTCHours()
  return 0.675 + 0.325 * Math.cos(((h - 15) / 24) * 2 * Math.PI)
}

interface Plan {
  dataset: string
  /** Batches per hour. */
  perHour: number
  /** Events per batch at the daily peak. */
  peak: number
  quarantineRate: number
  /** Bytes per event, compressed and not. */
  compressed: number
  decompressed: number
  lagMs: number
  /** Hours back from now with batches: [from, to). */
  hours: [number, number]
}

const PLANS: Plan[] = [
  { dataset: 'http_requests', perHour: 4, peak: 21_000, quarantineRate: 0.0004, compressed: 110, decompressed: 1_150, lagMs: 42_000, hours: [0, 48] },
  { dataset: 'firewall_events', perHour: 1, peak: 2_400, quarantineRate: 0.012, compressed: 95, decompressed: 900, lagMs: 75_000, hours: [0, 48] },
  { dataset: 'audit_logs', perHour: 1, peak: 40, quarantineRate: 0, compressed: 180, decompressed: 1_600, lagMs: 210_000, hours: [5, 30] },
]

function batchesOf(plan: Plan, now: number, salt: number): BatchRecord[] {
  const out: BatchRecord[] = []
  for (let back = plan.hours[0]; back < plan.hours[1]; back++) {
    for (let k = 0; k < plan.perHour; k++) {
      const i = salt + back * 10 + k
      // The newest batch lands 40 s before now; others spread over their hour.
      const receivedAt = back === 0 && k === 0 ? now - 40_000 : hourOf(now - back * HOUR_MS) + Math.floor(((k + noise(i)) / plan.perHour) * HOUR_MS)
      if (receivedAt > now) continue
      // Every third hour of audit logs is empty: audit events come in bursts.
      if (plan.dataset === 'audit_logs' && back % 3 === 1) continue
      const events = Math.max(1, Math.round(plan.peak * daily(receivedAt) * (0.8 + 0.4 * noise(i + 1))))
      const quarantined = Math.round(events * plan.quarantineRate * (0.5 + noise(i + 2)))
      out.push({
        batchId: `seed-${plan.dataset}-${back}-${k}`,
        dataset: plan.dataset,
        receivedAt,
        events,
        written: events - quarantined,
        quarantined,
        bytesReceived: events * plan.compressed,
        bytesDecompressed: events * plan.decompressed,
        objects: receivedAt % HOUR_MS < 5 * 60_000 ? 2 : 1,
        maxEventTime: receivedAt - plan.lagMs,
      })
    }
  }
  return out
}

/**
 * Records the seed batches through the same client the ingest route uses, then one retry
 * (counted as a duplicate), destination checks and, for firewall_events, recent failures.
 */
export async function seedCounters(env: CountersEnv, now: number): Promise<void> {
  await Promise.all(
    PLANS.map(async (plan, p) => {
      const counters = countersFor(env, plan.dataset)
      const batches = batchesOf(plan, now, p * 1_000)
      await Promise.all(batches.map((b) => counters.recordBatch(b)))
      await counters.recordValidation()
      const newest = batches.find((b) => b.batchId.endsWith('-0-0'))
      if (newest) await counters.recordBatch(newest)
    }),
  )
  const firewall = countersFor(env, 'firewall_events')
  await firewall.recordFailure('s3_unavailable')
  await firewall.recordFailure('s3_unavailable')
  await firewall.recordFailure('bad_gzip')
}
