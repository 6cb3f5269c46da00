// Realistic Logpush batches for the benchmark: gzip NDJSON, generated once into bench/out/ and
// streamed (never a whole batch in memory). Deterministic: the same name always gives the same bytes.
//
//   node bench/generate.mjs http_requests 100000      # lines
//   node bench/generate.mjs http_requests 100MB       # uncompressed bytes (for the memory runs)
//
// Datasets: every dataset of the schema manifest (rebuilt from schemas/*.yml on import), plus
// http_requests_rfc3339. http_requests (unixnano numbers, Logpush's API default),
// http_requests_rfc3339 (the same events with RFC 3339 strings, the dashboard default),
// firewall_events, audit_logs, dns_logs, gateway_dns, gateway_http, zero_trust_network_sessions
// and workers_trace_events have generators tuned on real traffic shapes (here; the three Zero
// Trust ones in zero-trust.mjs; what they share in values.mjs); any other dataset's events come
// from its schema (scripts/schema-events.mjs).

import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createGzip } from 'node:zlib'
import { buildManifestFiles } from '../scripts/build-manifest.mjs'
import { eventMaker, ndjsonLine, prng, seedOf } from '../scripts/schema-events.mjs'
import {
  BATCH_SPAN_NS,
  BATCH_START_NS,
  ASNS,
  COLOS,
  COUNTRIES,
  METHODS,
  QUERY_TYPES,
  STATUS,
  WORDS,
  ipv4,
  ipv6,
  path,
  query,
  sortedKeys,
  timestamp,
  tools,
  uuid,
} from './values.mjs'
import { gatewayDns, gatewayHttp, zeroTrustNetworkSessions } from './zero-trust.mjs'

/** The version of the schema-made data (`fromSchema`); each tuned generator has its own in TUNED. */
const GENERATOR_VERSION = 1
/** Logpush does not document its gzip level; zlib's default is what Go and most producers use. */
const INPUT_GZIP_LEVEL = 6
const FLUSH_CHARS = 1 << 20
const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'out')
/** For byte targets: a rough line size, only to spread the timestamps over the span. */
const APPROX_LINE_BYTES = {
  http_requests: 2700,
  http_requests_rfc3339: 2700,
  firewall_events: 950,
  audit_logs: 1000,
  dns_logs: 210,
  gateway_dns: 2550,
  gateway_http: 1800,
  zero_trust_network_sessions: 1350,
  workers_trace_events: 580,
}
/**
 * The datasets with a generator of their own, in the order the bench runs them (before the
 * others): each generator's version (bump it when the generator's output changes, so that the
 * files cached in bench/out/ are made again; the last five were made from their schema before:
 * version 1) and its `(expected lines, span) => (i) => event i`.
 */
const GENERATORS = {
  http_requests: { version: 1, events: (expected, span) => httpRequests('unixnano', expected, span) },
  http_requests_rfc3339: { version: 1, events: (expected, span) => httpRequests('rfc3339', expected, span) },
  firewall_events: { version: 1, events: firewallEvents },
  audit_logs: { version: 1, events: auditLogs },
  dns_logs: { version: 2, events: dnsLogs },
  gateway_dns: { version: 2, events: gatewayDns },
  gateway_http: { version: 2, events: gatewayHttp },
  zero_trust_network_sessions: { version: 2, events: zeroTrustNetworkSessions },
  workers_trace_events: { version: 2, events: workersTraceEvents },
}

/** The datasets with a generator of their own, each with its generator's version. */
export const TUNED = Object.fromEntries(Object.entries(GENERATORS).map(([dataset, { version }]) => [dataset, version]))

const { manifest } = await buildManifestFiles()

/** Bench dataset -> the Logpush dataset whose schema parses it. */
export const SCHEMA_OF = { ...Object.fromEntries(Object.keys(manifest.datasets).map((d) => [d, d])), http_requests_rfc3339: 'http_requests' }

/** Every bench dataset: the tuned ones, then the rest of the manifest. */
export const DATASETS = [...Object.keys(TUNED).filter((d) => SCHEMA_OF[d] in manifest.datasets), ...Object.keys(manifest.datasets).filter((d) => !(d in TUNED))]

/**
 * What a bench run measures unless told (`--datasets=all` for every one): every dataset with a
 * generator of its own, and Panther's fourth log type, spectrum_events (made from its schema).
 */
export const BENCHED = [...Object.keys(TUNED), 'spectrum_events'].filter((d) => SCHEMA_OF[d] in manifest.datasets)

