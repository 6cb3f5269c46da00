import type { HourlyPoint } from './types'

export const HOUR_MS = 60 * 60 * 1000
export const DAY_MS = 24 * HOUR_MS

/** Start of the UTC hour holding `ms`. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS
}

/**
 * A dense run of `hours` hourly points ending with the hour holding `now`; hours without
 * activity are zero. The series API omits empty hours, a chart needs every one.
 * @example fillHours(await client.series(), Date.now(), 48)
 */
export function fillHours(points: readonly HourlyPoint[], now: number, hours: number): HourlyPoint[] {
  const byHour = new Map(points.map((p) => [p.hour, p]))
  const last = hourOf(now)
  const out: HourlyPoint[] = []
  for (let hour = last - (hours - 1) * HOUR_MS; hour <= last; hour += HOUR_MS) {
    out.push(byHour.get(hour) ?? { hour, batches: 0, events: 0, written: 0, quarantined: 0, bytes: 0, failures: 0 })
  }
  return out
}

/** Hours of series the summary object keeps per dataset: the status page's chart. */
export const RECENT_HOURS = 48
