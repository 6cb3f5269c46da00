// The bench's Zero Trust batches (gateway_dns, gateway_http, zero_trust_network_sessions): the
// traffic of one organisation, its users with their WARP devices, its offices, its Gateway
// policies and the destinations its people visit, so that the three datasets show the same
// people, devices and names, as one account's jobs do.

import { BATCH_START_NS, COLOS, METHODS, QUERY_TYPES, WORDS, ipv4, ipv6, query, sortedKeys, timestamp, tools, uuid } from './values.mjs'

/** Gateway's request and session IDs: 32 hex digits with a fixed middle and a small counter at the end. */
function gatewayId(t) {
  return `${t.hex(10)}00007f${t.hex(8)}0000000${t.int(1, 9)}`
}

function reversedName(name) {
  return name.split('.').reverse().join('.')
}

const CONTINENT = { US: 'NA', CA: 'NA', BR: 'SA', DE: 'EU', GB: 'EU', FR: 'EU', NL: 'EU', IE: 'EU', PL: 'EU', SE: 'EU', IN: 'AS', JP: 'AS', SG: 'AS', AU: 'OC' }
/** Where a Zero Trust user sits: country, then the colos that serve it. */
const USER_REGIONS = [
  [40, ['US', ['IAD', 'ORD', 'DFW', 'SJC']]],
  [12, ['DE', ['FRA']]],
  [10, ['GB', ['LHR']]],
  [8, ['FR', ['CDG']]],
  [7, ['IN', ['BOM']]],
  [5, ['NL', ['AMS']]],
  [5, ['JP', ['NRT']]],
  [4, ['CA', ['ORD']]],
  [4, ['SG', ['SIN']]],
  [3, ['BR', ['GRU']]],
  [2, ['AU', ['SIN']]],
]
const FIRST_NAMES = 'alice bob carol dave erin frank grace heidi ivan judy mallory niaj oscar peggy rupert sybil trent victor wendy yusuf'.split(' ')
const LAST_NAMES = 'martin schmidt nguyen okafor kowalski dubois tanaka larsen petrov silva chen garcia ross ito haas moreau patel murphy'.split(' ')
/** A WARP device's platform: how its name is made, and the user agents its browsers send. */
const PLATFORMS = [
  [
    45,
    {
      name: (t, first) => `${first}-MacBook-Pro`,
      agents: [
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
      ],
    },
  ],
  [
    40,
    {
      name: (t) => `${t.pick(['DESKTOP', 'LAPTOP'])}-${t.hex(7).toUpperCase()}`,
      agents: [
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
        'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)',
      ],
    },
  ],
  [
    8,
    {
      name: (t, first) => `${first}s-iPhone`,
      agents: ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'],
    },
  ],
  [
    7,
    {
      name: (t, first) => `${first}-thinkpad-ubuntu`,
      agents: ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0', 'Debian APT-HTTP/1.3 (2.7.14)'],
    },
  ],
]
/** Gateway's content categories, [ID, name]: the names Cloudflare uses, IDs of our own choosing. */
const CAT = {
  search: [145, 'Search Engines'],
  tech: [26, 'Technology'],
  software: [155, 'Software Updates'],
  business: [122, 'Business'],
  email: [92, 'Email'],
  chat: [94, 'Chat'],
  storage: [129, 'File Sharing'],
  content: [89, 'Content Servers'],
  social: [149, 'Social Networks'],
  video: [164, 'Video Streaming'],
  news: [116, 'News & Media'],
  weather: [163, 'Weather'],
  shopping: [141, 'Shopping & Auctions'],
  ai: [184, 'Artificial Intelligence'],
  ads: [66, 'Advertisements'],
  phishing: [69, 'Phishing'],
  malware: [80, 'Malware'],
  botnet: [83, 'Command and Control & Botnet'],
  gambling: [99, 'Gambling'],
}
/** Applications Gateway recognises, [ID, name] (IDs of our own choosing). */
const APP = {
  google: [3, 'Google Workspace'],
  m365: [13, 'Microsoft 365'],
  slack: [27, 'Slack'],
  zoom: [45, 'Zoom'],
  github: [58, 'GitHub'],
  salesforce: [61, 'Salesforce'],
  dropbox: [19, 'Dropbox'],
  atlassian: [71, 'Atlassian'],
  openai: [1204, 'ChatGPT'],
  aws: [30, 'Amazon Web Services'],
}
/** Outbound traffic of a company, most visited first: [name, categories, application, country of its IPs]. */
const DESTINATIONS = [
  ['www.google.com', [CAT.search], null, 'US'],
  ['outlook.office365.com', [CAT.email, CAT.business], APP.m365, 'US'],
  ['teams.microsoft.com', [CAT.chat, CAT.business], APP.m365, 'US'],
  ['edgeapi.slack.com', [CAT.chat, CAT.business], APP.slack, 'US'],
  ['api.github.com', [CAT.tech], APP.github, 'US'],
  ['fonts.gstatic.com', [CAT.content], null, 'US'],
  ['login.microsoftonline.com', [CAT.business], APP.m365, 'IE'],
  ['mail.google.com', [CAT.email], APP.google, 'US'],
  ['docs.google.com', [CAT.business], APP.google, 'US'],
  ['www.youtube.com', [CAT.video], null, 'US'],
  ['i.ytimg.com', [CAT.content], null, 'US'],
  ['graph.microsoft.com', [CAT.business], APP.m365, 'NL'],
  ['github.com', [CAT.tech], APP.github, 'US'],
  ['example.my.salesforce.com', [CAT.business], APP.salesforce, 'US'],
  ['us05web.zoom.us', [CAT.chat], APP.zoom, 'US'],
  ['drive.google.com', [CAT.storage], APP.google, 'US'],
  ['chatgpt.com', [CAT.ai], APP.openai, 'US'],
  ['www.linkedin.com', [CAT.social], null, 'US'],
  ['static.licdn.com', [CAT.content], null, 'US'],
  ['example.atlassian.net', [CAT.business], APP.atlassian, 'DE'],
  ['registry.npmjs.org', [CAT.tech], null, 'US'],
  ['s3.eu-central-1.amazonaws.com', [CAT.storage], APP.aws, 'DE'],
  ['www.dropbox.com', [CAT.storage], APP.dropbox, 'US'],
  ['security.ubuntu.com', [CAT.software], null, 'GB'],
  ['swscan.apple.com', [CAT.software], null, 'US'],
  ['ocsp.digicert.com', [CAT.tech], null, 'US'],
  ['www.bbc.co.uk', [CAT.news], null, 'GB'],
  ['weather.com', [CAT.weather], null, 'US'],
  ['www.amazon.com', [CAT.shopping], null, 'US'],
  ['m.media-amazon.com', [CAT.content], null, 'US'],
  ['securepubads.g.doubleclick.net', [CAT.ads], null, 'US'],
  ['pypi.org', [CAT.tech], null, 'US'],
]
/** Names Gateway's policies block: look-alike, malware and gambling domains. */
const BLOCKED_DESTINATIONS = [
  ['login-micros0ft-verify.com', [CAT.phishing], null, 'RU'],
  ['paypa1-account-secure.net', [CAT.phishing], null, 'NL'],
  ['cdn-update-check.top', [CAT.malware], null, 'BG'],
  ['k7x2m9qh.duckdns.org', [CAT.botnet], null, 'US'],
  ['royal-bet-casino.com', [CAT.gambling], null, 'MT'],
]
/** Where CNAME chains end: the CDN a name is served from. */
const CNAME_TARGETS = [
  (n) => `${n}.cdn.cloudflare.net`,
  (n) => `${n}.edgekey.net`,
  (n, t) => `d${t.hex(13)}.cloudfront.net`,
  (n) => `${n.split('.')[0]}.l.google.com`,
]