function pools(t) {
  const zones = [
    'example.com',
    'shop-example.net',
    'api-example.io',
    'media-example.org',
    'example.co.uk',
    'blog-example.dev',
    'status-example.com',
    'cdn-example.net',
  ]
  const sub = ['www', 'api', 'static', 'img', 'shop', 'auth', 'm', 'assets', 'app', 'docs']
  const hosts = []
  for (const z of zones) for (const s of sub) hosts.push({ host: `${s}.${z}`, zone: z, zoneId: 100000000 + zones.indexOf(z) * 7919 })
  for (const z of zones) hosts.push({ host: z, zone: z, zoneId: 100000000 + zones.indexOf(z) * 7919 })
  const clientIps = []
  for (let i = 0; i < 5000; i++) clientIps.push(t.chance(0.22) ? ipv6(t) : ipv4(t))
  const originIps = []
  for (let i = 0; i < 40; i++) originIps.push(t.chance(0.15) ? ipv6(t) : ipv4(t))
  const edgeIps = []
  for (let i = 0; i < 200; i++)
    edgeIps.push(
      t.chance(0.3)
        ? `2a06:98c0:3600::${t.hex(3).replace(/^0+(?=.)/, '')}`
        : `${t.pick(['172.70', '162.158', '172.71', '104.23'])}.${t.int(0, 255)}.${t.int(1, 254)}`,
    )
  const userAgents = [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'curl/8.5.0',
    'python-requests/2.32.3',
    'okhttp/4.12.0',
    'Go-http-client/2.0',
    'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
    'Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)',
    'ExampleApp/5.31.0 (iPhone; iOS 18.1; Scale/3.00)',
    '',
  ]
  const ja3 = []
  for (let i = 0; i < 60; i++) ja3.push(t.hex(32))
  const ruleIds = []
  for (let i = 0; i < 30; i++) ruleIds.push(t.hex(32))
  return { hosts, clientIps, originIps, edgeIps, userAgents, ja3, ruleIds }
}

