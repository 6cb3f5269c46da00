// Values per column type, as the field loop below applies them:
// - null, or no key at all: no value. A required column is then "missing"; an optional one keeps
//   its null in the output (a JSON null is a valid empty value in every table type).
// - "": no value in a typed column (boolean, integers, float, timestamp): the key is dropped from
//   the output, and a required column is "empty". In a string column "" is a value and is kept.
//   An array or map column does not take "" (nor null inside it): a bad value.
// - A string column (and a string element of an array or map) takes numbers and booleans as their
//   text: Logpush writes some string fields as numbers (EdgeRateLimitID: 0).
// - json columns and unknown fields are kept as they came.
import { domainName, emailAddress, hexHash, hostOfAddress, macAddress, urlHost } from './indicators'
import { canonicalIp } from './ip'
import type { FieldSpec, IndicatorKind, SchemaFile, Scope, TimeFormat, ValueSpec } from './spec'
import { timestampReader } from './timestamp'

/** A checker's verdict that the value does not fit its type. */
export const BAD: unique symbol = Symbol('bad value')
/** A number beyond 2^53 was seen where its exact digits matter: parse the line again with source text. */
export const INEXACT: unique symbol = Symbol('inexact number')

type Checked = unknown | typeof BAD | typeof INEXACT
type Checker = (value: unknown, ctx: CheckContext) => Checked

/** The line's text as the field loop may consult it: a column's value exactly as written. */
export interface SourceMembers {
  /** The parsed value of a top-level column, undefined when the line does not have it. */
  value(column: number): unknown
  /** The value text of a top-level column, or undefined when it cannot be told. */
  valueText(column: number): string | undefined
  /** Whether a column's number is written as JSON.stringify writes an integer. */
  isPlainInteger(column: number): boolean
}

// Setting an array's length costs a runtime call even when it is 0 already (~40 ns in Node 22,
// nine of them an event): most of an event's lists stay empty.
function empty(list: unknown[]): void {
  if (list.length !== 0) list.length = 0
}

/** Per-event scratch state, reused across events of a batch. */
export class CheckContext {
  ip: string[] = []
  domain: string[] = []
  trace_id: string[] = []
  email: string[] = []
  username: string[] = []
  sha256: string[] = []
  sha1: string[] = []
  md5: string[] = []
  mac: string[] = []
  eventTime = ''
  /** Where inside a field the bad value sat (`[2]`, `.key`) and what it was, for the reason. */
  where = ''
  badValue: unknown = undefined
  /** The reason a nested struct gave, to be prefixed with the field's name. */
  nestedReason = ''
  /**
   * When set, the record is not written to: each top-level column whose output differs from its
   * text gets a replacement (JSON text, '' to drop the member) and the line's text is reused.
   */
  members: SourceMembers | null = null
  /** Output JSON text by column index; only `edited` columns are set. */
  readonly replacements: (string | undefined)[] = []
  /** The checked value behind each replacement (undefined for a dropped member), for formats that take values. */
  readonly values: unknown[] = []
  readonly edited: number[] = []
  /** False once a column changed inside an array, map or struct: the text cannot be reused. */
  spliceable = true
  /** Writes into nested values (array elements, map values, struct fields). */
  changes = 0

  replace(column: number, json: string, value: unknown): void {
    this.replacements[column] = json
    this.values[column] = value
    this.edited.push(column)
  }

  reset(members: SourceMembers | null): void {
    empty(this.ip)
    empty(this.domain)
    empty(this.trace_id)
    empty(this.email)
    empty(this.username)
    empty(this.sha256)
    empty(this.sha1)
    empty(this.md5)
    empty(this.mac)
    this.eventTime = ''
    this.members = members
    for (const column of this.edited) {
      this.replacements[column] = undefined
      this.values[column] = undefined
    }
    empty(this.edited)
    this.spliceable = true
  }
}

/** JSON text of a value a checker put in place of a column's value (a primitive). */
function jsonText(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number') return String(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (JSON.isRawJSON(v)) return v.rawJSON
  return JSON.stringify(v)
}

