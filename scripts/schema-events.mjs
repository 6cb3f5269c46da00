// Realistic Logpush events for any schema of the manifest, from its field types, names,
// indicators and the values its descriptions list ("unknown | miss | hit"): IPs where a field is
// an IP, host names for domains, RayIDs for trace ids, HTTP statuses, ports, ASNs, user agents, ...
// Deterministic: a seeded PRNG; the random draws do not depend on the timestamp format, so one
// seed gives the same events in every format. Used by scripts/make-fixtures.mjs and the bench.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const MANIFEST_FILE = fileURLToPath(new URL('../src/schema/manifest.generated.json', import.meta.url))

/** Logpush's timestamp formats (a job's `timestamp_format`). */
export const FORMATS = ['unixnano', 'unix', 'rfc3339', 'rfc3339ms', 'rfc3339ns']

/** The schema manifest (npm run manifest writes it from schemas/*.yml). */
export function readManifest(file = MANIFEST_FILE) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

/** A stable 32-bit seed from a name (FNV-1a), so that adding a dataset changes no other's data. */
export function seedOf(name) {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** mulberry32: small, seedable, the same sequence everywhere. */
export function prng(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = (list) => list[int(0, list.length - 1)]
  const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('')
  const alnum = (n) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[int(0, 35)]).join('')
  return { next, int, pick, hex, alnum, chance: (p) => next() < p }
}

const NS = 1_000_000_000n
const MS = 1_000_000n

/** An instant (ns since the epoch, a BigInt) as Logpush writes it in a timestamp format. */
export function encodeTime(ns, format) {
  if (format === 'unixnano') return ns
  const seconds = ns / NS
  if (format === 'unix') return Number(seconds)
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19)
  const fraction = String(ns % NS).padStart(9, '0')
  if (format === 'rfc3339') return `${iso}Z`
  if (format === 'rfc3339ms') return `${iso}.${fraction.slice(0, 3)}Z`
  if (format === 'rfc3339ns') return `${iso}.${fraction}Z`
  throw new Error(`unknown timestamp format ${format}; known: ${FORMATS.join(', ')}`)
}

const BIGINT = '<bigint>'
const BIGINT_TEXT = /"<bigint>(-?\d+)"/g

/** NDJSON the way Logpush writes it: one object a line, integers beyond 2^53 (BigInts) exact. */
export function ndjsonLine(event) {
  return JSON.stringify(event, (_k, v) => (typeof v === 'bigint' ? `${BIGINT}${v}` : v)).replace(BIGINT_TEXT, '$1')
}

// ---------------------------------------------------------------------------------------------
// Value pools: documentation address ranges (RFC 5737, RFC 3849), example domains.