const CONTENT = [
  [30, 'text/html'],
  [25, 'application/json'],
  [12, 'image/webp'],
  [10, 'application/javascript'],
  [7, 'text/css'],
  [6, 'image/png'],
  [4, 'image/jpeg'],
  [3, 'font/woff2'],
  [3, 'text/plain'],
]
const CACHE = [
  [45, 'hit'],
  [20, 'miss'],
  [25, 'dynamic'],
  [4, 'expired'],
  [3, 'revalidated'],
  [2, 'bypass'],
  [1, 'unknown'],
]
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function httpDate(secs) {
  const d = new Date(secs * 1000)
  const p2 = (n) => String(n).padStart(2, '0')
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`
}

// ---------------------------------------------------------------------------------------------
// Datasets

function httpRequests(format, expected, span) {
  const t = tools(1)
  const p = pools(t)
  const host = t.zipf(p.hosts)
  const clientIp = t.zipf(p.clientIps)
  const country = t.weighted(COUNTRIES)
  const status = t.weighted(STATUS)
  const method = t.weighted(METHODS)
  const content = t.weighted(CONTENT)
  const cache = t.weighted(CACHE)
  const bodyBytes = t.logNormal(9000, 1.6)
  const reqBytes = t.logNormal(1400, 0.5)
  const ttfb = t.logNormal(40, 1.1)
  const botSrc = t.weighted([
    [60, 'Machine Learning'],
    [20, 'Heuristics'],
    [5, 'Verified Bot'],
    [10, 'Not Computed'],
    [5, 'JS Fingerprinting'],
  ])
  const protocol = t.weighted([
    [55, 'HTTP/2'],
    [30, 'HTTP/1.1'],
    [15, 'HTTP/3'],
  ])
  const device = t.weighted([
    [55, 'desktop'],
    [40, 'mobile'],
    [5, 'tablet'],
  ])
  return (i) => {
    const start = BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(t.int(0, 999_999))
    const edgeMs = ttfb()
    const end = start + BigInt(edgeMs) * 1_000_000n + BigInt(t.int(0, 999_999))
    const h = host()
    const st = status()
    const ct = content()
    const cs = cache()
    const fromOrigin = cs !== 'hit'
    const body = st === 304 || st === 204 ? 0 : bodyBytes()
    const [colo, coloId] = t.pick(COLOS)
    const pth = path(t)
    const firewalled = t.chance(0.05)
    const ray = t.hex(16)
    const worker = t.chance(0.1)
    const textual = ct.startsWith('text') || ct.includes('json') || ct.includes('javascript')
    return sortedKeys({
      BotScore: t.chance(0.8) ? t.int(30, 99) : t.int(1, 29),
      BotScoreSrc: botSrc(),
      BotTags: t.chance(0.9) ? [] : [t.pick(['bing', 'googlebot', 'api', 'crawler'])],
      CacheCacheStatus: cs,
      CacheResponseBytes: body + t.int(300, 900),
      CacheResponseStatus: st,
      CacheTieredFill: t.chance(0.08),
      ClientASN: t.pick(ASNS),
      ClientCountry: country(),
      ClientDeviceType: device(),
      ClientIP: clientIp(),
      ClientIPClass: t.chance(0.85) ? 'noRecord' : t.pick(['searchEngine', 'monitoringService', 'clean', 'badHost', 'tor']),
      ClientMTLSAuthCertFingerprint: '',
      ClientMTLSAuthStatus: 'unknown',
      ClientRequestBytes: reqBytes(),
      ClientRequestHost: h.host,
      ClientRequestMethod: method(),
      ClientRequestPath: pth,
      ClientRequestProtocol: protocol(),
      ClientRequestReferer: t.chance(0.4) ? '' : `https://${t.pick(p.hosts).host}${path(t)}${query(t)}`,
      ClientRequestScheme: t.chance(0.97) ? 'https' : 'http',
      ClientRequestSource: t.chance(0.95) ? 'eyeball' : t.pick(['edgeWorkerFetch', 'edgeWorkerCacheAPI']),
      ClientRequestURI: pth + query(t),
      ClientRequestUserAgent: t.pick(p.userAgents),
      ClientSSLCipher: t.pick(['AEAD-AES128-GCM-SHA256', 'AEAD-AES256-GCM-SHA384', 'AEAD-CHACHA20-POLY1305-SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256']),
      ClientSSLProtocol: t.chance(0.8) ? 'TLSv1.3' : 'TLSv1.2',
      ClientSrcPort: t.int(1024, 65535),
      ClientTCPRTTMs: t.int(1, 250),
      ClientXRequestedWith: t.chance(0.95) ? '' : 'XMLHttpRequest',
      EdgeCFConnectingO2O: false,
      EdgeColoCode: colo,
      EdgeColoID: coloId,
      EdgeEndTimestamp: timestamp(end, format),
      EdgePathingOp: t.chance(0.95) ? 'wl' : 'ban',
      EdgePathingSrc: t.chance(0.95) ? 'macro' : 'filterBasedFirewall',
      EdgePathingStatus: t.chance(0.9) ? 'nr' : t.pick(['dnsErr', 'captchaNew', 'unknown']),
      EdgeRateLimitAction: '',
      EdgeRateLimitID: 0,
      EdgeRequestHost: h.host,
      EdgeResponseBodyBytes: body,
      EdgeResponseBytes: body + t.int(300, 900),
      EdgeResponseCompressionRatio: textual ? Math.round((1 + t.r() * 3.5) * 100) / 100 : 0,
      EdgeResponseContentType: ct,
      EdgeResponseStatus: st,
      EdgeServerIP: t.pick(p.edgeIps),
      EdgeStartTimestamp: timestamp(start, format),
      EdgeTimeToFirstByteMs: edgeMs,
      FirewallMatchesActions: firewalled ? [t.pick(['log', 'block', 'challenge', 'skip'])] : [],
      FirewallMatchesRuleIDs: firewalled ? [t.pick(p.ruleIds)] : [],
      FirewallMatchesSources: firewalled ? [t.pick(['firewallManaged', 'firewallCustom', 'rateLimit'])] : [],
      JA3Hash: t.pick(p.ja3),
      OriginDNSResponseTimeMs: fromOrigin ? t.int(0, 30) : 0,
      OriginIP: fromOrigin ? t.pick(p.originIps) : '',
      OriginRequestHeaderSendDurationMs: fromOrigin ? t.int(0, 3) : 0,
      OriginResponseBytes: fromOrigin ? body + t.int(200, 600) : 0,
      OriginResponseDurationMs: fromOrigin ? edgeMs - t.int(0, Math.max(0, edgeMs - 1)) : 0,
      OriginResponseHTTPExpires: fromOrigin && t.chance(0.3) ? httpDate(1795600800 + t.int(0, 86400)) : '',
      OriginResponseHTTPLastModified: fromOrigin && t.chance(0.4) ? httpDate(1795600800 - t.int(0, 86400 * 90)) : '',
      OriginResponseStatus: fromOrigin ? st : 0,
      OriginResponseTime: fromOrigin ? edgeMs * 1_000_000 : 0,
      OriginSSLProtocol: fromOrigin ? t.pick(['TLSv1.3', 'TLSv1.2', 'none']) : 'unknown',
      ParentRayID: worker ? t.hex(16) : '00',
      RayID: ray,
      RequestHeaders: t.chance(0.6)
        ? {}
        : { 'accept-language': t.pick(['en-US,en;q=0.9', 'de-DE,de;q=0.9,en;q=0.8', 'fr-FR,fr;q=0.9']), 'x-forwarded-proto': 'https' },
      ResponseHeaders: t.chance(0.7) ? {} : { 'cf-cache-status': cs.toUpperCase(), server: 'cloudflare' },
      SecurityLevel: t.pick(['med', 'med', 'off', 'high']),
      SmartRouteColoID: 0,
      UpperTierColoID: t.chance(0.3) ? t.pick(COLOS)[1] : 0,
      WAFAction: 'unknown',
      WAFFlags: '0',
      WAFMatchedVar: '',
      WAFProfile: 'unknown',
      WAFRuleID: '',
      WAFRuleMessage: '',
      WorkerCPUTime: worker ? t.int(200, 50000) : 0,
      WorkerStatus: worker ? 'ok' : 'unknown',
      WorkerSubrequest: worker && t.chance(0.5),
      WorkerSubrequestCount: worker ? t.int(0, 6) : 0,
      ZoneID: h.zoneId,
      ZoneName: h.zone,
      // Fields Cloudflare added after the schema was written: kept, not dropped.
      BotDetectionIDs: t.chance(0.9) ? [] : [t.int(1, 200000000)],
      ClientCity: t.pick(['frankfurt', 'london', 'ashburn', 'tokyo', 'singapore', 'paris', 'sao paulo', 'mumbai']),
      ClientRegionCode: t.pick(['HE', 'ENG', 'VA', '13', '01', 'IDF', 'SP', 'MH']),
      ContentScanObjResults: [],
      Cookies: {},
      JSDetectionPassed: t.pick(['passed', 'failed', 'missing']),
      LeakedCredentialCheckResult: 'none',
      OriginResponseHeaderReceiveDurationMs: fromOrigin ? t.int(1, 400) : 0,
      OriginTCPHandshakeDurationMs: fromOrigin ? t.int(0, 30) : 0,
      OriginTLSHandshakeDurationMs: fromOrigin ? t.int(0, 60) : 0,
      SecurityAction: firewalled ? 'log' : 'unknown',
      SecurityRuleID: firewalled ? t.pick(p.ruleIds) : '',
    })
  }
}