const SYLLABLES = 'ka lo mi ra ze tech data cloud shop news nova pix byte grid hub lab fy go vox zen met sol'.split(' ')
const TLDS = ['com', 'com', 'com', 'net', 'io', 'org', 'de', 'co.uk', 'app', 'dev']
const TAIL_CATEGORIES = [CAT.tech, CAT.business, CAT.news, CAT.shopping, CAT.content, CAT.social]

/** The thousands of names nobody visits often: made-up sites with a common category each. */
function longTail(t) {
  return Array.from({ length: 1500 }, () => {
    const site = `${t.pick(SYLLABLES)}${t.pick(SYLLABLES)}${t.chance(0.3) ? `-${t.pick(SYLLABLES)}` : ''}.${t.pick(TLDS)}`
    return [
      `${t.pick(['', '', 'www.', 'api.', 'cdn.', 'static.'])}${site}`,
      [t.pick(TAIL_CATEGORIES)],
      null,
      t.pick(['US', 'US', 'DE', 'NL', 'GB', 'FR', 'JP']),
    ]
  })
}

/** A destination: one of the popular names (a few of them most often), or one of the long tail. */
function destinationPicker(t, org) {
  const popular = t.zipf(org.destinations)
  return () => (t.chance(0.6) ? popular() : t.pick(org.longTail))
}

