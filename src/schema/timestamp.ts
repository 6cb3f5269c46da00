// Cloudflare time values -> `YYYY-MM-DD HH:MM:SS.fffffffff` (UTC, nanoseconds kept), without Date:
// Date has millisecond precision and allocates; the hot path needs neither.
import { daysFromCivil } from '../utils/civil-date'
import type { TimeFormat } from './spec'

const SECONDS_PER_DAY = 86400
// Integer timestamps carry no unit; Logpush sends s, ms, µs or ns. Decide by magnitude:
// 1e11 s is the year 5138, so anything at or above it is a finer unit.
const MS_FROM = 1e11
const US_FROM = 1e14
const NS_FROM = 1e17
const MAX_INTEGER_DIGITS = 20
const MIN_YEAR = 1
const MAX_YEAR = 9999
const ZEROS = '000000000'
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

const C0 = 48 // '0'

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`
}

function pad4(n: number): string {
  return n < 10 ? `000${n}` : n < 100 ? `00${n}` : n < 1000 ? `0${n}` : `${n}`
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

/**
 * Formats whole epoch seconds plus a 9-digit fraction; null outside years 1..9999.
 * @example formatEpoch(0, '000000000') // '1970-01-01 00:00:00.000000000'
 */
export function formatEpoch(seconds: number, fraction9: string): string | null {
  // Events of a batch come in time order, many to the second: the date part is made once for them.
  if (seconds !== lastSeconds) {
    lastPrefix = formatSeconds(seconds)
    lastSeconds = seconds
  }
  return lastPrefix === null ? null : lastPrefix + fraction9
}

let lastSeconds = Number.NaN
let lastPrefix: string | null = null

/** `YYYY-MM-DD HH:MM:SS.` of whole epoch seconds; null outside years 1..9999. */
function formatSeconds(seconds: number): string | null {
  const days = Math.floor(seconds / SECONDS_PER_DAY)
  let rem = seconds - days * SECONDS_PER_DAY
  // civil_from_days
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  if (y < MIN_YEAR || y > MAX_YEAR) return null
  const h = Math.floor(rem / 3600)
  rem -= h * 3600
  const mi = Math.floor(rem / 60)
  const s = rem - mi * 60
  return `${pad4(y)}-${pad2(m)}-${pad2(d)} ${pad2(h)}:${pad2(mi)}:${pad2(s)}.`
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - C0
    if (c < 0 || c > 9) return false
  }
  return true
}

function scaleOf(magnitude: number): number {
  return magnitude >= NS_FROM ? 9 : magnitude >= US_FROM ? 6 : magnitude >= MS_FROM ? 3 : 0
}

/** An unsigned integer timestamp given as its decimal digits, unit decided by magnitude. */
function fromIntegerDigits(digits: string): string | null {
  if (digits.length > MAX_INTEGER_DIGITS) return null
  // Without leading zeros the number of digits gives the magnitude.
  const n = digits.length
  const scale =
    n > 1 && digits.charCodeAt(0) === C0
      ? scaleOf(Number(n > 15 ? digits.slice(0, 15) : digits) * 10 ** Math.max(0, n - 15))
      : n > 17
        ? 9
        : n > 14
          ? 6
          : n > 11
            ? 3
            : 0
  return fromScaledDigits(digits, scale)
}

/** Decimal digits of an epoch in units of 10^-scale seconds. */
function fromScaledDigits(digits: string, scale: number): string | null {
  // Digits beyond 2^53 are exact here because the unit split works on the text, not on a double.
  if (scale === 0) return formatEpoch(Number(digits), ZEROS)
  const cut = digits.length - scale
  const seconds = cut > 0 ? Number(digits.slice(0, cut)) : 0
  const fraction = cut > 0 ? digits.slice(cut) : digits.padStart(scale, '0')
  return formatEpoch(seconds, fraction + ZEROS.slice(scale))
}

function digitsAt(s: string, at: number, n: number): number {
  let v = 0
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - C0
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/**
 * RFC 3339 / ISO 8601 date-time: `2022-05-25T13:25:26.123+09:30`, any fraction length, Z or offset;
 * and `2022-05-25 13:25:26[.fraction]` without a zone, as UTC: Panther's event time and our output.
 */
function fromRfc3339(s: string): string | null {
  if (s.length < 19) return null
  const y = digitsAt(s, 0, 4)
  const mo = digitsAt(s, 5, 2)
  const d = digitsAt(s, 8, 2)
  const h = digitsAt(s, 11, 2)
  const mi = digitsAt(s, 14, 2)
  const sec = digitsAt(s, 17, 2)
  const sep = s.charCodeAt(10)
  if (
    y < MIN_YEAR ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > daysInMonth(y, mo) ||
    h > 23 ||
    mi > 59 ||
    sec > 59 ||
    h < 0 ||
    mi < 0 ||
    sec < 0 ||
    s[4] !== '-' ||
    s[7] !== '-' ||
    s[13] !== ':' ||
    s[16] !== ':' ||
    (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32) /* space */
  ) {
    return null
  }
  let i = 19
  let fraction = ZEROS
  if (s[i] === '.') {
    const start = ++i
    while (i < s.length && s.charCodeAt(i) >= C0 && s.charCodeAt(i) <= C0 + 9) i++
    if (i === start) return null
    const digits = s.slice(start, Math.min(i, start + 9))
    fraction = digits + ZEROS.slice(digits.length)
  }
  let offsetSeconds = 0
  const zone = s.charCodeAt(i)
  if ((zone === 90 /* Z */ || zone === 122) /* z */ && i + 1 === s.length) {
    offsetSeconds = 0
  } else if (i === s.length && sep === 32) {
    offsetSeconds = 0
  } else if ((zone === 43 /* + */ || zone === 45) /* - */ && i + 6 === s.length && s[i + 3] === ':') {
    const oh = digitsAt(s, i + 1, 2)
    const om = digitsAt(s, i + 4, 2)
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return null
    offsetSeconds = (zone === 43 ? 1 : -1) * (oh * 3600 + om * 60)
  } else {
    return null
  }
  if (offsetSeconds === 0) {
    return `${s.slice(0, 4)}-${s.slice(5, 7)}-${s.slice(8, 10)} ${s.slice(11, 13)}:${s.slice(14, 16)}:${s.slice(17, 19)}.${fraction}`
  }
  const epoch = daysFromCivil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60 + sec - offsetSeconds
  return formatEpoch(epoch, fraction)
}

/** IMF-fixdate as sent in Expires / Last-Modified headers: `Thu, 21 May 2022 11:17:33 GMT` (or UTC). */
function fromHttpDate(s: string): string | null {
  const comma = s.indexOf(', ')
  if (comma < 2 || comma > 9) return null
  const rest = s.slice(comma + 2)
  if (rest.length !== 24 || rest[2] !== ' ' || rest[6] !== ' ' || rest[11] !== ' ' || rest[14] !== ':' || rest[17] !== ':' || rest[20] !== ' ') {
    return null
  }
  const zone = rest.slice(21)
  if (zone !== 'GMT' && zone !== 'UTC') return null
  const d = digitsAt(rest, 0, 2)
  const mo = MONTHS.indexOf(rest.slice(3, 6)) + 1
  const y = digitsAt(rest, 7, 4)
  const h = digitsAt(rest, 12, 2)
  const mi = digitsAt(rest, 15, 2)
  const sec = digitsAt(rest, 18, 2)
  if (mo < 1 || y < MIN_YEAR || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
    return null
  }
  return `${pad4(y)}-${pad2(mo)}-${pad2(d)} ${pad2(h)}:${pad2(mi)}:${pad2(sec)}.${ZEROS}`
}

/**
 * Normalises a Cloudflare timestamp: unix s/ms/µs/ns as a JSON number or digit string, or RFC 3339;
 * HTTP-dates too where `httpDate` is set. `exactDigits` carries a number's source text when it is
 * beyond 2^53 (JSON.parse would have rounded it). Returns null for anything else.
 * @example normalizeTimestamp('1653485126000000000', false) // '2022-05-25 13:25:26.000000000'
 */
export function normalizeTimestamp(value: unknown, httpDate: boolean, exactDigits?: string): string | null {
  if (typeof value === 'number') {
    if (exactDigits !== undefined) return isDigits(exactDigits) ? fromIntegerDigits(exactDigits) : null
    if (!Number.isSafeInteger(value) || value < 0) return null
    return fromIntegerDigits(String(value))
  }
  if (typeof value !== 'string') return null
  const first = value.charCodeAt(0) - C0
  if (first >= 0 && first <= 9) {
    if (isDigits(value)) return fromIntegerDigits(value)
    return value.length > 10 && value[4] === '-' ? fromRfc3339(value) : null
  }
  return httpDate ? fromHttpDate(value) : null
}

/** Integer milliseconds, whatever their magnitude: a JSON number, a digit string, or a number's source digits. */
function fromUnixMillis(value: unknown, exactDigits?: string): string | null {
  if (exactDigits !== undefined) return isDigits(exactDigits) && exactDigits.length <= MAX_INTEGER_DIGITS ? fromScaledDigits(exactDigits, 3) : null
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? fromScaledDigits(String(value), 3) : null
  return typeof value === 'string' && isDigits(value) && value.length <= MAX_INTEGER_DIGITS ? fromScaledDigits(value, 3) : null
}

/**
 * The reader of a timestamp column for its schema's `timeFormats`: a value in any of them is
 * read, and date-time text in any case; anything else gives null. `exactDigits` as for normalizeTimestamp.
 * @example timestampReader(['unix_ms'])(1689852946804) // '2023-07-20 11:35:46.804000000'
 */
export function timestampReader(formats: readonly TimeFormat[]): (value: unknown, exactDigits?: string) => string | null {
  const httpDate = formats.includes('http-date')
  if (formats.includes('cloudflare')) return (value, exactDigits) => normalizeTimestamp(value, httpDate, exactDigits)
  const unixMs = formats.includes('unix_ms')
  return (value, exactDigits) => {
    if (unixMs) {
      const out = fromUnixMillis(value, exactDigits)
      if (out !== null) return out
    }
    if (exactDigits !== undefined || typeof value !== 'string') return null
    // Date-time text is read in every timestamp column: it is how our output and Panther's
    // write any timestamp, so re-ingested events keep their milliseconds fields.
    if (value.length > 10 && value[4] === '-') return fromRfc3339(value)
    return httpDate ? fromHttpDate(value) : null
  }
}

/** Milliseconds since the epoch of a normalised timestamp (for counters; not on the per-event path). */
export function epochMillis(normalized: string): number {
  const y = Number(normalized.slice(0, 4))
  const days = daysFromCivil(y, Number(normalized.slice(5, 7)), Number(normalized.slice(8, 10)))
  const secs = days * SECONDS_PER_DAY + Number(normalized.slice(11, 13)) * 3600 + Number(normalized.slice(14, 16)) * 60 + Number(normalized.slice(17, 19))
  return secs * 1000 + Number(normalized.slice(20, 23))
}

/** Formats a millisecond epoch (the receive time) the way event timestamps are written. */
export function formatMillis(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  const millis = ms - seconds * 1000
  return formatEpoch(seconds, `${String(millis).padStart(3, '0')}000000`) ?? '1970-01-01 00:00:00.000000000'
}