function firewallEvents(expected, span) {
  const t = tools(2)
  const p = pools(t)
  const host = t.zipf(p.hosts)
  const clientIp = t.zipf(p.clientIps)
  const country = t.weighted(COUNTRIES)
  const action = t.weighted([
    [40, 'block'],
    [25, 'managed_challenge'],
    [15, 'log'],
    [10, 'skip'],
    [6, 'jschallenge'],
    [4, 'challenge'],
  ])
  const source = t.weighted([
    [40, 'firewallManaged'],
    [30, 'firewallCustom'],
    [15, 'rateLimit'],
    [10, 'botFight'],
    [5, 'securityLevel'],
  ])
  return (i) => {
    const ns = BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(t.int(0, 999_999))
    const h = host()
    const ref = t.pick(p.hosts)
    const pth = path(t)
    const act = action()
    return sortedKeys({
      Action: act,
      ClientASN: t.pick(ASNS),
      ClientASNDescription: t.pick(['CLOUDFLARENET', 'GOOGLE', 'COMCAST-7922', 'DTAG', 'AMAZON-02', 'MICROSOFT-CORP', 'CHINANET-BACKBONE']),
      ClientCountry: country(),
      ClientIP: clientIp(),
      ClientIPClass: t.chance(0.8) ? 'noRecord' : t.pick(['searchEngine', 'badHost', 'tor', 'scan']),
      ClientRefererHost: t.chance(0.5) ? '' : ref.host,
      ClientRefererPath: t.chance(0.5) ? '' : path(t),
      ClientRefererQuery: query(t),
      ClientRefererScheme: t.chance(0.5) ? '' : 'https',
      ClientRequestHost: h.host,
      ClientRequestMethod: t.chance(0.8) ? 'GET' : 'POST',
      ClientRequestPath: pth,
      ClientRequestProtocol: t.pick(['HTTP/1.1', 'HTTP/2', 'HTTP/3']),
      ClientRequestQuery: query(t),
      ClientRequestScheme: 'https',
      ClientRequestUserAgent: t.pick(p.userAgents),
      Datetime: timestamp(ns, 'unixnano'),
      Description: t.pick(['Block bad bots', 'Rate limit /login', 'SQLi - Body', 'Challenge non-EU', 'Log API access']),
      EdgeColoCode: t.pick(COLOS)[0],
      EdgeResponseStatus: act === 'log' || act === 'skip' ? 200 : 403,
      Kind: 'firewall',
      MatchIndex: t.int(0, 3),
      Metadata: t.chance(0.5) ? {} : { filter: t.hex(32), type: 'customer', ...(t.chance(0.3) ? { ruleset_version: String(t.int(1, 90)) } : {}) },
      OriginResponseStatus: act === 'log' || act === 'skip' ? 200 : 0,
      OriginatorRayID: t.chance(0.9) ? '00' : t.hex(16),
      RayID: t.hex(16),
      Ref: t.chance(0.7) ? '' : t.hex(8),
      RuleID: t.pick(p.ruleIds),
      Source: source(),
    })
  }
}