/** The destinations with their IPs (one to four IPv4, one IPv6) and, for some, the CDN name they alias. */
function destinations(t, list, blocked) {
  return list.map(([name, cats, app, country]) => ({
    name,
    cats,
    app,
    country,
    blocked,
    v4: Array.from({ length: t.int(1, 4) }, () => ipv4(t)),
    v6: [ipv6(t)],
    cname: t.chance(0.35) ? t.pick(CNAME_TARGETS)(name, t) : '',
  }))
}

/**
 * One Zero Trust organisation: its account, users with their WARP devices, offices and policies.
 * Made from its own seed, so that Gateway DNS, Gateway HTTP and the network sessions show the same
 * users, devices and destinations.
 */
function organisation() {
  const t = tools(50)
  const activity = t.logNormal(100, 1)
  const region = t.weighted(USER_REGIONS)
  const platform = t.weighted(PLATFORMS)
  const users = []
  for (let i = 0; i < 400; i++) {
    const first = FIRST_NAMES[i % FIRST_NAMES.length]
    const last = LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length]
    const [country, colos] = region()
    const device = platform()
    users.push({
      email: `${first}.${last}${i >= FIRST_NAMES.length * LAST_NAMES.length ? i : ''}@example.com`,
      userId: uuid(t),
      // WARP device IDs are time-based (version 1) UUIDs.
      deviceId: `${t.hex(8)}-${t.hex(4)}-11ef-${t.pick(['8', '9', 'a', 'b'])}${t.hex(3)}-${t.hex(12)}`,
      deviceName: device.name(t, first),
      agent: t.pick(device.agents),
      registrationId: uuid(t),
      // Some people and devices are far busier than others.
      activity: activity(),
      ip: t.chance(0.2) ? ipv6(t) : ipv4(t),
      country,
      colo: t.pick(colos),
    })
  }
  const offices = ['HQ Berlin', 'Office NYC', 'Office London', 'Branch Singapore', 'GCP default'].map((name) => ({
    name,
    id: uuid(t),
    ip: ipv4(t),
    doh: t.hex(10),
    colo: name.includes('Berlin') ? 'FRA' : name.includes('London') ? 'LHR' : name.includes('Singapore') ? 'SIN' : 'IAD',
    country: name.includes('Berlin') ? 'DE' : name.includes('London') ? 'GB' : name.includes('Singapore') ? 'SG' : 'US',
  }))
  const policy = (name) => ({ id: uuid(t), name })
  return {
    accountId: t.hex(32),
    virtualNetworkId: uuid(t),
    users,
    offices,
    blockPolicy: policy('Block security threats'),
    gamblingPolicy: policy('Block gambling'),
    allowPolicy: policy('Allow corporate SaaS'),
    isolatePolicy: policy('Isolate uncategorized'),
    safeSearchPolicy: policy('Enforce SafeSearch'),
    resolverPolicy: policy('corp.example.internal to on-prem DNS'),
    egressPolicy: policy('Dedicated egress EU'),
    destinations: destinations(t, DESTINATIONS, false),
    longTail: destinations(t, longTail(t), false),
    blocked: destinations(t, BLOCKED_DESTINATIONS, true),
  }
}

const COLO_IDS = Object.fromEntries(COLOS)
const colo = (code) => [code, COLO_IDS[code] ?? 14]

/** A DNS name on the wire: each label after its length, then the root's empty label. */
function nameWire(name) {
  const labels = name.split('.').filter(Boolean)
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])])
}

/** A resource record as DNS writes it on the wire (owner name, type, class IN, TTL, rdata), base64. */
function wireRecord(name, type, ttl, rdata) {
  const owner = nameWire(name)
  const fixed = Buffer.alloc(10)
  fixed.writeUInt16BE(type, 0)
  fixed.writeUInt16BE(1, 2)
  fixed.writeUInt32BE(ttl, 4)
  fixed.writeUInt16BE(rdata.length, 8)
  return Buffer.concat([owner, fixed, rdata]).toString('base64')
}

