// Values per column type, as the field loop below applies them:
// - null, or no key at all: no value. A required column is then "missing"; an optional one keeps
//   its null in the output (a JSON null is a valid empty value in every table type).
// - "": no value in a typed column (boolean, integers, float, timestamp): the key is dropped from
//   the output, and a required column is "empty". In a string column "" is a value and is kept.
//   An array or map column does not take "" (nor null inside it): a bad value.
// - A string column (and a string element of an array or map) takes numbers and booleans as their
//   text: Logpush writes some string fields as numbers (EdgeRateLimitID: 0).
// - json columns and unknown fields are kept as they came.
import { canonicalIp } from './ip'
import type { FieldSpec, IndicatorKind, SchemaFile, ValueSpec } from './spec'
import { normalizeTimestamp } from './timestamp'

/** A checker's verdict that the value does not fit its type. */
export const BAD: unique symbol = Symbol('bad value')
/** A number beyond 2^53 was seen where its exact digits matter: parse the line again with source text. */
export const INEXACT: unique symbol = Symbol('inexact number')

type Checked = unknown | typeof BAD | typeof INEXACT
type Checker = (value: unknown, ctx: CheckContext) => Checked

/** Per-event scratch state, reused across events of a batch. */
export class CheckContext {
  ip: string[] = []
  domain: string[] = []
  trace_id: string[] = []
  email: string[] = []
  username: string[] = []
  eventTime = ''
  /** Where inside a field the bad value sat (`[2]`, `.key`) and what it was, for the reason. */
  where = ''
  badValue: unknown = undefined
  /** The reason a nested struct gave, to be prefixed with the field's name. */
  nestedReason = ''
  /** The event's JSON text, where the exact digits of a number beyond 2^53 are read back. */
  source = ''
  /** How many such numbers were read back from `source` for this event. */
  exactNumbers = 0

  /**
   * The source digits of a column's number that JSON.parse rounded, found after its key in the
   * text; undefined when they cannot be told apart for sure (the caller then re-parses the line).
   */
  exactNumber(key: string, value: number): RawJSON | undefined {
    const text = this.source
    // The last occurrence, as JSON.parse keeps the last of duplicate keys.
    const at = text.lastIndexOf(key)
    if (at < 0) return undefined
    let i = at + key.length
    while (text.charCodeAt(i) === 32) i++
    const start = i
    if (text.charCodeAt(i) === 45 /* - */) i++
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++
    const end = text.charCodeAt(i)
    if (end === 46 /* . */ || end === 101 /* e */ || end === 69 /* E */) return undefined
    const digits = text.slice(start, i)
    // The same key inside a nested value could come last: its digits must be this very number.
    if (digits.length < 2 || Number(digits) !== value) return undefined
    this.exactNumbers++
    return JSON.rawJSON(digits)
  }

  reset(): void {
    if (this.ip.length) this.ip = []
    if (this.domain.length) this.domain = []
    if (this.trace_id.length) this.trace_id = []
    if (this.email.length) this.email = []
    if (this.username.length) this.username = []
    this.eventTime = ''
    this.exactNumbers = 0
  }
}

/** What a compiled schema needs at run time: the field loop and the facts about the log type. */
export interface CompiledSchema {
  logType: string
  dataset: string
  table: string
  eventTimeField: string
  /** Validates and normalises `record` in place. Returns null when it fits, else a reason, or INEXACT. */
  check(record: Record<string, unknown>, ctx: CheckContext): string | null | typeof INEXACT
}

const C0 = 48
const INT_RANGES = {
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
} as const
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !JSON.isRawJSON(v)
}

/** Optional sign then digits; returns the digits without leading zeros (sign kept) or null. */
function integerText(s: string): string | null {
  let i = s.charCodeAt(0) === 45 /* - */ ? 1 : 0
  const sign = i === 1 ? '-' : ''
  if (i === s.length) return null
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j) - C0
    if (c < 0 || c > 9) return null
  }
  while (i < s.length - 1 && s.charCodeAt(i) === C0) i++
  const digits = s.slice(i)
  return digits === '0' ? '0' : sign + digits
}