function auditLogs(expected, span) {
  const t = tools(3)
  const actors = []
  for (let i = 0; i < 40; i++)
    actors.push({
      id: t.hex(32),
      email: `${t.pick(['alice', 'bob', 'carol', 'dave', 'erin', 'ops', 'sre', 'ci-bot'])}${i}@example.com`,
      ip: t.chance(0.25) ? ipv6(t) : ipv4(t),
    })
  const owners = []
  for (let i = 0; i < 5; i++) owners.push(t.hex(32))
  const action = t.weighted([
    [30, 'update'],
    [20, 'create'],
    [10, 'delete'],
    [20, 'login'],
    [10, 'token_create'],
    [10, 'purge'],
  ])
  const record = (type = t.pick(['A', 'AAAA', 'CNAME', 'TXT', 'MX'])) => ({
    id: t.hex(32),
    type,
    name: `${t.pick(['www', 'api', 'mail', '_dmarc'])}.example.com`,
    content:
      type === 'A'
        ? ipv4(t)
        : type === 'AAAA'
          ? ipv6(t)
          : type === 'TXT'
            ? 'v=spf1 include:_spf.example.com ~all'
            : `${t.pick(['mx1', 'lb', 'origin'])}.example.net`,
    proxiable: true,
    proxied: t.chance(0.7),
    ttl: t.pick([1, 300, 3600]),
    locked: false,
    meta: { auto_added: false, managed_by_apps: false, managed_by_argo_tunnel: false, source: 'primary' },
    comment: null,
    tags: t.chance(0.5) ? [] : ['env:prod', `team:${t.pick(['web', 'api', 'infra'])}`],
  })
  return (i) => {
    const ns = BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(t.int(0, 999_999))
    const a = t.pick(actors)
    const act = action()
    const resourceType = act === 'login' ? 'account' : t.pick(['dns.record', 'zone.settings', 'firewall.rule', 'account.member', 'worker.script'])
    const before = act === 'create' ? {} : record()
    const after = act === 'delete' ? {} : { ...record(), id: before.id ?? t.hex(32) }
    return sortedKeys({
      ActionResult: t.chance(0.97),
      ActionType: act,
      ActorEmail: a.email,
      ActorID: a.id,
      ActorIP: a.ip,
      ActorType: t.chance(0.9) ? 'user' : t.pick(['admin', 'Cloudflare']),
      ID: `${t.hex(8)}-${t.hex(4)}-4${t.hex(3)}-a${t.hex(3)}-${t.hex(12)}`,
      Interface: t.pick(['UI', 'API', 'API', 'Terraform']),
      Metadata: {
        zone_name: t.pick(['example.com', 'shop-example.net']),
        zone_id: t.hex(32),
        ...(t.chance(0.5) ? { token_name: 'ci', token_tag: t.hex(32) } : { request_id: t.hex(16), path: `/client/v4/zones/${t.hex(32)}/dns_records` }),
      },
      NewValue: act === 'login' ? null : after,
      OldValue: act === 'login' ? null : before,
      OwnerID: t.pick(owners),
      ResourceID: t.hex(32),
      ResourceType: resourceType,
      When: timestamp(ns, 'unixnano'),
    })
  }
}

// ---------------------------------------------------------------------------------------------
// DNS, Zero Trust and Workers datasets

