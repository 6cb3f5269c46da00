// Formatting for the status page. Pure functions of their arguments (no clock, no locale of
// the machine), so the browser test can format /stats the same way and compare.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** 1234567 → '1,234,567' */
export function formatCount(n: number): string {
  return integer.format(n)
}

/** 1234 → '1.2k', for chart scales where space is short. */
export function formatCompact(n: number): string {
  if (n < 1_000) return trimZero(n.toFixed(1))
  for (const [size, unit] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (n >= size) return `${trimZero((n / size).toFixed(n / size < 10 ? 1 : 0))}${unit}`
  }
  return String(n)
}

/** Decimal units, as network and storage bills count: 1_500_000 → '1.5 MB'. */
export function formatBytes(n: number): string {
  let value = n
  let unit = 0
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000
    unit++
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${trimZero(value.toFixed(digits))} ${BYTE_UNITS[unit]}`
}

/** 0.0123 → '1.23%'; a small non-zero rate never shows as 0. */
export function formatRate(rate: number): string {
  if (rate === 0) return '0%'
  const pct = rate * 100
  if (pct < 0.01) return '<0.01%'
  return `${trimZero(pct.toFixed(pct < 10 ? 2 : 1))}%`
}

/** 95_000 → '1 min 35 s'; two units at most, coarse for long spans. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0
  if (ms < 1_000) return `${Math.round(ms)} ms`
  const s = Math.floor(ms / 1_000)
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return s % 60 ? `${min} min ${s % 60} s` : `${min} min`
  const h = Math.floor(min / 60)
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`
  const d = Math.floor(h / 24)
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`
}

/** How long ago `at` was, seen from `now`: '12 s ago', '3 min ago', 'just now'. */
export function formatAgo(at: number, now: number): string {
  const ms = now - at
  if (ms < 5_000) return 'just now'
  if (ms < 60_000) return `${Math.floor(ms / 1_000)} s ago`
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`
  if (ms < 48 * 3_600_000) return `${Math.floor(ms / 3_600_000)} h ago`
  return `${Math.floor(ms / 86_400_000)} d ago`
}

/** '2026-11-25 14:03:07 UTC' */
export function formatUtc(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** '14:00' */
export function formatHour(at: number): string {
  return new Date(at).toISOString().slice(11, 16)
}

/** 'Nov 25' */
export function formatDay(at: number): string {
  const d = new Date(at)
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`
}

function trimZero(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s
}