const HOSTS = ['www.example.com', 'api.example.com', 'shop.example.org', 'example.net', 'static.example.com', 'WWW.Example.com']
const PATHS = [
  '/',
  '/index.html',
  '/api/v1/orders',
  '/api/v1/users/42',
  '/login',
  '/static/app.js',
  '/images/logo.png',
  '/checkout',
  '/search',
  '/wp-login.php',
]
const QUERIES = ['', '?q=shoes', '?page=2', '?utm_source=newsletter', '?id=17&sort=desc']
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'HEAD', 'OPTIONS']
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.67 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 15_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'curl/7.83.1',
  'python-requests/2.27.1',
]
const COUNTRIES = ['us', 'de', 'gb', 'fr', 'jp', 'br', 'in', 'sa', 'au', 'nl']
const COLOS = ['IAD', 'FRA', 'LHR', 'CDG', 'NRT', 'GRU', 'BOM', 'RUH', 'SYD', 'AMS']
const ASNS = [
  [15169, 'GOOGLE'],
  [13335, 'CLOUDFLARENET'],
  [16509, 'AMAZON-02'],
  [8075, 'MICROSOFT-CORP-MSN-AS-BLOCK'],
  [3320, 'DTAG'],
  [7922, 'COMCAST-7922'],
  [43766, 'MTC-KSA-AS'],
]
const CONTENT_TYPES = ['text/html', 'application/json', 'application/javascript', 'image/png', 'text/css']
const HTTP_STATUSES = [200, 200, 200, 200, 301, 304, 403, 404, 500, 503]
const TLS_VERSIONS = ['TLSv1.3', 'TLSv1.3', 'TLSv1.2', 'none']
const HTTP_VERSIONS = ['HTTP/1.1', 'HTTP/2', 'HTTP/3']
const CIPHERS = ['AEAD-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'AEAD-CHACHA20-POLY1305-SHA256', 'NONE']
const ACTIONS = ['allow', 'block', 'log', 'managed_challenge', 'challenge', 'skip']
const USERS = ['alice', 'bob', 'ops', 'security', 'deploy-bot']
const HEADERS = [
  ['accept-language', 'en-US,en;q=0.9'],
  ['accept-language', 'de-DE'],
  ['cache-control', 'no-store'],
  ['cache-control', 'public, max-age=86400'],
  ['x-forwarded-proto', 'https'],
  ['content-type', 'application/json'],
]
const MAP_KEYS = ['id', 'name', 'type', 'version', 'source', 'zone_name']
const WORDS = ['unknown', 'default', 'standard', 'enabled', 'disabled', 'none', 'ok']
const MESSAGES = ['SQLi probing', 'XSS attempt in query string', 'Known bad user agent', 'Rate limit exceeded']
const SAFE_WORDS = /^[A-Za-z0-9_.\- ]{1,40}$/

function ipv4(r) {
  return r.pick([
    () => `192.0.2.${r.int(1, 254)}`,
    () => `198.51.100.${r.int(1, 254)}`,
    () => `203.0.113.${r.int(1, 254)}`,
    () => `81.2.69.${r.int(1, 254)}`,
    () => `175.16.199.${r.int(0, 255)}`,
  ])()
}
function ipv6(r) {
  return r.pick([
    () => `2001:db8:${r.hex(4).replace(/^0+(?=.)/, '')}::${r.int(1, 65535).toString(16)}`,
    () => `2001:db8:85a3::8a2e:370:${r.hex(4).replace(/^0+(?=.)/, '')}`,
    () => `2a06:98c0:3600::${r.int(1, 255).toString(16)}`,
  ])()
}
const ip = (r) => (r.chance(0.3) ? ipv6(r) : ipv4(r))
const host = (r) => r.pick(HOSTS)
const url = (r) => `https://${host(r).toLowerCase()}${r.pick(PATHS)}${r.pick(QUERIES)}`
const uuid = (r) => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`
const mac = (r) => Array.from({ length: 6 }, () => r.hex(2)).join(':')

/** A string by indicator kind, the first of a field's indicators that has one. */
const BY_INDICATOR = {
  ip,
  domain: host,
  hostname: (r) => (r.chance(0.2) ? ipv4(r) : host(r)),
  url,
  net_addr: (r) => `${ipv4(r)}:${r.pick([443, 80, 8443, r.int(1024, 65535)])}`,
  trace_id: (r) => r.hex(16),
  email: (r) => `${r.pick(USERS)}@example.com`,
  username: (r) => r.alnum(32),
  sha256: (r) => r.hex(64),
  sha1: (r) => r.hex(40),
  md5: (r) => r.hex(32),
  mac,
}

/** A string by the field's name: [pattern, maker], the first match wins. */
const BY_NAME = [
  [/Email/, BY_INDICATOR.email],
  [/UserAgent$/, (r) => r.pick(USER_AGENTS)],
  [/Country$/, (r) => r.pick(COUNTRIES)],
  [/Colo(Code)?$/, (r) => r.pick(COLOS)],
  [/Method$/, (r) => r.pick(METHODS)],
  [/URI$/, (r) => `${r.pick(PATHS)}${r.pick(QUERIES)}`],
  [/Path$/, (r) => r.pick(PATHS)],
  [/Query$/, (r) => r.pick(QUERIES)],
  [/Referer$|URL$|Url$/, url],
  [/Scheme$/, (r) => (r.chance(0.95) ? 'https' : 'http')],
  [/(SSL|Tls|TLS)Protocol$/, (r) => r.pick(TLS_VERSIONS)],
  [/Protocol$/, (r) => r.pick(HTTP_VERSIONS)],
  [/Proto$/, (r) => r.pick(['tcp', 'tcp', 'udp'])],
  [/Cipher$/, (r) => r.pick(CIPHERS)],
  [/ContentType$/, (r) => r.pick(CONTENT_TYPES)],
  [/Fingerprint$/, BY_INDICATOR.sha256],
  [/Hash$/, BY_INDICATOR.md5],
  [/RayID$/, BY_INDICATOR.trace_id],
  [/^ID$|UUID$/, uuid],
  [/ID$|Id$|^Application$/, (r) => r.hex(32)],
  [/IP$/, ip],
  [/Host(name)?$|ServerName$|Domain$|ZoneName$/, host],
  [/ASNDescription$/, (r) => r.pick(ASNS)[1]],
  [/Action$/, (r) => r.pick(ACTIONS)],
  [/Message$/, (r) => r.pick(MESSAGES)],
  [/Flags$/, () => '0'],
  [/Mac(Address)?$/i, mac],
]

/** The values a description lists, `a | b | c` after its last `;`, `:` or "values are": or null. */
function listedValues(description) {
  if (!description?.includes('|')) return null
  const before = description.slice(0, description.indexOf('|'))
  const start = Math.max(before.lastIndexOf(';'), before.lastIndexOf(':'), before.lastIndexOf(' are '), before.lastIndexOf('. '))
  const values = description
    .slice(start < 0 ? 0 : start + (before.slice(start).startsWith(' are ') ? 5 : 1))
    .replace(/\.$/, '')
    .split('|')
    .map((v) => v.trim())
  return values.length > 1 && values.every((v) => SAFE_WORDS.test(v) && v.split(' ').length <= 3) ? values : null
}

const INT_RANGES = { smallint: [-32768, 32767], int: [-2147483648, 2147483647], bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] }

/** An integer by the field's name, within its type's range. */
function integer(r, name, type) {
  const [lo, hi] = INT_RANGES[type]
  const clamp = (n) => Math.min(hi, Math.max(lo, n))
  if (/ResponseStatus$|StatusCode$|HTTPStatus$/.test(name)) return r.pick(HTTP_STATUSES)
  if (/Port$/.test(name)) return clamp(r.chance(0.5) ? r.pick([22, 80, 443, 3389, 5432, 8443]) : r.int(1024, 65535))
  if (/ASN$|Asn$/.test(name)) return r.pick(ASNS)[0]
  if (/Bytes$/.test(name)) return clamp(r.int(0, 2_000_000))
  if (/Ms$/.test(name)) return clamp(r.int(0, 900))
  if (/Rtt$|RTT$/.test(name)) return clamp(r.int(0, 200_000_000))
  if (/Score$/.test(name)) return r.int(1, 99)
  if (/Count$|Index$/.test(name)) return r.int(0, 6)
  if (/Status$|Code$/.test(name)) return r.int(0, 5)
  if (/Time$|Duration/.test(name)) return clamp(r.int(0, 1_000_000))
  if (/ColoID$/.test(name)) return r.int(1, 400)
  if (/(Zone|Account)ID$/.test(name)) return clamp(1_000_000_000 + r.int(0, 999_999))
  if (/ID$|Id$/.test(name)) return clamp(r.int(1, 999_999))
  return clamp(r.int(0, type === 'smallint' ? 1000 : 100_000))
}

/** When a timestamp other than the event time falls, against the event time (ns). */
function offsetNs(r, name) {
  const ns = BigInt(r.int(0, 600)) * NS + BigInt(r.int(0, 999_999_999))
  return /End|Disconnect|Expires|Until|Finish/.test(name) ? ns : -ns
}

/**
 * A maker of events for one schema (a manifest entry): `make(r, ns, format)` gives one event whose
 * event time is `ns` in `format`, its other timestamps near it, every field set as a job that
 * selected all fields sends it ("" or 0 where a value is absent, never in a required field).
 * Each field's maker is chosen once, here, not per event.
 * @example const make = eventMaker(manifest.datasets.http_requests); make(prng(1), 1653483720000000000n, 'unixnano')
 */
export function eventMaker(schema) {
  const make = fieldsMaker(schema.fields)
  return (r, ns, format) => make(r, ns, format)
}

function fieldsMaker(list) {
  const makers = list.map((f) => [f.name, valueMaker(f, f.name, f.required === true, f.description)])
  return (r, ns, format) => {
    const out = {}
    for (const [name, make] of makers) out[name] = make(r, ns, format)
    return out
  }
}

/** `(r, ns, format) => value` for one value spec; `name` and `description` guide the choice. */
function valueMaker(spec, name, required, description) {
  switch (spec.type) {
    case 'string': {
      const listed = listedValues(description)
      if (listed) return (r) => r.pick(listed)
      const byIndicator = (spec.indicators ?? []).map((k) => BY_INDICATOR[k]).find(Boolean)
      const make = byIndicator ?? BY_NAME.find(([pattern]) => pattern.test(name))?.[1] ?? ((r) => r.pick(WORDS))
      return required ? make : (r) => (r.chance(0.1) ? '' : make(r))
    }
    case 'boolean':
      return (r) => r.chance(0.3)
    case 'smallint':
    case 'int':
    case 'bigint':
      return required ? (r) => integer(r, name, spec.type) : (r) => (r.chance(0.1) ? 0 : integer(r, name, spec.type))
    case 'float':
      return /Ratio$/.test(name) ? (r) => r.pick([0, 1, 1.07, 2.15, 3.42]) : (r) => r.int(0, 10000) / 100
    case 'timestamp': {
      // A field declared in milliseconds (workers_trace_events.EventTimestampMs) is sent that way
      // whatever the job's timestamp format.
      const encode = spec.timeFormats?.length === 1 && spec.timeFormats[0] === 'unix_ms' ? (ns) => Number(ns / MS) : encodeTime
      return spec.isEventTime ? (_r, ns, format) => encode(ns, format) : (r, ns, format) => encode(ns + offsetNs(r, name), format)
    }
    case 'json':
      return (r) => json(r, name)
    case 'array': {
      const element = valueMaker({ ...spec.element, indicators: spec.indicators }, name.replace(/s$/, ''), true, description)
      return (r, ns, format) => Array.from({ length: r.chance(0.4) ? 0 : r.int(1, 3) }, () => element(r, ns, format))
    }
    case 'object': {
      if (spec.fields) return fieldsMaker(spec.fields)
      if (/Headers$/.test(name) && spec.element.type === 'string') return headers
      const element = valueMaker({ ...spec.element, indicators: spec.indicators }, name, true, undefined)
      return (r, ns, format) => {
        const out = {}
        for (let i = r.int(0, 3); i > 0; i--) out[r.pick(MAP_KEYS)] = element(r, ns, format)
        return out
      }
    }
    default:
      throw new Error(`${name}: no generator for type ${spec.type}`)
  }
}

/** HTTP headers as Logpush sends a headers field: lower-case names, string values; often none. */
function headers(r) {
  const out = {}
  for (let i = r.chance(0.5) ? 0 : r.int(1, 2); i > 0; i--) {
    const [name, value] = r.pick(HEADERS)
    out[name] = value
  }
  return out
}

/** A json field's value: headers, metadata or a changed record, by name. */
function json(r, name) {
  if (/Headers$/.test(name)) return headers(r)
  if (/Value$/.test(name))
    return r.chance(0.5)
      ? { name: `${r.pick(['www', 'api', 'mail'])}.example.com`, type: r.pick(['A', 'AAAA', 'CNAME']), ttl: r.pick([1, 300, 3600]), proxied: r.chance(0.7) }
      : {}
  return r.chance(0.6) ? { [r.pick(MAP_KEYS)]: r.hex(32), [r.pick(MAP_KEYS)]: r.int(1, 90) } : {}
}