/** A zone's authoritative DNS queries, as recursive resolvers ask them (one zone a job, as Logpush sends it). */
function dnsLogs(expected, span) {
  const t = tools(4)
  const zone = 'example.com'
  const names = ['', 'www', 'api', 'mail', 'cdn', 'static', 'shop', 'm', 'autodiscover', '_dmarc', 'selector1._domainkey', 'status', 'vpn', 'blog']
  const name = t.zipf(names)
  // Recursive resolvers, not end users, ask an authoritative server: a few big ones ask most.
  const resolvers = []
  for (let i = 0; i < 800; i++) {
    const kind = t.r()
    resolvers.push(
      kind < 0.3
        ? {
            ip: t.chance(0.3) ? `2404:6800:4003:c0${t.int(0, 4)}::${t.hex(3).replace(/^0+(?=.)/, '')}` : `172.253.${t.int(0, 255)}.${t.int(1, 254)}`,
            ecs: true,
          }
        : kind < 0.45
          ? {
              ip: t.chance(0.3) ? `2400:cb00:${t.int(16, 600)}:1024::${t.hex(4).replace(/^0+(?=.)/, '')}` : `162.158.${t.int(0, 255)}.${t.int(1, 254)}`,
              ecs: false,
            }
          : { ip: t.chance(0.2) ? ipv6(t) : ipv4(t), ecs: t.chance(0.1) },
    )
  }
  const resolver = t.zipf(resolvers)
  const qtype = t.weighted(QUERY_TYPES)
  const coloCode = t.weighted(COLOS.map(([c], i) => [12 - i, c]))
  return (i) => {
    const ns = BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(t.int(0, 999_999))
    const r = resolver()
    const probe = t.chance(0.06)
    const sub = probe ? t.hex(t.int(6, 12)) : name()
    const v6 = r.ip.includes(':')
    return sortedKeys({
      ColoCode: coloCode(),
      // The client's network as the resolver forwards it (ECS): a /24 or a /56, when it sends one.
      EDNSSubnet: r.ecs
        ? v6
          ? `${t.pick(['2a02:810d', '2600:1700', '2406:da14'])}:${t.hex(4).replace(/^0+(?=.)/, '')}::`
          : ipv4(t).replace(/\.\d+$/, '.0')
        : '',
      EDNSSubnetLength: r.ecs ? (v6 ? 56 : 24) : 0,
      QueryName: sub ? `${sub}.${zone}` : zone,
      QueryType: qtype()[0],
      ResponseCached: t.chance(0.7),
      ResponseCode: probe ? 3 : t.chance(0.985) ? 0 : t.pick([2, 5]),
      SourceIP: r.ip,
      Timestamp: timestamp(ns, 'unixnano'),
    })
  }
}

/** Console lines a Worker writes, with the level it writes them at. */
const WORKER_LOGS = [
  [40, ['log', (t) => [`${t.pick(['GET', 'GET', 'POST'])} /${t.pick(WORDS)}/${t.int(1, 99999)} ${t.pick([200, 200, 201, 304, 404])} ${t.int(1, 400)}ms`]]],
  [20, ['info', (t) => [`cache ${t.pick(['hit', 'miss'])} for key ${t.pick(['user', 'session', 'cart', 'price'])}:${t.int(1, 999999)}`]]],
  [15, ['log', (t) => ['request', JSON.stringify({ colo: t.pick(COLOS)[0], country: t.pick(COUNTRIES)[1].toUpperCase(), asn: t.pick(ASNS) })]]],
  [10, ['debug', (t) => [`kv get ${t.pick(['config', 'flags', 'routes'])} took ${t.int(1, 60)}ms`]]],
  [10, ['warn', (t) => [`upstream slow: ${t.int(800, 5000)}ms from ${t.pick(['origin', 'api', 'd1'])}`]]],
  [5, ['error', (t) => [`fetch failed: ${t.pick(['Network connection lost.', 'The operation was aborted', 'Too many subrequests.'])}`]]],
]
const WORKER_EXCEPTIONS = [
  ['TypeError', "Cannot read properties of undefined (reading 'id')"],
  ['Error', 'D1_ERROR: no such table: sessions'],
  ['SyntaxError', 'Unexpected token < in JSON at position 0'],
  ['RangeError', 'Maximum call stack size exceeded'],
]