/** An address as rdata: 4 bytes, or 16 for IPv6 (`::` expanded). */
function ipBytes(ip) {
  if (!ip.includes(':')) return Buffer.from(ip.split('.').map(Number))
  const [head, tail = ''] = ip.split('::')
  const words = (s) => (s ? s.split(':').map((w) => Number.parseInt(w, 16)) : [])
  const h = words(head)
  const tl = words(tail)
  const all = [...h, ...Array(8 - h.length - tl.length).fill(0), ...tl]
  const out = Buffer.alloc(16)
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2))
  return out
}

/** `(i) => event i` of a gateway_dns batch of `expected` events over `span` ns: DNS queries to Gateway's resolver. */
export function gatewayDns(expected, span) {
  const t = tools(5)
  const org = organisation()
  const user = t.weighted(org.users.map((u) => [u.activity, u]))
  const dest = destinationPicker(t, org)
  const qtype = t.weighted(QUERY_TYPES)
  const responseMs = t.logNormal(14, 0.9)
  return (i) => {
    const ns = BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(t.int(0, 999_999))
    const warp = t.chance(0.8)
    const u = warp ? user() : null
    const office = warp && t.chance(0.7) ? null : t.pick(org.offices)
    const protocol = warp ? 'https' : t.pick(['udp', 'udp', 'udp', 'tcp', 'https', 'tls'])
    const kind = t.r()
    const internal = kind < 0.04
    const d = kind > 0.985 ? t.pick(org.blocked) : dest()
    const [type, typeName] = internal ? [1, 'A'] : qtype()
    const queryName = internal
      ? `${t.pick(['jira', 'git', 'wiki', 'vault', 'build'])}.corp.example.internal`
      : type === 12
        ? `${t.int(1, 254)}.${t.int(0, 255)}.168.192.in-addr.arpa`
        : d.name
    const blocked = d.blocked
    const safeSearch = !blocked && d.name === 'www.google.com' && t.chance(0.1)
    const cached = !internal && t.chance(0.55)
    const nx = !blocked && !internal && t.chance(0.03)
    const allowed = !blocked && !safeSearch && !internal && d.app !== null && t.chance(0.3)
    const policy = blocked
      ? d.cats[0] === CAT.gambling
        ? org.gamblingPolicy
        : org.blockPolicy
      : safeSearch
        ? org.safeSearchPolicy
        : allowed
          ? org.allowPolicy
          : null
    // Gateway names a time zone when the policy that matched runs on a schedule.
    const scheduled = policy !== null && t.chance(0.2)
    // The answer: addresses for A and AAAA (0.0.0.0 or :: when blocked), behind a CNAME for some names.
    const ttl = t.pick([30, 60, 300, 300, 3600])
    const records = []
    const ips = []
    if (!nx && (type === 1 || type === 28)) {
      if (d.cname && !blocked && !internal)
        records.push({ name: queryName, type: 5, typeName: 'CNAME', ttl: 300, data: nameWire(d.cname), text: `${d.cname}.` })
      const owner = d.cname && !blocked && !internal ? d.cname : queryName
      const answers = blocked ? [type === 1 ? '0.0.0.0' : '::'] : internal ? [`10.20.${t.int(0, 15)}.${t.int(2, 250)}`] : type === 1 ? d.v4 : d.v6
      for (const ip of answers) {
        ips.push(ip)
        records.push({ name: owner, type, typeName, ttl, data: ipBytes(ip), text: ip })
      }
    } else if (!nx && type === 65) {
      records.push({ name: queryName, type, typeName, ttl, data: Buffer.from('0001000001000c02683208687474702f312e31', 'hex'), text: '1 . alpn="h2,http/1.1"' })
    }
    const rr = records.map((x) => ({ type: String(x.type), data: wireRecord(x.name, x.type, x.ttl, x.data) }))
    const ipCountries = ips.map(() => (blocked || internal ? '' : d.country))
    const cnameCats = d.cname && !blocked && !internal ? [CAT.content] : []
    const ipCats = ips.length && !blocked && !internal && t.chance(0.3) ? [CAT.content] : []
    const initialCats = internal || type === 12 ? [] : d.cats
    const queryCats = [...new Map([...initialCats, ...ipCats, ...cnameCats].map((c) => [c[0], c])).values()]
    const app = internal || type === 12 ? null : d.app
    // From an office, queries leave through its address; elsewhere, through the device's.
    const src = office ?? u
    const [coloCode, coloId] = colo(office?.colo ?? u.colo)
    return sortedKeys({
      AccountID: org.accountId,
      ApplicationID: app ? app[0] : 0,
      ApplicationName: app ? app[1] : '',
      AppliedMaxTTL: 0,
      AuthoritativeNameServerIPs: cached || internal || nx ? [] : [ipv4(t), ipv4(t)],
      CNAMECategoryIDs: cnameCats.map((c) => c[0]),
      CNAMECategoryNames: cnameCats.map((c) => c[1]),
      CNAMEs: records.filter((x) => x.type === 5).map((x) => x.text.slice(0, -1)),
      CNAMEsReversed: records.filter((x) => x.type === 5).map((x) => reversedName(x.text.slice(0, -1))),
      ColoCode: coloCode,
      ColoID: coloId,
      CustomResolveDurationMs: internal ? t.int(1, 40) : 0,
      CustomResolverAddress: internal ? '10.20.0.53:53' : '',
      CustomResolverPolicyID: internal ? org.resolverPolicy.id : '',
      CustomResolverPolicyName: internal ? org.resolverPolicy.name : '',
      CustomResolverResponse: internal ? 'success' : '',
      Datetime: timestamp(ns, 'unixnano'),
      DeviceID: u?.deviceId ?? '',
      DeviceName: u?.deviceName ?? '',
      DoHSubdomain: protocol === 'https' && office ? office.doh : '',
      DoTSubdomain: protocol === 'tls' ? office.doh : '',
      DstIP: protocol === 'https' && warp ? t.pick(['162.159.36.1', '162.159.46.1']) : t.pick(['172.64.36.1', '172.64.36.2']),
      DstPort: protocol === 'https' ? 443 : protocol === 'tls' ? 853 : 53,
      EDEErrors: blocked ? [15] : nx && t.chance(0.2) ? [22] : [],
      Email: u?.email ?? '',
      InitialCategoryIDs: initialCats.map((c) => c[0]),
      InitialCategoryNames: initialCats.map((c) => c[1]),
      InitialResolvedIPs: [],
      InternalDNSDurationMs: 0,
      InternalDNSFallbackStrategy: '',
      InternalDNSRCode: 0,
      InternalDNSViewID: '',
      InternalDNSZoneID: '',
      IsResponseCached: cached,
      Location: office?.name ?? '',
      LocationID: office?.id ?? '',
      MatchedCategoryIDs: blocked ? d.cats.map((c) => c[0]) : [],
      MatchedCategoryNames: blocked ? d.cats.map((c) => c[1]) : [],
      MatchedIndicatorFeedIDs: [],
      MatchedIndicatorFeedNames: [],
      Policy: policy?.name ?? '',
      PolicyID: policy?.id ?? '',
      PolicyName: policy?.name ?? '',
      Protocol: protocol,
      QueryApplicationIDs: app ? [app[0]] : [],
      QueryApplicationNames: app ? [app[1]] : [],
      QueryCategoryIDs: queryCats.map((c) => c[0]),
      QueryCategoryNames: queryCats.map((c) => c[1]),
      QueryID: uuid(t),
      QueryIndicatorFeedIDs: [],
      QueryIndicatorFeedNames: [],
      QueryName: queryName,
      QueryNameReversed: reversedName(queryName),
      // The question on the wire: header, name, type and class, and an EDNS record from most clients.
      QuerySize: queryName.length + 18 + (t.chance(0.8) ? 11 : 0),
      QueryType: type,
      QueryTypeName: typeName,
      RCode: nx ? 3 : 0,
      RData: rr,
      RedirectTargetURI: '',
      RegistrationID: u?.registrationId ?? '',
      RequestContextCategoryIDs: [],
      RequestContextCategoryNames: [],
      ResolvedIPCategoryIDs: ipCats.map((c) => c[0]),
      ResolvedIPCategoryNames: ipCats.map((c) => c[1]),
      ResolvedIPContinentCodes: ipCountries.map((c) => CONTINENT[c] ?? ''),
      ResolvedIPCountryCodes: ipCountries,
      ResolvedIPs: ips,
      ResolverDecision: blocked
        ? 'blockedByCategory'
        : safeSearch
          ? 'overrideForSafeSearch'
          : internal
            ? 'resolvedByCustomResolver'
            : allowed
              ? 'allowedByQueryName'
              : 'allowedOnNoPolicyMatch',
      ResolverPolicyID: internal ? org.resolverPolicy.id : '',
      ResolverPolicyName: internal ? org.resolverPolicy.name : '',
      ResourceRecords: rr,
      ResourceRecordsJSON: JSON.stringify(records.map((x) => ({ name: x.name, type: x.typeName, class: 'IN', ttl: x.ttl, rdata: x.text }))),
      ResponseTimeMs: cached || blocked ? t.int(0, 2) : responseMs(),
      SrcIP: src.ip,
      SrcIPContinentCode: CONTINENT[src.country] ?? '',
      SrcIPCountryCode: src.country,
      SrcPort: protocol === 'https' ? 0 : t.int(1024, 65535),
      TenantID: '',
      TimeZone: scheduled ? 'UTC' : '',
      TimeZoneInferredMethod: scheduled ? 'fromLocalTime' : '',
      UpstreamRecordTTLs: cached || blocked ? [] : records.map((x) => x.ttl),
      UserID: u?.userId ?? '',
    })
  }
}

