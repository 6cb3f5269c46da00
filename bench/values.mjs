// What the bench's generators share: seeded randomness, value pools (IPs, countries, colos, HTTP
// statuses and methods, paths, DNS query types), the batch's span, timestamps and key order.

/** Every batch spans four minutes across an hour boundary, so it writes two partitions. */
export const BATCH_START_NS = 1795600680n * 1_000_000_000n // 2026-11-25 09:58:00 UTC
export const BATCH_SPAN_NS = 240n * 1_000_000_000n

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function rng(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A seeded source of values: the same seed gives the same sequence everywhere.
 * @example const t = tools(1); const status = t.weighted(STATUS); status() // 200
 */
export function tools(seed) {
  const r = rng(seed)
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1))
  const pick = (xs) => xs[Math.floor(r() * xs.length)]
  /** [[weight, value], ...] */
  const weighted = (pairs) => {
    const total = pairs.reduce((a, [w]) => a + w, 0)
    return () => {
      let x = r() * total
      for (const [w, v] of pairs) if ((x -= w) < 0) return v
      return pairs[pairs.length - 1][1]
    }
  }
  /** Heavy-tailed pick: a few values are very common (top talkers), most are rare. */
  const zipf = (xs) => () => xs[Math.min(xs.length - 1, Math.floor(xs.length * r() ** 3))]
  const logNormal = (median, sigma) => () => Math.round(median * Math.exp(sigma * gauss()))
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
  const hex = (n) => {
    let s = ''
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)]
    return s
  }
  const chance = (p) => r() < p
  return { r, int, pick, weighted, zipf, logNormal, hex, chance }
}

// ---------------------------------------------------------------------------------------------
// Value pools

/** A public-looking IPv4 address. */
export function ipv4(t) {
  return `${t.pick([1, 5, 23, 31, 37, 45, 62, 66, 81, 91, 103, 109, 151, 176, 185, 188, 203, 212])}.${t.int(0, 255)}.${t.int(0, 255)}.${t.int(1, 254)}`
}

/** An IPv6 address, compressed (`::`) or in full. */
export function ipv6(t) {
  const prefix = t.pick(['2001:db8', '2a02:810d', '2600:1700', '2406:da14', '2a01:e0a', '2003:c9'])
  const groups = [t.hex(4), t.hex(4), t.hex(4)].map((g) => g.replace(/^0+(?=.)/, ''))
  return t.chance(0.5)
    ? `${prefix}:${groups[0]}::${t.hex(3).replace(/^0+(?=.)/, '')}`
    : `${prefix}:${groups.join(':')}:${t.hex(4).replace(/^0+(?=.)/, '')}:${t.hex(4).replace(/^0+(?=.)/, '')}:${t.hex(2)}`
}

/** Client countries by share of traffic ([weight, code]). */
export const COUNTRIES = [
  [35, 'us'],
  [8, 'de'],
  [7, 'gb'],
  [6, 'fr'],
  [6, 'in'],
  [5, 'jp'],
  [5, 'br'],
  [4, 'ca'],
  [4, 'nl'],
  [3, 'au'],
  [3, 'sg'],
  [3, 'cn'],
  [2, 'se'],
  [2, 'pl'],
  [2, 'es'],
  [5, 'xx'],
]
/** Cloudflare data centres: [IATA code, colo ID]. */
export const COLOS = [
  ['FRA', 18],
  ['LHR', 23],
  ['IAD', 7],
  ['SJC', 16],
  ['NRT', 32],
  ['SIN', 47],
  ['CDG', 19],
  ['AMS', 20],
  ['ORD', 9],
  ['DFW', 10],
  ['GRU', 77],
  ['BOM', 101],
]
export const ASNS = [13335, 15169, 7922, 3320, 16509, 8075, 4134, 14618, 701, 209, 20115, 12389, 3215, 2856, 6830, 9009]
export const STATUS = [
  [72, 200],
  [8, 304],
  [5, 404],
  [3, 301],
  [3, 302],
  [2, 206],
  [2, 403],
  [1, 204],
  [1, 400],
  [1, 401],
  [0.7, 500],
  [0.6, 502],
  [0.4, 503],
  [0.3, 429],
]
export const METHODS = [
  [84, 'GET'],
  [10, 'POST'],
  [2, 'HEAD'],
  [2, 'OPTIONS'],
  [1, 'PUT'],
  [0.6, 'DELETE'],
  [0.4, 'PATCH'],
]
export const WORDS = [
  'products',
  'users',
  'orders',
  'search',
  'cart',
  'checkout',
  'static',
  'images',
  'assets',
  'blog',
  'docs',
  'api',
  'v1',
  'v2',
  'account',
  'login',
  'settings',
  'media',
  'feed',
  'comments',
]

/** A request path of a web site: the root, a static asset, an API call or a page. */
export function path(t) {
  const kind = t.r()
  if (kind < 0.15) return '/'
  if (kind < 0.4)
    return `/${t.pick(['static', 'assets'])}/${t.pick(['js', 'css', 'img', 'fonts'])}/${t.pick(['app', 'vendor', 'main', 'chunk', 'logo', 'hero'])}.${t.hex(8)}.${t.pick(['js', 'css', 'webp', 'png', 'woff2'])}`
  if (kind < 0.7) return `/api/${t.pick(['v1', 'v2'])}/${t.pick(WORDS)}/${t.int(1, 9999999)}${t.chance(0.5) ? `/${t.pick(WORDS)}` : ''}`
  return `/${t.pick(WORDS)}/${t.pick(WORDS)}-${t.pick(WORDS)}-${t.int(1, 99999)}`
}

/** A query string (`?a=1&b=x`), or '' for most requests. */
export function query(t) {
  if (!t.chance(0.3)) return ''
  const n = t.int(1, 4)
  const parts = []
  for (let i = 0; i < n; i++)
    parts.push(
      `${t.pick(['q', 'page', 'sort', 'utm_source', 'utm_campaign', 'id', 'lang', 'ref', 'session'])}=${t.chance(0.5) ? t.int(1, 500) : t.hex(t.int(4, 24))}`,
    )
  return `?${parts.join('&')}`
}

/** A timestamp in the job's format: unixnano as an exact JSON number, or RFC 3339 (seconds). */
export function timestamp(ns, format) {
  if (format === 'unixnano') return JSON.rawJSON(ns.toString())
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Builds objects with their keys sorted, as Logpush writes them. */
export function sortedKeys(obj) {
  const out = {}
  for (const k of Object.keys(obj).sort()) out[k] = obj[k]
  return out
}

/** A random (version 4) UUID. */
export function uuid(t) {
  return `${t.hex(8)}-${t.hex(4)}-4${t.hex(3)}-${t.pick(['8', '9', 'a', 'b'])}${t.hex(3)}-${t.hex(12)}`
}

/** DNS queries by type, as resolvers see them: [weight, [number, name]]. */
export const QUERY_TYPES = [
  [44, [1, 'A']],
  [24, [28, 'AAAA']],
  [18, [65, 'HTTPS']],
  [3, [12, 'PTR']],
  [3, [16, 'TXT']],
  [2, [5, 'CNAME']],
  [1.5, [15, 'MX']],
  [1.5, [33, 'SRV']],
  [1, [2, 'NS']],
  [1, [6, 'SOA']],
  [0.5, [257, 'CAA']],
  [0.5, [255, 'ANY']],
]