/** A Cloudflare account's Worker invocations: mostly fetches, some queue batches, alarms and cron runs. */
function workersTraceEvents(expected, span) {
  const t = tools(8)
  const version = () => ({
    ID: uuid(t),
    Message: t.chance(0.3) ? `Deploy ${t.hex(7)}` : '',
    Tag: t.chance(0.2) ? `v${t.int(1, 4)}.${t.int(0, 20)}.${t.int(0, 9)}` : '',
  })
  const script = (name, type, extra = {}) => ({ name, type, tags: [], namespace: '', entrypoint: '', version: version(), ...extra })
  const scripts = t.weighted([
    [45, script('api-gateway', 'fetch', { tags: ['production', 'api'], host: 'api.example.com' })],
    [20, script('image-resizer', 'fetch', { host: 'img.example.com' })],
    [12, script('auth-edge', 'fetch', { tags: ['production'], host: 'www.example.com' })],
    [8, script('customer-7f3a', 'fetch', { namespace: 'customer-workers', host: 'shop-7f3a.example-platform.com' })],
    [6, script('og-image', 'fetch', { host: 'og-image.example.workers.dev' })],
    [5, script('orders-consumer', 'queue', { tags: ['production'] })],
    [3, script('chat-rooms', 'alarm', { entrypoint: 'ChatRoom' })],
    [1, script('nightly-cleanup', 'scheduled')],
  ])
  const log = t.weighted(WORKER_LOGS)
  const outcome = t.weighted([
    [97, 'ok'],
    [2, 'exception'],
    [0.7, 'canceled'],
    [0.3, 'exceededCpu'],
  ])
  const status = t.weighted(STATUS)
  const method = t.weighted(METHODS)
  const cpuMs = t.logNormal(2, 1)
  const wallMs = t.logNormal(30, 1.3)
  return (i) => {
    const ns = BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(t.int(0, 999_999))
    const ms = Number(ns / 1_000_000n)
    const s = scripts()
    const out = outcome()
    const wall = wallMs()
    const at = () => ms + t.int(0, wall)
    const event =
      s.type === 'fetch'
        ? {
            RayID: t.hex(16),
            Request: { URL: `https://${s.host}${path(t)}${query(t)}`, Method: method() },
            Response: { Status: out === 'ok' ? status() : 500 },
          }
        : s.type === 'queue'
          ? { BatchSize: t.int(1, 100), Queue: 'orders' }
          : s.type === 'alarm'
            ? { ScheduledTime: ms - t.int(0, 50) }
            : { Cron: '0 3 * * *', ScheduledTime: ms - t.int(0, 50) }
    const logs = []
    for (let n = t.chance(0.45) ? 0 : t.int(1, 4); n > 0; n--) {
      const [level, message] = log()
      logs.push({ Level: level, Message: message(t), TimestampMs: at() })
    }
    const exception = out === 'exception' ? t.pick(WORKER_EXCEPTIONS) : null
    return sortedKeys({
      CPUTimeMs: out === 'exceededCpu' ? t.int(30, 50) : cpuMs(),
      DispatchNamespace: s.namespace,
      Entrypoint: s.entrypoint,
      Event: event,
      EventTimestampMs: ms,
      EventType: s.type,
      Exceptions: exception ? [{ Name: exception[0], Message: exception[1], TimestampMs: at() }] : [],
      Logs: logs,
      Outcome: out,
      ScriptName: s.name,
      ScriptTags: s.tags,
      ScriptVersion: s.version,
      WallTimeMs: wall,
    })
  }
}

/** Any other dataset: events from its schema, unixnano, spread over the batch's span like the others. */
function fromSchema(schema, expected, span) {
  const r = prng(seedOf(schema.dataset))
  const make = eventMaker(schema)
  return (i) => ndjsonLine(make(r, BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(r.int(0, 999_999)), 'unixnano'))
}

/** `(i) => line i` of a bench dataset, without its newline. */
function lineMaker(dataset, expectedLines, span) {
  const expected = BigInt(Math.max(1, Math.round(expectedLines)))
  const tuned = Object.hasOwn(GENERATORS, dataset) ? GENERATORS[dataset] : undefined
  if (tuned !== undefined) {
    const make = tuned.events(expected, span)
    return (i) => JSON.stringify(make(i))
  }
  if (!(dataset in manifest.datasets)) throw new Error(`unknown dataset ${dataset}; known: ${DATASETS.join(', ')}`)
  return fromSchema(manifest.datasets[dataset], expected, span)
}

/** The cache name's version: the generator's, and for schema-made data the schema's fields too. */
function versionOf(dataset) {
  if (dataset in TUNED) return `v${TUNED[dataset]}`
  return `v${GENERATOR_VERSION}-${seedOf(JSON.stringify(manifest.datasets[dataset]?.fields ?? null)).toString(16)}`
}

/**
 * The first `count` lines of a bench dataset's batch of that many lines, in memory, without their
 * newlines: what `ensureDataset(dataset, String(count))` writes, for tests.
 * @example const lines = sampleLines('gateway_dns', 300)
 */