/** `(i) => event i` of a gateway_http batch: the organisation's web requests through Gateway's proxy. */
export function gatewayHttp(expected, span) {
  const t = tools(6)
  const org = organisation()
  const user = t.weighted(org.users.map((u) => [u.activity, u]))
  const dest = destinationPicker(t, org)
  const status = t.weighted([
    [70, 200],
    [8, 204],
    [7, 304],
    [5, 302],
    [3, 404],
    [2, 401],
    [2, 403],
    [1, 206],
    [1, 500],
    [0.5, 502],
    [0.5, 0],
  ])
  const method = t.weighted(METHODS)
  const version = t.weighted([
    [60, 'HTTP/2'],
    [28, 'HTTP/1.1'],
    [12, 'HTTP/3'],
  ])
  const appStatus = t.weighted([
    [70, 'approved'],
    [25, 'unreviewed'],
    [5, 'in review'],
  ])
  const fileBytes = t.logNormal(250_000, 1.8)
  return (i) => {
    const ns = BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(t.int(0, 999_999))
    // Most traffic comes from WARP devices; the rest from an office's tunnel on-ramp, with no user.
    const warp = t.chance(0.9)
    const u = warp ? user() : null
    const office = warp ? null : t.pick(org.offices)
    const kind = t.r()
    const d = kind > 0.99 ? t.pick(org.blocked) : dest()
    const isolate = !d.blocked && kind > 0.985
    const blockedFile = !d.blocked && !isolate && kind < 0.003
    const action = d.blocked || blockedFile ? 'block' : isolate ? 'isolate' : 'allow'
    const policy = d.blocked
      ? d.cats[0] === CAT.gambling
        ? org.gamblingPolicy
        : org.blockPolicy
      : isolate
        ? org.isolatePolicy
        : blockedFile
          ? org.blockPolicy
          : d.app && t.chance(0.3)
            ? org.allowPolicy
            : null
    const m = action === 'allow' ? method() : 'GET'
    const upload = action === 'allow' && m === 'POST' && d.cats[0] === CAT.storage && t.chance(0.5)
    const download = action === 'allow' && m === 'GET' && t.chance(0.03)
    const files = upload
      ? [t.pick(['Q3-forecast.xlsx', 'board-deck-final.pptx', 'contract-signed.pdf', 'customer-export.csv'])]
      : download
        ? [t.pick(['AcmeInstaller-4.2.1.dmg', 'setup-x64.msi', 'invoice-88213.pdf', 'release-notes.txt'])]
        : blockedFile
          ? ['invoice-scan.pdf.exe']
          : []
    const fileInfo = { files: files.map((name) => ({ name, size: fileBytes() })) }
    const dlp = upload && t.chance(0.2)
    const urlPath = `/${t.pick(['api', 'v1', 'assets', 'mail', 'rest', 'static', 'files', 'client'])}/${t.pick(WORDS)}${t.chance(0.5) ? `/${t.hex(t.int(8, 24))}` : ''}`
    const src = u ?? office
    const app = d.app
    return sortedKeys({
      AccountID: org.accountId,
      Action: action,
      AddedHeaders: [],
      AppControlInfo: {},
      ApplicationIDs: app ? [app[0]] : [],
      ApplicationNames: app ? [app[1]] : [],
      ApplicationStatuses: app ? [appStatus()] : [],
      BlockedFileHash: blockedFile ? t.hex(64) : '',
      BlockedFileName: blockedFile ? files[0] : '',
      BlockedFileReason: blockedFile ? 'malware' : '',
      BlockedFileSize: blockedFile ? fileInfo.files[0].size : 0,
      BlockedFileType: blockedFile ? 'exe' : '',
      CategoryIDs: d.cats.map((c) => c[0]),
      CategoryNames: d.cats.map((c) => c[1]),
      Datetime: timestamp(ns, 'unixnano'),
      DeletedHeaders: [],
      DestinationIP: t.chance(0.85) ? t.pick(d.v4) : d.v6[0],
      DestinationIPContinentCode: CONTINENT[d.country] ?? 'EU',
      DestinationIPCountryCode: d.country,
      DestinationPort: t.chance(0.97) ? 443 : 80,
      DeviceID: u?.deviceId ?? '',
      DeviceName: u?.deviceName ?? '',
      DownloadMatchedDlpProfileEntries: [],
      DownloadMatchedDlpProfiles: [],
      DownloadedFileNames: download ? files : [],
      Email: u?.email ?? '',
      FileInfo: fileInfo,
      ForensicCopyStatus: '',
      HTTPHost: d.name,
      HTTPMethod: m,
      HTTPStatusCode: action === 'block' ? 403 : action === 'isolate' ? 200 : status(),
      HTTPVersion: version(),
      IsIsolated: isolate,
      PolicyID: policy?.id ?? '',
      PolicyName: policy?.name ?? '',
      PrivateAppAUD: '',
      ProxyEndpoint: '',
      Quarantined: false,
      RedirectTargetURI: '',
      Referer: t.chance(0.5) ? '' : `https://${d.name}/`,
      RegistrationID: u?.registrationId ?? '',
      RequestID: gatewayId(t),
      SessionID: gatewayId(t),
      SetHeaders: [],
      SourceIP: src.ip,
      SourceIPContinentCode: CONTINENT[src.country] ?? '',
      SourceIPCountryCode: src.country,
      SourceInternalIP: office ? `10.${t.int(10, 40)}.${t.int(0, 255)}.${t.int(2, 254)}` : '',
      SourcePort: t.int(32768, 60999),
      TenantID: '',
      URL: `https://${d.name}${urlPath}${query(t)}`,
      UntrustedCertificateAction: 'none',
      UploadMatchedDlpProfileEntries: dlp ? ['Credit Card Numbers'] : [],
      UploadMatchedDlpProfiles: dlp ? ['Financial Information'] : [],
      UploadedFileNames: upload ? files : [],
      UserAgent: u?.agent ?? t.pick(PLATFORMS)[1].agents[0],
      UserID: u?.userId ?? '',
      VirtualNetworkID: org.virtualNetworkId,
      VirtualNetworkName: 'default',
      Warnings: [],
    })
  }
}

