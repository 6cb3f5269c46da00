// Writes realistic Logpush batches to fixtures/: each dataset in each timestamp format, plain and
// gzip, a batch spanning two hours, the destination check and a set of bad lines.
// Deterministic: a seeded PRNG, fixed instants, gzip without a timestamp.
//   npm run fixtures            writes the files
//   npm run fixtures -- --check fails when the files on disk differ from what it would write
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')
const LINES = 20
const FORMATS = ['unixnano', 'unix', 'rfc3339']
// 2022-05-25 13:02:00 UTC: every batch but the two-hour one stays inside hour 13.
const BASE_SECONDS = 1653483720n

// mulberry32: small, seedable, the same sequence everywhere.
function prng(seed) {
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

// Documentation and test ranges (RFC 5737, RFC 3849) and a few well-known resolvers.
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

const HOSTS = ['www.example.com', 'api.example.com', 'shop.example.org', 'example.net', 'static.example.com', 'WWW.Example.com']
const PATHS = ['/', '/index.html', '/api/v1/orders', '/api/v1/users/42', '/login', '/static/app.js', '/images/logo.png', '/checkout', '/search', '/wp-login.php']
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
const COLOS = [['IAD', 54], ['FRA', 20], ['LHR', 15], ['CDG', 19], ['NRT', 103], ['GRU', 116], ['BOM', 129], ['RUH', 339], ['SYD', 49], ['AMS', 24]]
const ASNS = [[15169, 'GOOGLE'], [13335, 'CLOUDFLARENET'], [16509, 'AMAZON-02'], [8075, 'MICROSOFT-CORP-MSN-AS-BLOCK'], [3320, 'DTAG'], [7922, 'COMCAST-7922'], [43766, 'MTC-KSA-AS']]
const CONTENT_TYPES = ['text/html', 'application/json', 'application/javascript', 'image/png', 'text/css']
const STATUSES = [200, 200, 200, 200, 301, 304, 403, 404, 500, 503]
const TLS = ['TLSv1.3', 'TLSv1.3', 'TLSv1.2', 'none']
const CIPHERS = ['AEAD-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'AEAD-CHACHA20-POLY1305-SHA256', 'NONE']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

const NS = 1000000000n

/** An instant (ns since the epoch) as Logpush writes it in each timestamp format. */
function time(ns, format) {
  if (format === 'unixnano') return ns
  const seconds = ns / NS
  if (format === 'unix') return Number(seconds)
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z')
}

function httpDate(ns) {
  const d = new Date(Number(ns / NS) * 1000)
  const p = (n) => String(n).padStart(2, '0')
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`
}

const rayId = (r) => r.hex(16)
const uuid = (r) => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`

function httpRequest(r, ns, format) {
  const [colo, coloId] = r.pick(COLOS)
  const [asn] = r.pick(ASNS)
  const status = r.pick(STATUSES)
  const cached = r.chance(0.4)
  const host = r.pick(HOSTS)
  const path = r.pick(PATHS)
  const query = r.pick(QUERIES)
  const bytes = r.int(200, 2000000)
  const ttfb = r.int(1, 900)
  const originMs = cached ? 0 : r.int(5, 800)
  const waf = r.chance(0.15)
  const blocked = status === 403
  const event = {
    BotScore: r.int(1, 99),
    BotScoreSrc: r.pick(['Machine Learning', 'Heuristics', 'Verified Bot', 'Behavioral Analysis', 'Not Computed']),
    BotTags: r.chance(0.2) ? [r.pick(['googlebot', 'bing', 'api'])] : [],
    CacheCacheStatus: cached ? r.pick(['hit', 'revalidated', 'stale']) : r.pick(['miss', 'dynamic', 'bypass', 'expired']),
    CacheResponseBytes: cached ? bytes : 0,
    CacheResponseStatus: cached ? status : 0,
    CacheTieredFill: r.chance(0.1),
    ClientASN: asn,
    ClientCountry: r.pick(COUNTRIES),
    ClientDeviceType: r.pick(['desktop', 'mobile', 'tablet']),
    ClientIP: ip(r),
    ClientIPClass: r.pick(['noRecord', 'noRecord', 'clean', 'searchEngine', 'monitoringService', 'tor']),
    ClientMTLSAuthCertFingerprint: '',
    ClientMTLSAuthStatus: 'unknown',
    ClientRequestBytes: r.int(300, 9000),
    ClientRequestHost: host,
    ClientRequestMethod: r.pick(METHODS),
    ClientRequestPath: path,
    ClientRequestProtocol: r.pick(['HTTP/1.1', 'HTTP/2', 'HTTP/3']),
    ClientRequestReferer: r.chance(0.5) ? `https://${r.pick(HOSTS).toLowerCase()}${r.pick(PATHS)}` : '',
    ClientRequestScheme: r.chance(0.95) ? 'https' : 'http',
    ClientRequestSource: r.pick(['eyeball', 'eyeball', 'edgeWorkerFetch']),
    ClientRequestURI: `${path}${query}`,
    ClientRequestUserAgent: r.pick(USER_AGENTS),
    ClientSSLCipher: r.pick(CIPHERS),
    ClientSSLProtocol: r.pick(TLS),
    ClientSrcPort: r.int(1024, 65535),
    ClientTCPRTTMs: r.int(0, 250),
    ClientXRequestedWith: r.chance(0.2) ? 'XMLHttpRequest' : '',
    EdgeCFConnectingO2O: false,
    EdgeColoCode: colo,
    EdgeColoID: coloId,
    EdgeEndTimestamp: time(ns + BigInt(ttfb + originMs) * 1000000n, format),
    EdgePathingOp: blocked ? 'ban' : 'wl',
    EdgePathingSrc: blocked ? 'filterBasedFirewall' : 'macro',
    EdgePathingStatus: blocked ? 'nr' : r.pick(['nr', 'se', 'dnsErr']),
    EdgeRateLimitAction: '',
    EdgeRateLimitID: 0,
    EdgeRequestHost: host.toLowerCase(),
    EdgeResponseBodyBytes: Math.max(0, bytes - 900),
    EdgeResponseBytes: bytes,
    EdgeResponseCompressionRatio: r.pick([0, 1, 2.15, 3.42, 1.07]),
    EdgeResponseContentType: r.pick(CONTENT_TYPES),
    EdgeResponseStatus: status,
    EdgeServerIP: r.chance(0.5) ? `172.70.${r.int(0, 255)}.${r.int(1, 254)}` : '',
    EdgeStartTimestamp: time(ns, format),
    EdgeTimeToFirstByteMs: ttfb,
    FirewallMatchesActions: blocked ? ['block'] : waf ? ['log'] : [],
    FirewallMatchesRuleIDs: blocked || waf ? [r.hex(32)] : [],
    FirewallMatchesSources: blocked ? ['firewallRules'] : waf ? ['waf'] : [],
    JA3Hash: r.hex(32),
    OriginDNSResponseTimeMs: cached ? 0 : r.int(0, 30),
    OriginIP: cached ? '' : ip(r),
    OriginRequestHeaderSendDurationMs: 0,
    OriginResponseBytes: cached ? 0 : bytes,
    OriginResponseDurationMs: originMs,
    OriginResponseHTTPExpires: r.chance(0.3) ? httpDate(ns + 86400n * NS) : '',
    OriginResponseHTTPLastModified: r.chance(0.3) ? httpDate(ns - 3600n * NS * BigInt(r.int(1, 500))) : '',
    OriginResponseStatus: cached ? 0 : status,
    OriginResponseTime: originMs * 1000000,
    OriginSSLProtocol: cached ? 'unknown' : r.pick(['TLSv1.3', 'TLSv1.2']),
    ParentRayID: r.chance(0.1) ? rayId(r) : '00',
    RayID: rayId(r),
    RequestHeaders: r.chance(0.5) ? { 'accept-language': r.pick(['en-US,en;q=0.9', 'de-DE', 'ja']), 'x-forwarded-proto': 'https' } : {},
    ResponseHeaders: r.chance(0.5) ? { 'cache-control': r.pick(['no-store', 'max-age=3600', 'public, max-age=86400']) } : {},
    SecurityLevel: r.pick(['med', 'high', 'off', 'low']),
    SmartRouteColoID: r.chance(0.2) ? r.int(1, 400) : 0,
    UpperTierColoID: r.chance(0.3) ? r.int(1, 400) : 0,
    WAFAction: waf ? 'log' : 'unknown',
    WAFFlags: '0',
    WAFMatchedVar: waf ? 'REQUEST_HEADERS:USER-AGENT' : '',
    WAFProfile: 'unknown',
    WAFRuleID: waf ? String(r.int(100000, 999999)) : '',
    WAFRuleMessage: waf ? 'SQLi probing' : '',
    WorkerCPUTime: r.chance(0.2) ? r.int(100, 50000) : 0,
    WorkerStatus: r.chance(0.2) ? 'ok' : 'unknown',
    WorkerSubrequest: false,
    WorkerSubrequestCount: r.chance(0.2) ? r.int(1, 6) : 0,
    ZoneID: 1000000000 + r.int(0, 999999),
    ZoneName: host.toLowerCase().split('.').slice(-2).join('.'),
    // Fields Cloudflare added after Panther's schema was written: kept as they come.
    BotDetectionIDs: r.chance(0.3) ? [r.int(1, 20), r.int(21, 40)] : [],
    SecurityAction: blocked ? 'block' : 'unknown',
  }
  return event
}

function firewallEvent(r, ns, format) {
  const [asn, asnName] = r.pick(ASNS)
  const action = r.pick(['block', 'managed_challenge', 'jschallenge', 'log', 'challenge', 'skip'])
  const source = r.pick(['firewallrules', 'firewallManaged', 'waf', 'ratelimit', 'securitylevel', 'bic'])
  const path = r.pick(PATHS)
  const query = r.pick(QUERIES)
  return {
    Action: action,
    ClientASN: asn,
    ClientASNDescription: asnName,
    ClientCountry: r.pick(COUNTRIES),
    ClientIP: ip(r),
    ClientIPClass: r.pick(['noRecord', 'clean', 'searchEngine', 'badHost', 'tor']),
    ClientRefererHost: r.chance(0.5) ? r.pick(HOSTS).toLowerCase() : '',
    ClientRefererPath: r.chance(0.5) ? r.pick(PATHS) : '',
    ClientRefererQuery: '',
    ClientRefererScheme: r.chance(0.5) ? 'https' : '',
    ClientRequestHost: r.pick(HOSTS),
    ClientRequestMethod: r.pick(METHODS),
    ClientRequestPath: path,
    ClientRequestProtocol: r.pick(['HTTP/1.1', 'HTTP/2']),
    ClientRequestQuery: query,
    ClientRequestScheme: 'https',
    ClientRequestUserAgent: r.pick(USER_AGENTS),
    Datetime: time(ns, format),
    EdgeColoCode: r.pick(COLOS)[0],
    EdgeResponseStatus: action === 'log' || action === 'skip' ? r.pick([200, 404]) : 403,
    Kind: 'firewall',
    MatchIndex: r.int(0, 3),
    Metadata: source === 'firewallrules' ? { filter: r.hex(32), type: 'customer' } : source === 'ratelimit' ? { ruleset_version: String(r.int(1, 90)) } : {},
    OriginResponseStatus: action === 'log' ? 200 : 0,
    OriginatorRayID: action === 'managed_challenge' && r.chance(0.5) ? rayId(r) : '00',
    RayID: rayId(r),
    RuleID: r.hex(32),
    Source: source,
  }
}

function spectrumEvent(r, ns, format) {
  const connect = r.chance(0.5)
  const [asn] = r.pick(ASNS)
  const tls = r.chance(0.5)
  return {
    Application: r.hex(32),
    ClientASN: asn,
    ClientBytes: connect ? 0 : r.int(100, 5000000),
    ClientCountry: r.pick(COUNTRIES),
    ClientIP: ip(r),
    ClientMatchedIpFirewall: r.pick(['UNKNOWN', 'ALLOW', 'BLOCK_IP', 'BLOCK_COUNTRY']),
    ClientPort: r.int(1024, 65535),
    ClientProto: r.pick(['tcp', 'tcp', 'udp']),
    ClientTcpRtt: r.int(0, 200000000),
    ClientTlsCipher: tls ? r.pick(CIPHERS.slice(0, 3)) : 'UNK',
    ClientTlsClientHelloServerName: tls ? r.pick(HOSTS).toLowerCase() : '',
    ClientTlsProtocol: tls ? r.pick(['TLSv1.2', 'TLSv1.3']) : 'none',
    ClientTlsStatus: tls ? 'OK' : 'UNKNOWN',
    ColoCode: r.pick(COLOS)[0],
    ConnectTimestamp: time(ns - BigInt(connect ? 0 : r.int(1, 600)) * NS, format),
    DisconnectTimestamp: connect ? time(0n, format) : time(ns, format),
    Event: connect ? 'connect' : r.pick(['disconnect', 'disconnect', 'originError', 'tlsError']),
    IpFirewall: r.chance(0.3),
    OriginBytes: connect ? 0 : r.int(100, 50000000),
    OriginIP: ip(r),
    OriginPort: r.pick([22, 3389, 25565, 5432, 443]),
    OriginProto: 'tcp',
    OriginTcpRtt: r.int(0, 80000000),
    OriginTlsCipher: 'UNK',
    OriginTlsFingerprint: '',
    OriginTlsMode: r.pick(['off', 'full', 'strict']),
    OriginTlsProtocol: 'unknown',
    OriginTlsStatus: 'UNKNOWN',
    ProxyProtocol: r.pick(['off', 'v1', 'v2', 'simple']),
    Status: connect ? 0 : r.pick([0, 0, 1, 3, 5]),
    Timestamp: time(ns, format),
  }
}

function auditEvent(r, ns, format) {
  const actor = r.alnum(32)
  const system = r.chance(0.15)
  const action = r.pick(['login', 'logout', 'token_create', 'rec_add', 'rec_set', 'rec_del', 'update', 'purge'])
  const resource = { login: 'account', logout: 'account', token_create: 'account', rec_add: 'DNS_record', rec_set: 'DNS_record', rec_del: 'DNS_record', update: 'zone', purge: 'zone' }[action]
  const record = { name: `${r.pick(['www', 'api', 'mail'])}.example.com`, type: r.pick(['A', 'AAAA', 'CNAME']), ttl: r.pick([1, 300, 3600]), proxied: r.chance(0.7) }
  return {
    ActionResult: r.chance(0.9),
    ActionType: action,
    ActorEmail: system ? '' : `${r.pick(['alice', 'bob', 'ops', 'security'])}@example.com`,
    ActorID: system ? '' : actor,
    ActorIP: system ? '' : ip(r),
    ActorType: system ? 'system' : r.pick(['user', 'user', 'admin']),
    ID: uuid(r),
    Interface: system ? '' : r.pick(['UI', 'API']),
    Metadata: action === 'token_create' ? { token_name: 'ci-deploy', token_tag: r.hex(32) } : resource === 'DNS_record' ? { zone_name: 'example.com' } : {},
    NewValue: action === 'rec_add' || action === 'rec_set' ? record : {},
    OldValue: action === 'rec_set' || action === 'rec_del' ? { ...record, ttl: 300 } : {},
    OwnerID: r.chance(0.8) ? actor : r.alnum(32),
    ResourceID: r.hex(32),
    ResourceType: resource,
    When: time(ns, format),
  }
}

const DATASETS = { audit_logs: auditEvent, firewall_events: firewallEvent, http_requests: httpRequest, spectrum_events: spectrumEvent }

const BIGINT = '<bigint>'
const BIGINT_TEXT = /"<bigint>(-?\d+)"/g

/** NDJSON the way Logpush writes it: one object a line, integers beyond 2^53 exact. */
function line(event) {
  return JSON.stringify(event, (_k, v) => (typeof v === 'bigint' ? `${BIGINT}${v}` : v)).replace(BIGINT_TEXT, '$1')
}

/** A batch: the same events at the same instants in every format (sub-second only in unixnano). */
function batch(dataset, format, seed, count, spanSeconds) {
  const r = prng(seed)
  const out = []
  for (let i = 0; i < count; i++) {
    const seconds = BASE_SECONDS + BigInt(Math.floor((i * spanSeconds) / count))
    const nanos = BigInt(r.int(0, 999999999))
    out.push(line(DATASETS[dataset](r, seconds * NS + (format === 'unixnano' ? nanos : 0n), format)))
  }
  return `${out.join('\n')}\n`
}

function badLines() {
  const r = prng(404)
  const good = () => httpRequest(r, (BASE_SECONDS + BigInt(r.int(0, 3000))) * NS + BigInt(r.int(0, 999999999)), 'unixnano')
  const without = (event, key) => {
    const { [key]: _, ...rest } = event
    return rest
  }
  // One bad line of each kind, between good ones; the test names the reason of each.
  return `${[
    line(good()),
    line(good()).slice(0, 180), // not JSON: cut off mid-line
    '["EdgeStartTimestamp",1653485126000000000]', // not an object
    line(without(good(), 'EdgeStartTimestamp')), // the required field is missing
    line({ ...good(), EdgeStartTimestamp: 'yesterday' }), // bad timestamp
    line({ ...good(), ClientSrcPort: '443/tcp' }), // bad int
    line({ ...good(), EdgeResponseStatus: 70000 }), // smallint out of range
    line(good()),
    line({ ...good(), CacheTieredFill: 'yes' }), // bad boolean
    line({ ...good(), BotTags: ['googlebot', { name: 'bing' }] }), // bad array element
    line({ ...good(), EdgeResponseCompressionRatio: 'n/a' }), // bad float
    line({ ...good(), ZoneID: 1.5 }), // fractional bigint
    line({ ...good(), ZoneID: '9223372036854775808' }), // bigint beyond int64
    line({ ...good(), ClientIP: { v4: '192.0.2.1' } }), // object for a string
    line({ ...good(), EdgeStartTimestamp: 'Wed, 25 May 2022 13:25:26 GMT' }), // HTTP-date outside the header columns
    line({ ...good(), EdgeStartTimestamp: '' }), // empty event time
    line({ ...good(), EdgeStartTimestamp: '2022-02-30T10:00:00Z' }), // no such day
    line({ ...good(), ClientSrcPort: 3000000000 }), // int out of range
    '',
    line(good()),
  ].join('\n')}\n`
}

function files() {
  const out = new Map()
  let seed = 1
  for (const dataset of Object.keys(DATASETS)) {
    for (const format of FORMATS) {
      // The same seed for the three formats of a dataset: the same events, encoded three ways.
      out.set(`${dataset}.${format}.ndjson`, batch(dataset, format, seed, LINES, 3000))
    }
    seed++
  }
  // 13:02 to 14:52: two hours, two partitions.
  out.set('http_requests.two-hours.ndjson', batch('http_requests', 'unixnano', 99, LINES, 6600))
  out.set('bad-lines.ndjson', badLines())
  return out
}

const check = process.argv.includes('--check')
let stale = 0
mkdirSync(OUT, { recursive: true })
const written = []
for (const [name, text] of files()) {
  const plain = Buffer.from(text)
  const targets = name === 'bad-lines.ndjson' ? [[name, plain]] : [[name, plain], [`${name}.gz`, gzipSync(plain, { level: 9 })]]
  for (const [file, data] of targets) {
    const path = join(OUT, file)
    if (check) {
      let onDisk
      try {
        onDisk = readFileSync(path)
      } catch {
        onDisk = undefined
      }
      // Compare gzip files by content: another zlib may compress the same text differently.
      const same = onDisk !== undefined && (file.endsWith('.gz') ? gunzipSync(onDisk).equals(plain) : onDisk.equals(data))
      if (!same) {
        console.error(`stale: fixtures/${file}`)
        stale++
      }
    } else {
      writeFileSync(path, data)
      written.push(file)
    }
  }
}
const validation = Buffer.from('{"content":"tests"}')
if (check) {
  let ok = false
  try {
    ok = gunzipSync(readFileSync(join(OUT, 'validation.json.gz'))).equals(validation)
  } catch {}
  if (!ok) {
    console.error('stale: fixtures/validation.json.gz')
    stale++
  }
  if (stale > 0) {
    console.error(`${stale} fixture file(s) differ from what scripts/make-fixtures.mjs writes: run npm run fixtures`)
    process.exit(1)
  }
  console.log('fixtures are up to date')
} else {
  writeFileSync(join(OUT, 'validation.json.gz'), gzipSync(validation, { level: 9 }))
  written.push('validation.json.gz')
  console.log(`wrote ${written.length} files to fixtures/`)
}