function integerChecker(kind: 'smallint' | 'int' | 'bigint'): Checker {
  const fromText = (text: string): Checked => {
    const t = integerText(text)
    if (t === null) return BAD
    if (t.length <= 15) {
      const n = Number(t)
      if (kind !== 'bigint' && (n < INT_RANGES[kind][0] || n > INT_RANGES[kind][1])) return BAD
      return n
    }
    if (kind !== 'bigint') return BAD
    const big = BigInt(t)
    if (big < INT64_MIN || big > INT64_MAX) return BAD
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : JSON.rawJSON(t)
  }
  return (v) => {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) {
        if (kind !== 'bigint' && (v < INT_RANGES[kind][0] || v > INT_RANGES[kind][1])) return BAD
        return v
      }
      return Number.isInteger(v) ? INEXACT : BAD
    }
    if (typeof v === 'string') return v === '' ? undefined : fromText(v)
    if (JSON.isRawJSON(v)) return fromText(v.rawJSON)
    return BAD
  }
}

const checkString: Checker = (v) => {
  if (typeof v === 'string') return v
  // Beyond 2^53 or beyond a double (1e400 reads as Infinity): the number's source text instead.
  if (typeof v === 'number') return Number.isSafeInteger(v) || (Number.isFinite(v) && !Number.isInteger(v)) ? String(v) : INEXACT
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (JSON.isRawJSON(v)) return v.rawJSON
  return BAD
}

const checkBoolean: Checker = (v) => {
  if (typeof v === 'boolean') return v
  if (v === 'true') return true
  if (v === 'false') return false
  return v === '' ? undefined : BAD
}

// Number() also reads "0x10", "0b11" and "0o7", which are no decimal floats.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

const checkFloat: Checker = (v) => {
  // JSON.parse gives Infinity for 1e400, which JSON.stringify would write as null.
  if (typeof v === 'number') return Number.isFinite(v) ? v : BAD
  if (typeof v === 'string') {
    if (v === '') return undefined
    const n = Number(v)
    return Number.isFinite(n) && DECIMAL.test(v) ? n : BAD
  }
  // Source text of a number JSON.parse could not hold exactly: a float column takes it only within a double.
  if (JSON.isRawJSON(v)) return Number.isFinite(Number(v.rawJSON)) ? v : BAD
  return BAD
}

const checkJson: Checker = (v) => v

function timestampChecker(name: string): Checker {
  // HTTP header dates only where the field carries one; elsewhere they are bad values.
  const httpDate = /HTTPExpires$|HTTPLastModified$/.test(name)
  return (v) => {
    if (v === '') return undefined
    if (typeof v === 'number' && !Number.isSafeInteger(v) && Number.isInteger(v)) return INEXACT
    const out = JSON.isRawJSON(v) ? normalizeTimestamp(0, false, v.rawJSON) : normalizeTimestamp(v, httpDate)
    return out === null ? BAD : out
  }
}

function arrayChecker(element: Checker): Checker {
  return (v, ctx) => {
    if (!Array.isArray(v)) return BAD
    for (let i = 0; i < v.length; i++) {
      const out = element(v[i], ctx)
      if (out === BAD) {
        if (ctx.where === '') ctx.badValue = v[i]
        ctx.where = `[${i}]${ctx.where}`
        return BAD
      }
      if (out === INEXACT) return INEXACT
      if (out !== v[i]) v[i] = out
    }
    return v
  }
}

function mapChecker(element: Checker): Checker {
  return (v, ctx) => {
    if (!isPlainObject(v)) return BAD
    for (const key in v) {
      const out = element(v[key], ctx)
      if (out === BAD) {
        if (ctx.where === '') ctx.badValue = v[key]
        ctx.where = `.${key}${ctx.where}`
        return BAD
      }
      if (out === INEXACT) return INEXACT
      if (out !== v[key]) v[key] = out
    }
    return v
  }
}

function typeName(spec: ValueSpec): string {
  if (spec.type === 'array') return `[${typeName(spec.element)}]`
  if (spec.type === 'object') return 'element' in spec ? `{string:${typeName(spec.element)}}` : 'object'
  return spec.type
}

function preview(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a number out of range'
  let text: string
  try {
    text = JSON.isRawJSON(v) ? v.rawJSON : JSON.stringify(v)
  } catch {
    // JSON.stringify recurses: a value nested thousands deep overflows the stack.
    return 'a value nested too deeply to show'
  }
  return text.length > 64 ? `${text.slice(0, 61)}...` : text
}

interface CompiledField {
  name: string
  /** `"name":` as it stands in the JSON text, where a rounded number's digits are read back. */
  key: string
  required: boolean
  isEventTime: boolean
  indicators: IndicatorKind[]
  expected: string
  check: Checker
}

