import { countersFor, type BatchRecord, type CountersEnv } from '../../src/counters/client'
import { HOUR_MS, hourOf } from '../../src/counters/hours'

// Believable traffic for the status page, over any list of dataset names: a busy dataset with a
// daily curve, one failing right now, one that went quiet hours ago, two small steady ones, one
// last seen days ago, one a Logpush job only checked, and the rest never written. Most of a
// deployment's dozens of datasets are like the last kind.

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

/** What the seed makes of a dataset. */
export type Role = 'busy' | 'failing' | 'quiet' | 'steady' | 'gone' | 'checked' | 'empty'

/** The roles after 'busy', in the order the names after the busy one get them; the rest are 'empty'. */
const ROLES: Role[] = ['failing', 'quiet', 'gone', 'checked', 'steady', 'steady']

interface Plan {
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
  /** Every third hour without batches, as bursty sources do. */
  gaps?: boolean
}

const PLANS: Partial<Record<Role, Plan>> = {
  busy: { perHour: 4, peak: 21_000, quarantineRate: 0.0004, compressed: 110, decompressed: 1_150, lagMs: 42_000, hours: [0, 48] },
  failing: { perHour: 1, peak: 2_400, quarantineRate: 0.012, compressed: 95, decompressed: 900, lagMs: 75_000, hours: [0, 48] },
  quiet: { perHour: 1, peak: 40, quarantineRate: 0, compressed: 180, decompressed: 1_600, lagMs: 210_000, hours: [5, 30], gaps: true },
  steady: { perHour: 1, peak: 300, quarantineRate: 0.002, compressed: 120, decompressed: 1_000, lagMs: 55_000, hours: [0, 48] },
  gone: { perHour: 2, peak: 800, quarantineRate: 0.001, compressed: 100, decompressed: 950, lagMs: 60_000, hours: [80, 100] },
}

function batchesOf(dataset: string, plan: Plan, now: number, salt: number): BatchRecord[] {
  const out: BatchRecord[] = []
  for (let back = plan.hours[0]; back < plan.hours[1]; back++) {
    for (let k = 0; k < plan.perHour; k++) {
      const i = salt + back * 10 + k
      // The newest batch lands 40 s before now; others spread over their hour.
      const receivedAt = back === 0 && k === 0 ? now - 40_000 : hourOf(now - back * HOUR_MS) + Math.floor(((k + noise(i)) / plan.perHour) * HOUR_MS)
      if (receivedAt > now) continue
      if (plan.gaps && back % 3 === 1) continue
      const events = Math.max(1, Math.round(plan.peak * daily(receivedAt) * (0.8 + 0.4 * noise(i + 1))))
      const quarantined = Math.round(events * plan.quarantineRate * (0.5 + noise(i + 2)))
      out.push({
        batchId: `seed-${dataset}-${back}-${k}`,
        dataset,
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
 * Gives `busy` to the dataset named so and the other roles to the other names in order, then
 * records their batches through the same client the ingest route uses, one retry of the busy
 * dataset's newest batch (counted as a duplicate), destination checks and recent failures.
 * @example const roles = await seedCounters(env, Date.now(), knownDatasets(), 'http_requests')
 */
export async function seedCounters(env: CountersEnv, now: number, datasets: readonly string[], busy: string): Promise<Map<string, Role>> {
  if (!datasets.includes(busy)) throw new Error(`the busy dataset ${busy} is not among the datasets`)
  const roles = new Map<string, Role>([[busy, 'busy']])
  for (const [i, name] of datasets.filter((d) => d !== busy).entries()) roles.set(name, ROLES[i] ?? 'empty')
  await Promise.all(
    [...roles].map(async ([dataset, role], p) => {
      const counters = countersFor(env, dataset)
      const plan = PLANS[role]
      const batches = plan ? batchesOf(dataset, plan, now, p * 1_000) : []
      await Promise.all(batches.map((b) => counters.recordBatch(b)))
      if (role !== 'empty') await counters.recordValidation()
      if (role === 'busy') {
        const newest = batches.find((b) => b.batchId.endsWith('-0-0'))
        if (newest) await counters.recordBatch(newest)
      }
      if (role === 'failing') {
        await counters.recordFailure('s3_unavailable')
        await counters.recordFailure('s3_unavailable')
        await counters.recordFailure('bad_gzip')
      }
    }),
  )
  return roles
}