export function sampleLines(dataset, count) {
  const make = lineMaker(dataset, count, BATCH_SPAN_NS)
  return Array.from({ length: count }, (_, i) => make(i))
}

// ---------------------------------------------------------------------------------------------
// Files

/** `100000` lines, or `100MB` / `1GB` uncompressed bytes (decimal). */
export function parseSize(size) {
  const m = /^(\d+)(MB|GB)?$/i.exec(String(size))
  if (!m) throw new Error(`bad size ${size}: lines (100000) or bytes (100MB, 1GB)`)
  const n = Number(m[1])
  if (!m[2]) return { lines: n, label: labelLines(n) }
  return { bytes: n * (m[2].toUpperCase() === 'GB' ? 1e9 : 1e6), label: `${n}${m[2].toLowerCase()}` }
}

function labelLines(n) {
  return n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n)
}

/**
 * The cached gzip file for a dataset and size, generated on first use. Returns its path and facts.
 * `spanHours` spreads the events over that many hours instead of the usual 4 minutes, so the
 * batch writes that many partitions or one more (`bench/workerd-memory.mjs`: 48). A byte target
 * spreads an estimate of its line count, and may write more lines: its events then run past the
 * span (`1070MB` over 48 hours: 48.05 hours, 50 partitions).
 * @example const { file, lines, bytes } = await ensureDataset('http_requests', '100000')
 */
export async function ensureDataset(dataset, size, log = () => {}, { spanHours } = {}) {
  const want = parseSize(size)
  const span = spanHours === undefined ? BATCH_SPAN_NS : BigInt(spanHours) * 3_600_000_000_000n
  mkdirSync(OUT_DIR, { recursive: true })
  const spanLabel = spanHours === undefined ? '' : `-${spanHours}h`
  const base = join(OUT_DIR, `${dataset}-${want.label}${spanLabel}.${versionOf(dataset)}`)
  const file = `${base}.ndjson.gz`
  const metaFile = `${base}.json`
  if (existsSync(file) && existsSync(metaFile)) return { file, ...JSON.parse(readFileSync(metaFile, 'utf8')) }

  log(`generating ${dataset} ${want.label}${spanLabel} -> ${file}`)
  const started = performance.now()
  const make = lineMaker(dataset, want.lines ?? want.bytes / (APPROX_LINE_BYTES[dataset] ?? 1000), span)
  const gz = createGzip({ level: INPUT_GZIP_LEVEL })
  const tmp = `${file}.tmp`
  const sink = createWriteStream(tmp)
  let compressed = 0
  gz.on('data', (c) => {
    compressed += c.length
  })
  gz.pipe(sink)
  const done = new Promise((resolve, reject) => {
    sink.on('finish', resolve)
    sink.on('error', reject)
    gz.on('error', reject)
  })
  let lines = 0
  let bytes = 0
  let buf = ''
  const flush = async () => {
    const chunk = Buffer.from(buf)
    buf = ''
    bytes += chunk.length
    if (!gz.write(chunk)) await new Promise((resolve) => gz.once('drain', resolve))
  }
  for (;;) {
    if (want.lines !== undefined ? lines >= want.lines : bytes + buf.length >= want.bytes) break
    const line = make(lines)
    // Byte targets are approximate by at most one line (lines are ASCII, so chars = bytes).
    if (want.bytes !== undefined && bytes + buf.length + line.length + 1 > want.bytes) break
    buf += line + '\n'
    lines++
    if (buf.length >= FLUSH_CHARS) await flush()
  }
  if (buf.length) await flush()
  gz.end()
  await done
  renameSync(tmp, file)
  const meta = {
    dataset,
    size: want.label,
    ...(spanHours === undefined ? {} : { spanHours }),
    lines,
    bytes,
    compressedBytes: compressed,
    gzipLevel: INPUT_GZIP_LEVEL,
    generator: TUNED[dataset] ?? GENERATOR_VERSION,
  }
  writeFileSync(metaFile, JSON.stringify(meta))
  log(`  ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB -> ${(compressed / 1e6).toFixed(1)} MB gzip in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return { file, ...meta }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dataset, size] = process.argv.slice(2)
  if (!dataset || !size) {
    console.error(`usage: node bench/generate.mjs <${DATASETS.join('|')}> <lines|100MB|1GB>`)
    process.exit(2)
  }
  const meta = await ensureDataset(dataset, size, (m) => console.error(m))
  console.log(JSON.stringify(meta))
}