/** What a compiled schema needs at run time: the field loop and the facts about the log type. */
export interface CompiledSchema {
  logType: string
  dataset: string
  table: string
  /** The Cloudflare levels (zone, account) whose jobs send this dataset. */
  scopes: readonly Scope[]
  /** The first of `eventTimeFields`. */
  eventTimeField: string
  /** The fields an event's time is taken from: the first one a line has. */
  eventTimeFields: readonly string[]
  /** Top-level column names; a column's index is its place here. */
  columns: readonly string[]
  /**
   * Validates and normalises `record`: in place, or as replacements when `ctx.members` is set.
   * Returns null when it fits, else a reason, or INEXACT.
   */
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

function integerFromText(kind: 'smallint' | 'int' | 'bigint'): (text: string) => Checked {
  return (text) => {
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
}

function integerChecker(kind: 'smallint' | 'int' | 'bigint'): Checker {
  const fromText = integerFromText(kind)
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

// Panther requires timeFormats on a timestamp; a schema that leaves them out means Logpush's.
const DEFAULT_TIME_FORMATS: readonly TimeFormat[] = ['cloudflare']

function timestampChecker(formats: readonly TimeFormat[]): Checker {
  const read = timestampReader(formats)
  return (v) => {
    if (v === '') return undefined
    if (typeof v === 'number' && !Number.isSafeInteger(v) && Number.isInteger(v)) return INEXACT
    const out = JSON.isRawJSON(v) ? read(0, v.rawJSON) : read(v)
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
      if (out !== v[i]) {
        v[i] = out
        ctx.changes++
      }
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
      if (out !== v[key]) {
        v[key] = out
        ctx.changes++
      }
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
  required: boolean
  /** A string column: a string value is taken as it is, without a call. */
  string: boolean
  /** A boolean column: a boolean value is taken as it is, without a call. */
  boolean: boolean
  /** A smallint/int/bigint column: its number is written as an integer, never `1.0` or `1e2`. */
  integer: boolean
  /** An integer column's range as doubles (bigint: the safe integers); a number within it is taken without a call. */
  min: number
  max: number
  isEventTime: boolean
  indicators: IndicatorKind[]
  expected: string
  check: Checker
  /** The verdict on a number JSON.parse rounded, from its digits as written (what `check` gives its JSON.rawJSON). */
  checkDigits: (raw: string, ctx: CheckContext) => Checked
  /** JSON text of a value `check` put in place of the column's value. */
  encode: (out: unknown) => string
}

/** A timestamp column's output is `YYYY-MM-DD HH:MM:SS.fffffffff`, which needs no escaping. */
const quoteTimestamp = (out: unknown): string => `"${out as string}"`

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
    case 'domain': {
      const name = domainName(value)
      if (name !== '') ctx.domain.push(name)
      return
    }
    case 'hostname':
      addHost(ctx, value)
      return
    case 'url':
      addHost(ctx, urlHost(value))
      return
    case 'net_addr':
      addHost(ctx, hostOfAddress(value))
      return
    case 'trace_id':
      // Cloudflare writes "00" when there is no originating ray.
      if (!allZeros(value)) ctx.trace_id.push(value)
      return
    case 'email': {
      const addr = emailAddress(value)
      if (addr !== '') ctx.email.push(addr)
      return
    }
    case 'username':
      ctx.username.push(value)
      return
    case 'sha256':
    case 'sha1':
    case 'md5': {
      const hash = hexHash(value, HASH_HEX_CHARS[kind])
      if (hash !== '') ctx[kind].push(hash)
      return
    }
    case 'mac': {
      const mac = macAddress(value)
      if (mac !== '') ctx.mac.push(mac)
    }
  }
}

const HASH_HEX_CHARS = { sha256: 64, sha1: 40, md5: 32 } as const

/** A host as written in a host name, URL or address: an IP to the IP list, a name to the domain list. */
function addHost(ctx: CheckContext, host: string): void {
  if (host === '') return
  const ip = canonicalIp(host)
  if (ip !== null) {
    ctx.ip.push(ip)
    return
  }
  const name = domainName(host)
  if (name !== '') ctx.domain.push(name)
}

/** A column's number for a reason: as the line wrote it where the double is not that number. */
function asWritten(members: SourceMembers | null, column: number, v: number): unknown {
  if (Number.isSafeInteger(v) || (Number.isFinite(v) && !Number.isInteger(v))) return v
  const raw = members?.valueText(column)
  return raw === undefined ? v : JSON.rawJSON(raw)
}

/**
 * The field loop, for the top level (`top`: the record is the event, its columns may be replaced
 * in the text instead of the record) and for nested structs (always in place).
 */
function fieldsChecker(fields: CompiledField[], top: boolean): (record: Record<string, unknown>, ctx: CheckContext) => string | null | typeof INEXACT {
  const n = fields.length
  // A single event time field is required, so a line without it has its reason already.
  const noEventTime = `${fields
    .filter((f) => f.isEventTime)
    .map((f) => f.name)
    .join(' or ')}: required field is missing`
  return (record, ctx) => {
    const members = top ? ctx.members : null
    for (let i = 0; i < n; i++) {
      const f = fields[i]!
      let v = members === null ? record[f.name] : members.value(i)
      if (v === undefined || v === null) {
        if (f.required) return `${f.name}: required field is missing`
        continue
      }
      ctx.where = ''
      ctx.nestedReason = ''
      const changes = ctx.changes
      // Values already of the column's type skip the checker's call; the rest go through it.
      let out =
        typeof v === 'string'
          ? f.string
            ? v
            : f.check(v, ctx)
          : typeof v === 'number'
            ? v >= f.min && v <= f.max && Number.isInteger(v)
              ? v
              : f.check(v, ctx)
            : typeof v === 'boolean' && f.boolean
              ? v
              : f.check(v, ctx)
      if (out === INEXACT && typeof v === 'number' && members !== null) {
        // Unixnano timestamps are beyond 2^53: their digits as written, instead of a re-parse.
        const raw = members.valueText(i)
        if (raw !== undefined) out = f.checkDigits(raw, ctx)
      }
      if (out === INEXACT) return INEXACT
      if (out === BAD) {
        if (ctx.nestedReason !== '') return `${f.name}.${ctx.nestedReason}`
        if (ctx.where === '') return `${f.name}: expected ${f.expected}, got ${preview(typeof v === 'number' ? asWritten(members, i, v) : v)}`
        return `${f.name}${ctx.where}: bad element of ${f.expected}, got ${preview(ctx.badValue)}`
      }
      if (out === undefined) {
        if (f.required) return `${f.name}: required field is empty`
        if (members !== null) ctx.replace(i, '', undefined)
        else {
          record[f.name] = undefined
          ctx.changes++
        }
        continue
      }
      if (members === null) {
        if (out !== v) {
          record[f.name] = out
          ctx.changes++
        }
      } else if (out !== v) {
        ctx.replace(i, f.encode(out), out)
      } else if (typeof out === 'object') {
        if (ctx.changes !== changes) ctx.spliceable = false
      } else if (f.integer && typeof out === 'number' && !members.isPlainInteger(i)) {
        ctx.replace(i, String(out), out)
      }
      if (f.indicators.length) collect(ctx, f.indicators, out)
      // With several event time fields, the first one the line has.
      if (f.isEventTime && ctx.eventTime === '') ctx.eventTime = out as string
    }
    if (top && ctx.eventTime === '') return noEventTime
    return null
  }
}

function valueChecker(spec: ValueSpec): Checker {
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
      return timestampChecker(spec.timeFormats ?? DEFAULT_TIME_FORMATS)
    case 'smallint':
    case 'int':
    case 'bigint':
      return integerChecker(spec.type)
    case 'array':
      return arrayChecker(valueChecker(spec.element))
    case 'object': {
      if ('element' in spec) return mapChecker(valueChecker(spec.element))
      const inner = fieldsChecker(spec.fields.map(compileField), false)
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

function digitsChecker(spec: FieldSpec, check: Checker): (raw: string, ctx: CheckContext) => Checked {
  switch (spec.type) {
    case 'timestamp': {
      const read = timestampReader(spec.timeFormats ?? DEFAULT_TIME_FORMATS)
      return (raw) => read(0, raw) ?? BAD
    }
    case 'smallint':
    case 'int':
    case 'bigint':
      return integerFromText(spec.type)
    case 'string':
      return (raw) => raw
    default:
      return (raw, ctx) => check(JSON.rawJSON(raw), ctx)
  }
}

function compileField(spec: FieldSpec): CompiledField {
  const check = valueChecker(spec)
  return {
    name: spec.name,
    required: spec.required === true,
    string: spec.type === 'string',
    boolean: spec.type === 'boolean',
    integer: spec.type === 'smallint' || spec.type === 'int' || spec.type === 'bigint',
    min: spec.type === 'smallint' || spec.type === 'int' ? INT_RANGES[spec.type][0] : spec.type === 'bigint' ? Number.MIN_SAFE_INTEGER : 0,
    max: spec.type === 'smallint' || spec.type === 'int' ? INT_RANGES[spec.type][1] : spec.type === 'bigint' ? Number.MAX_SAFE_INTEGER : -1,
    isEventTime: spec.isEventTime === true,
    indicators: spec.indicators ?? [],
    expected: typeName(spec),
    check,
    checkDigits: digitsChecker(spec, check),
    encode: spec.type === 'timestamp' ? quoteTimestamp : jsonText,
  }
}

/**
 * Turns a validated schema file into its field loop, once per isolate.
 * @example const audit = compileSchema(loadSchemaFile('cloudflare_audit.yml', text))
 */
export function compileSchema(file: SchemaFile): CompiledSchema {
  const eventTimeFields = file.fields.filter((f) => f.isEventTime).map((f) => f.name)
  // The manifest builder refuses such a file; a hand-made entry must not compile into one that places nothing.
  if (eventTimeFields.length === 0) throw new Error(`${file.dataset}: the schema has no isEventTime field`)
  return {
    logType: file.schema,
    dataset: file.dataset,
    table: file.table,
    scopes: file.scope,
    eventTimeField: eventTimeFields[0]!,
    eventTimeFields,
    columns: file.fields.map((f) => f.name),
    check: fieldsChecker(file.fields.map(compileField), true),
  }
}