function collect(ctx: CheckContext, kinds: IndicatorKind[], value: unknown): void {
  if (typeof value === 'string') {
    for (const kind of kinds) addIndicator(ctx, kind, value)
  } else if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'string') for (const kind of kinds) addIndicator(ctx, kind, item)
  }
}

function allZeros(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== C0) return false
  return true
}

function addIndicator(ctx: CheckContext, kind: IndicatorKind, value: string): void {
  if (value === '') return
  switch (kind) {
    case 'ip': {
      const ip = canonicalIp(value)
      if (ip !== null) ctx.ip.push(ip)
      return
    }
    case 'domain':
      ctx.domain.push(value.toLowerCase())
      return
    case 'trace_id':
      // Cloudflare writes "00" when there is no originating ray.
      if (!allZeros(value)) ctx.trace_id.push(value)
      return
    case 'email':
      if (value.includes('@')) ctx.email.push(value)
      return
    case 'username':
      ctx.username.push(value)
  }
}

/** The field loop shared by the top level and nested structs. */
function fieldsChecker(fields: CompiledField[]): (record: Record<string, unknown>, ctx: CheckContext) => string | null | typeof INEXACT {
  const n = fields.length
  return (record, ctx) => {
    for (let i = 0; i < n; i++) {
      const f = fields[i]!
      let v = record[f.name]
      if (v === undefined || v === null) {
        if (f.required) return `${f.name}: required field is missing`
        continue
      }
      ctx.where = ''
      ctx.nestedReason = ''
      let out = f.check(v, ctx)
      if (out === INEXACT && typeof v === 'number') {
        // Unixnano timestamps are beyond 2^53: read their digits back rather than re-parse the line.
        const exact = ctx.exactNumber(f.key, v)
        if (exact !== undefined) {
          v = exact
          out = f.check(exact, ctx)
        }
      }
      if (out === INEXACT) return INEXACT
      if (out === BAD) {
        if (ctx.nestedReason !== '') return `${f.name}.${ctx.nestedReason}`
        if (ctx.where === '') return `${f.name}: expected ${f.expected}, got ${preview(v)}`
        return `${f.name}${ctx.where}: bad element of ${f.expected}, got ${preview(ctx.badValue)}`
      }
      if (out === undefined) {
        if (f.required) return `${f.name}: required field is empty`
        record[f.name] = undefined
        continue
      }
      if (out !== v) record[f.name] = out
      if (f.indicators.length) collect(ctx, f.indicators, out)
      if (f.isEventTime) ctx.eventTime = out as string
    }
    return null
  }
}

function valueChecker(spec: ValueSpec, name: string): Checker {
  switch (spec.type) {
    case 'string':
      return checkString
    case 'boolean':
      return checkBoolean
    case 'float':
      return checkFloat
    case 'json':
      return checkJson
    case 'timestamp':
      return timestampChecker(name)
    case 'smallint':
    case 'int':
    case 'bigint':
      return integerChecker(spec.type)
    case 'array':
      return arrayChecker(valueChecker(spec.element, name))
    case 'object': {
      if ('element' in spec) return mapChecker(valueChecker(spec.element, name))
      const inner = fieldsChecker(spec.fields.map(compileField))
      return (v, ctx) => {
        if (!isPlainObject(v)) return BAD
        const reason = inner(v, ctx)
        if (reason === null) return v
        if (reason === INEXACT) return INEXACT
        ctx.nestedReason = reason
        return BAD
      }
    }
  }
}

function compileField(spec: FieldSpec): CompiledField {
  return {
    name: spec.name,
    key: `${JSON.stringify(spec.name)}:`,
    required: spec.required === true,
    isEventTime: spec.isEventTime === true,
    indicators: spec.indicators ?? [],
    expected: typeName(spec),
    check: valueChecker(spec, spec.name),
  }
}

/**
 * Turns a validated schema file into its field loop, once per isolate.
 * @example const audit = compileSchema(loadSchemaFile('cloudflare_audit.yml', text))
 */
export function compileSchema(file: SchemaFile): CompiledSchema {
  const eventTimeField = file.fields.find((f) => f.isEventTime)!.name
  return {
    logType: file.schema,
    dataset: file.dataset,
    table: file.table,
    eventTimeField,
    check: fieldsChecker(file.fields.map(compileField)),
  }
}