const TLS_ISSUERS = ['DigiCert Inc', "Let's Encrypt", 'Google Trust Services', 'Amazon', 'Sectigo Limited', 'Microsoft Corporation']
/** What Gateway detects a session to carry, by the origin's port (443: TLS or QUIC). */
const PORT_PROTOCOLS = { 22: 'SSH', 53: 'DNS', 80: 'HTTP', 3389: 'RDP', 8080: 'HTTP' }
const CLOSE_REASONS = [
  [55, 'CLIENT_CLOSED'],
  [30, 'ORIGIN_CLOSED'],
  [8, 'CLIENT_IDLE_TIMEOUT'],
  [3, 'ORIGIN_UNREACHABLE'],
  [2, 'CLIENT_TLS_ERROR'],
  [1, 'ORIGIN_TLS_ERROR'],
  [1, 'UNKNOWN'],
]

/** `(i) => event i` of a zero_trust_network_sessions batch: TCP, UDP and ICMP sessions through Gateway. */
export function zeroTrustNetworkSessions(expected, span) {
  const t = tools(7)
  const org = organisation()
  const user = t.weighted(org.users.map((u) => [u.activity, u]))
  const dest = destinationPicker(t, org)
  const closeReason = t.weighted(CLOSE_REASONS)
  const sent = t.logNormal(3_000, 1.6)
  const received = t.logNormal(12_000, 2.2)
  const durationMs = t.logNormal(4_000, 1.8)
  const tunnels = [uuid(t), uuid(t)]
  const zeros = '00000000-0000-0000-0000-000000000000'
  return (i) => {
    const ns = BATCH_START_NS + (BigInt(i) * span) / expected + BigInt(t.int(0, 999_999))
    const warp = t.chance(0.9)
    const u = warp ? user() : null
    const office = warp ? null : t.pick(org.offices)
    const kind = t.r()
    // Private apps behind a Cloudflare Tunnel, a Magic WAN site, or the Internet.
    const offramp = kind < 0.1 ? 'CFD_TUNNEL' : kind < 0.13 ? 'MAGIC' : 'INTERNET'
    const internet = offramp === 'INTERNET'
    const d = dest()
    const protocol = t.chance(0.84) ? 'TCP' : t.chance(0.95) ? 'UDP' : 'ICMP'
    const port =
      protocol === 'ICMP'
        ? 0
        : internet
          ? protocol === 'UDP'
            ? t.pick([443, 443, 53, 123])
            : t.pick([443, 443, 443, 443, 80])
          : t.pick([443, 22, 3389, 5432, 8080])
    const tls = protocol === 'TCP' && port === 443
    const inspected = tls && internet && t.chance(0.7)
    const host = internet ? d.name : `${t.pick(['jira', 'git', 'wiki', 'grafana', 'db'])}.corp.example.internal`
    const originIp = internet ? (t.chance(0.85) ? t.pick(d.v4) : d.v6[0]) : `10.${t.int(20, 23)}.${t.int(0, 255)}.${t.int(2, 254)}`
    const egressRule = internet && u?.country === 'DE' && t.chance(0.5) ? org.egressPolicy : null
    const end = ns + BigInt(durationMs()) * 1_000_000n + BigInt(t.int(0, 999_999))
    const src = u ?? office
    const detected = protocol === 'ICMP' ? '' : port === 443 ? (protocol === 'TCP' ? 'TLS' : 'QUIC') : (PORT_PROTOCOLS[port] ?? '')
    return sortedKeys({
      AccountID: org.accountId,
      BytesReceived: protocol === 'ICMP' ? t.int(64, 512) : received(),
      BytesSent: protocol === 'ICMP' ? t.int(64, 512) : sent(),
      ClientTCPHandshakeDurationMs: protocol === 'TCP' ? t.int(0, 30) : 0,
      ClientTLSCipher: inspected ? 'TLS_AES_128_GCM_SHA256' : '',
      ClientTLSHandshakeDurationMs: inspected ? t.int(5, 150) : 0,
      ClientTLSVersion: inspected ? 'TLS 1.3' : '',
      ConnectionCloseReason: protocol === 'TCP' ? closeReason() : '',
      ConnectionReuse: protocol === 'TCP' && t.chance(0.2),
      DestinationTunnelID: offramp === 'CFD_TUNNEL' ? t.pick(tunnels) : zeros,
      DetectedProtocol: detected,
      DeviceID: u?.deviceId ?? '',
      DeviceName: u?.deviceName ?? '',
      EgressColoName: src.colo,
      EgressIP: internet
        ? originIp.includes(':')
          ? `2a09:bac1:${t.hex(4).replace(/^0+(?=.)/, '')}::${t.hex(2)}`
          : `104.28.${t.int(0, 255)}.${t.int(1, 254)}`
        : '',
      EgressPort: internet ? t.int(1024, 65535) : 0,
      EgressRuleID: egressRule?.id ?? zeros,
      EgressRuleName: egressRule?.name ?? '',
      Email: u?.email ?? '',
      IngressColoName: src.colo,
      InitialOriginIP: internet && t.chance(0.05) ? `100.80.${t.int(0, 255)}.${t.int(1, 254)}` : '',
      Offramp: offramp,
      OriginIP: originIp,
      OriginPort: port,
      OriginTLSCertificateIssuer: inspected ? t.pick(TLS_ISSUERS) : '',
      OriginTLSCertificateValidationResult: inspected ? (t.chance(0.99) ? 'VALID' : 'EXPIRED') : 'NONE',
      OriginTLSCipher: inspected ? t.pick(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']) : '',
      OriginTLSHandshakeDurationMs: inspected ? t.int(5, 200) : 0,
      OriginTLSVersion: inspected ? (t.chance(0.8) ? 'TLS 1.3' : 'TLS 1.2') : '',
      Protocol: protocol,
      RegistrationID: u?.registrationId ?? '',
      ResolvedFQDN: protocol !== 'ICMP' && t.chance(0.7) ? host : '',
      RuleEvaluationDurationMs: t.int(0, 12),
      SNI: tls ? host : '',
      SessionEndTime: timestamp(end, 'unixnano'),
      SessionID: gatewayId(t),
      SessionStartTime: timestamp(ns, 'unixnano'),
      SourceIP: src.ip,
      SourceInternalIP: office ? `10.${t.int(10, 40)}.${t.int(0, 255)}.${t.int(2, 254)}` : '',
      SourcePort: protocol === 'ICMP' ? 0 : t.int(32768, 60999),
      TenantID: '',
      UserID: u?.userId ?? '',
      VirtualNetworkID: org.virtualNetworkId,
    })
  }
}
