import type { HourlyPoint } from '../counters/types'
import { formatCompact, formatCount, formatDay, formatHour } from './format'

// The SVG stretches to its box (preserveAspectRatio="none"), so it holds shapes only; every
// label is HTML around it and stays crisp at any width.
const VIEW_W = 480
const VIEW_H = 100
const BAR_FILL = 0.7
const LABEL_EVERY_HOURS = 12
/** A non-zero count stays visible next to a tall bar (about 3 px). */
const MIN_BAR = 2.5

/** 1, 2, 5 × 10^k at or above n: a scale a reader can halve in their head. */
export function niceCeil(n: number): number {
  if (n <= 0) return 1
  const magnitude = 10 ** Math.floor(Math.log10(n))
  for (const step of [1, 2, 5, 10]) if (n <= step * magnitude) return step * magnitude
  return 10 * magnitude
}

/**
 * Events (with the quarantined share drawn over them) per hour, one bar per point.
 * @example <HourlyChart points={fillHours(series, now, 48)} />
 */
export function HourlyChart({ points, label }: { points: HourlyPoint[]; label: string }) {
  const max = niceCeil(Math.max(0, ...points.map((p) => p.events)))
  const slot = VIEW_W / points.length
  const barW = slot * BAR_FILL
  const height = (n: number) => (n <= 0 ? 0 : Math.max(MIN_BAR, (n / max) * VIEW_H))
  const total = points.reduce((acc, p) => acc + p.events, 0)
  const quarantined = points.reduce((acc, p) => acc + p.quarantined, 0)
  const first = points[0]
  const last = points[points.length - 1]
  const span = first && last ? `${formatDay(first.hour)} ${formatHour(first.hour)} to ${formatHour(last.hour)} UTC` : ''

  return (
    <figure class="chart">
      <figcaption class="chart-head">
        <span class="chart-title">{label}</span>
        <span class="legend">
          <span class="key key-events" />
          events
          <span class="key key-quarantined" />
          quarantined
        </span>
      </figcaption>
      <div class="plot">
        {total > 0 && (
          <span class="ytick" style="top:0">
            {formatCompact(max)}
          </span>
        )}
        {total > 0 && (
          <span class="ytick" style="top:50%">
            {formatCompact(max / 2)}
          </span>
        )}
        <svg
          viewBox={`0 0 ${VIEW_W} ${VIEW_H}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${formatCount(total)} events and ${formatCount(quarantined)} quarantined, ${span}`}
        >
          <line class="grid" x1="0" x2={VIEW_W} y1="0.5" y2="0.5" vector-effect="non-scaling-stroke" />
          <line class="grid" x1="0" x2={VIEW_W} y1={VIEW_H / 2} y2={VIEW_H / 2} vector-effect="non-scaling-stroke" />
          <line class="axis" x1="0" x2={VIEW_W} y1={VIEW_H} y2={VIEW_H} vector-effect="non-scaling-stroke" />
          {points.map((p, i) => {
            const x = i * slot + (slot - barW) / 2
            const he = height(p.events)
            const hq = Math.min(he, height(p.quarantined))
            return (
              <g>
                <title>
                  {`${formatDay(p.hour)} ${formatHour(p.hour)} UTC: ${formatCount(p.events)} events, ${formatCount(p.quarantined)} quarantined, ${formatCount(p.batches)} batches`}
                  {p.failures > 0 ? `, ${formatCount(p.failures)} failed` : ''}
                </title>
                <rect class="hit" x={i * slot} y="0" width={slot} height={VIEW_H} />
                {he > 0 && <rect class="bar-events" x={x} y={VIEW_H - he} width={barW} height={he} />}
                {hq > 0 && <rect class="bar-quarantined" x={x} y={VIEW_H - hq} width={barW} height={hq} />}
                {p.failures > 0 && <rect class="bar-failed" x={x} y={VIEW_H - 3} width={barW} height="3" />}
              </g>
            )
          })}
        </svg>
        {total === 0 && <p class="plot-empty">No events in this window</p>}
      </div>
      <div class="xaxis" aria-hidden="true">
        {points.map((p, i) =>
          new Date(p.hour).getUTCHours() % LABEL_EVERY_HOURS === 0 ? (
            <span style={`left:${(((i + 0.5) / points.length) * 100).toFixed(2)}%`}>
              {new Date(p.hour).getUTCHours() === 0 ? formatDay(p.hour) : formatHour(p.hour)}
            </span>
          ) : null,
        )}
      </div>
    </figure>
  )
}
