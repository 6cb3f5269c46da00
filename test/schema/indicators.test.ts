import { describe, expect, it } from 'vitest'
import { compileSchema } from '../../src/schema/compile'
import { domainName, emailAddress, hexHash, hostOfAddress, macAddress, urlHost } from '../../src/schema/indicators'
import { canonicalIp } from '../../src/schema/ip'
import { loadSchemaFile } from '../../src/schema/load'
import { MINIMAL, one, run } from '../helpers/pipeline'
import { batchContext } from '../helpers/streams'

describe('canonicalIp (RFC 5952)', () => {
  const CANONICAL: [string, string][] = [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8:85a3::8a2e:370:7334'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['FE80::0:0:1', 'fe80::1'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1.2.3.4', '1.2.3.4'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
  ]
  for (const [input, want] of CANONICAL) it(`${input} -> ${want}`, () => expect(canonicalIp(input)).toBe(want))

  const INVALID = [
    '',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    ':::',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '12345::',
    'g::1',
    '::ffff:1.2.3.256',
    '::ffff:1.2.3',
    'fe80::1%eth0',
    '[::1]',
    'localhost',
    '1.2.3.4/24',
  ]
  for (const input of INVALID) it(`${JSON.stringify(input)} is not an IP`, () => expect(canonicalIp(input)).toBeNull())
})

describe('p_any_* indicators', () => {
  it('collects IPs canonical, domains lower-case, trace ids without "00"; sorted and unique', async () => {
    const { event } = await one('http_requests', {
      ...MINIMAL.http_requests,
      ClientIP: '2001:DB8:0:0:0:0:0:1',
      OriginIP: '::ffff:1.2.3.4',
      EdgeServerIP: '2001:db8::1',
      ClientRequestHost: 'WWW.Example.COM',
      EdgeRequestHost: 'www.example.com',
      ZoneName: 'example.com',
      RayID: '710e98d9367f357d',
      ParentRayID: '00',
    })
    expect(event).toMatchObject({
      p_any_ip_addresses: ['2001:db8::1', '::ffff:1.2.3.4'],
      p_any_domain_names: ['example.com', 'www.example.com'],
      p_any_trace_ids: ['710e98d9367f357d'],
    })
    // The columns themselves keep what came.
    expect(event).toMatchObject({ ClientIP: '2001:DB8:0:0:0:0:0:1', ClientRequestHost: 'WWW.Example.COM' })
    expect(event).not.toHaveProperty('p_any_emails')
    expect(event).not.toHaveProperty('p_any_usernames')
  })

  it('sorts by code unit, and skips values that are not IPs', async () => {
    const { event } = await one('spectrum_events', { ...MINIMAL.spectrum_events, ClientIP: '10.0.0.2', OriginIP: '9.9.9.9' })
    expect(event!.p_any_ip_addresses).toEqual(['10.0.0.2', '9.9.9.9'])
    const skipped = await one('spectrum_events', { ...MINIMAL.spectrum_events, ClientIP: 'unknown', OriginIP: '300.1.1.1' })
    expect(skipped.event).not.toHaveProperty('p_any_ip_addresses')
    expect(skipped.event).toMatchObject({ ClientIP: 'unknown', OriginIP: '300.1.1.1' })
  })

  it('skips "00" and all-zero trace ids, and empty values of every kind', async () => {
    const { event } = await one('firewall_events', {
      ...MINIMAL.firewall_events,
      RayID: '0000',
      OriginatorRayID: '00',
      ClientIP: '',
      ClientRequestHost: '',
      ClientRefererHost: '',
    })
    for (const k of ['p_any_trace_ids', 'p_any_ip_addresses', 'p_any_domain_names']) expect(event, k).not.toHaveProperty(k)
  })

  it('collects emails and usernames of audit logs, once each', async () => {
    const { event } = await one('audit_logs', {
      ...MINIMAL.audit_logs,
      ActorEmail: 'Admin@Example.com',
      ActorID: 'abc123',
      OwnerID: 'abc123',
      ActorIP: '81.2.69.142',
    })
    expect(event).toMatchObject({ p_any_emails: ['Admin@Example.com'], p_any_usernames: ['abc123'], p_any_ip_addresses: ['81.2.69.142'] })
    const notEmail = await one('audit_logs', { ...MINIMAL.audit_logs, ActorEmail: 'system' })
    expect(notEmail.event).not.toHaveProperty('p_any_emails')
  })

  it('collects per event: nothing leaks from one line to the next', async () => {
    const r = await run(
      'http_requests',
      [{ ...MINIMAL.http_requests, ClientIP: '1.1.1.1', RayID: 'aa' }, MINIMAL.http_requests, { ...MINIMAL.http_requests, OriginIP: '2.2.2.2' }]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    )
    expect(r.events.map((e) => [e.p_any_ip_addresses, e.p_any_trace_ids])).toEqual([
      [['1.1.1.1'], ['aa']],
      [undefined, undefined],
      [['2.2.2.2'], undefined],
    ])
  })

  it('replaces p_ fields that a line brings with it', async () => {
    const { event } = await one('http_requests', {
      ...MINIMAL.http_requests,
      p_event_time: 'spoofed',
      p_log_type: 'X',
      p_row_id: 'x',
      p_any_ip_addresses: ['6.6.6.6'],
      p_source_id: 'x',
    })
    expect(event).toMatchObject({ p_event_time: '2022-05-25 13:25:26.000000000', p_log_type: 'Cloudflare.HttpRequest', p_source_id: batchContext.sourceId })
    expect(event!.p_row_id).not.toBe('x')
    expect(event).not.toHaveProperty('p_any_ip_addresses')
  })
})

describe('enrichment', () => {
  const body = [0, 1, 2].map((i) => JSON.stringify({ ...MINIMAL.http_requests, ClientSrcPort: i })).join('\n')

  it('adds the standard fields from the batch and the event', async () => {
    const r = await run('http_requests', `\n${body}`)
    expect(r.events[0]).toMatchObject({
      p_log_type: 'Cloudflare.HttpRequest',
      p_event_time: '2022-05-25 13:25:26.000000000',
      p_parse_time: batchContext.parseTime,
      p_source_id: batchContext.sourceId,
      p_source_label: batchContext.sourceLabel,
    })
    // Batch id head and the physical line number (the first line of this body is blank).
    expect(r.events.map((e) => e.p_row_id)).toEqual([2, 3, 4].map((n) => `${batchContext.batchId.slice(0, 24)}${n.toString(16).padStart(8, '0')}`))
  })

  it('gives the same row ids to the same batch, different ones to each line and to another batch', async () => {
    const a = await run('http_requests', body)
    const b = await run('http_requests', body, { cuts: [7, 50] })
    const c = await run('http_requests', body, { batchId: 'fedcba9876543210fedcba9876543210' })
    const ids = a.events.map((e) => e.p_row_id)
    expect(b.events.map((e) => e.p_row_id)).toEqual(ids)
    expect(new Set(ids).size).toBe(3)
    for (const id of c.events.map((e) => e.p_row_id)) expect(ids).not.toContain(id)
  })
})

describe('indicator normalisers', () => {
  it('urlHost: the host of a URL with or without scheme, userinfo, port, path; none of a path or opaque URI', () => {
    const CASES: [string, string][] = [
      ['https://Example.com/a?b#c', 'Example.com'],
      ['http://user:pw@example.com:8080/x', 'example.com'],
      ['https://[2001:db8::1]:8443/', '2001:db8::1'],
      ['https://192.0.2.1', '192.0.2.1'],
      ['//cdn.example.com/lib.js', 'cdn.example.com'],
      ['partner-zt-logs.cloudflareaccess.com/warp', 'partner-zt-logs.cloudflareaccess.com'],
      ['example.com:443', 'example.com'],
      ['example.com?q=1', 'example.com'],
      ['/api/v1/login', ''],
      ['mailto:user@example.com', ''],
      ['about:blank', ''],
      ['https://', ''],
      ['', ''],
    ]
    for (const [url, host] of CASES) expect(urlHost(url), url).toBe(host)
  })

  it('hostOfAddress: HOST:PORT, [IPv6]:PORT, a bare host or IPv6; none with a port that is no number', () => {
    const CASES: [string, string][] = [
      ['192.0.2.1:53', '192.0.2.1'],
      ['[2001:db8::1]:53', '2001:db8::1'],
      ['[2001:db8::1]', '2001:db8::1'],
      ['2001:db8::1', '2001:db8::1'],
      ['resolver.example.com:853', 'resolver.example.com'],
      ['192.0.2.1', '192.0.2.1'],
      ['host:port', ''],
      ['[2001:db8::1]x', ''],
      ['[2001:db8::1', ''],
    ]
    for (const [addr, host] of CASES) expect(hostOfAddress(addr), addr).toBe(host)
  })

  it('domainName: lower case without the root dot; none for what cannot be a name', () => {
    expect(domainName('WWW.Example.COM.')).toBe('www.example.com')
    expect(domainName('_dmarc.example.com')).toBe('_dmarc.example.com')
    expect(domainName('bücher.example')).toBe('bücher.example')
    for (const bad of ['', '.', 'a b', 'example.com:443', '300.1.1.1', '12345', 'a/b', '\u0010x', 'x'.repeat(254)]) expect(domainName(bad), bad).toBe('')
  })

  it('hexHash: the length of its kind, lower case; none for other lengths, non-hex or all zeros', () => {
    const sha256 = '3B57505305E7162141FD898ED87D08F92FC42579B5047495859E56B3275A6C06'
    expect(hexHash(sha256, 64)).toBe(sha256.toLowerCase())
    expect(hexHash(sha256, 40)).toBe('')
    expect(hexHash('62b77e14e2c43049c45b5725018e78d0f9986930', 40)).toBe('62b77e14e2c43049c45b5725018e78d0f9986930')
    expect(hexHash('91f073bd208689ddbd248e8989ecae9g', 32)).toBe('')
    expect(hexHash('0'.repeat(64), 64)).toBe('')
    expect(hexHash(`${'0'.repeat(64)}.`, 64)).toBe('')
  })

  it('macAddress: colons, dashes, dotted or bare hex to lower-case colon form', () => {
    for (const mac of ['AA:BB:CC:DD:EE:0F', 'aa-bb-cc-dd-ee-0f', 'aabb.ccdd.ee0f', 'AABBCCDDEE0F']) expect(macAddress(mac), mac).toBe('aa:bb:cc:dd:ee:0f')
    for (const bad of ['aa:bb:cc:dd:ee', 'aa:bb-cc:dd:ee:ff', 'gg:bb:cc:dd:ee:ff', 'aabbccddeeff00', '']) expect(macAddress(bad), bad).toBe('')
  })

  it('emailAddress: the address of "Name <addr>", none without an @', () => {
    expect(emailAddress('First Last <First@Example.com>')).toBe('First@Example.com')
    expect(emailAddress('user@example.com')).toBe('user@example.com')
    expect(emailAddress('system')).toBe('')
    expect(emailAddress('Name <>')).toBe('')
  })
})

// Every kind through the field loop, on a schema of its own.
const KINDS_YML = `schema: Test.Kinds
dataset: test_kinds
scope: account
table: test_kinds
fields:
  - name: When
    type: timestamp
    timeFormats: [cloudflare]
    required: true
    isEventTime: true
  - { name: Ip, type: string, indicators: [ip] }
  - { name: Domain, type: string, indicators: [domain] }
  - { name: Host, type: string, indicators: [hostname] }
  - { name: Hosts, type: array, element: { type: string }, indicators: [hostname] }
  - { name: Url, type: string, indicators: [url] }
  - { name: Addr, type: string, indicators: [net_addr] }
  - { name: Ray, type: string, indicators: [trace_id] }
  - { name: Mail, type: string, indicators: [email] }
  - { name: User, type: string, indicators: [username] }
  - { name: FileHash, type: string, indicators: [sha256, sha1, md5] }
  - { name: Mac, type: string, indicators: [mac] }
  - name: Attachments
    type: array
    element:
      type: object
      fields:
        - { name: Sha256, type: string, indicators: [sha256] }
        - { name: Sha1, type: string, indicators: [sha1] }
        - { name: Md5, type: string, indicators: [md5] }
`
const kinds = compileSchema(loadSchemaFile('test_kinds.yml', KINDS_YML))
const WHEN = '2022-05-25T13:25:26Z'
const SHA256 = '3b57505305e7162141fd898ed87d08f92fc42579b5047495859e56b3275a6c06'
const SHA1 = '62b77e14e2c43049c45b5725018e78d0f9986930'
const MD5 = '91f073bd208689ddbd248e8989ecae90'

describe('p_any_* of every indicator kind', () => {
  it('sends hosts, URL hosts and address hosts to the IP or domain list by what they are', async () => {
    const { event } = await one(kinds, {
      When: WHEN,
      Host: 'Gateway.Example.NET',
      Hosts: ['192.0.2.7', 'b.example.org.'],
      Url: 'https://user@[2001:DB8::2]:8443/path',
      Addr: 'resolver.example.com:853',
      Domain: 'Example.com',
    })
    expect(event).toMatchObject({
      p_any_ip_addresses: ['192.0.2.7', '2001:db8::2'],
      p_any_domain_names: ['b.example.org', 'example.com', 'gateway.example.net', 'resolver.example.com'],
    })
  })

  it('collects hashes into the list of their length, from top-level and nested fields, sorted and unique', async () => {
    const { event } = await one(kinds, {
      When: WHEN,
      FileHash: SHA1.toUpperCase(),
      Attachments: [
        { Sha256: SHA256, Sha1: SHA1, Md5: MD5 },
        { Sha256: SHA256, Md5: 'not a hash' },
      ],
    })
    expect(event).toMatchObject({ p_any_sha256_hashes: [SHA256], p_any_sha1_hashes: [SHA1], p_any_md5_hashes: [MD5] })
    // The column keeps what came.
    expect(event!.FileHash).toBe(SHA1.toUpperCase())
  })

  it('collects MAC addresses, e-mail addresses out of "Name <addr>", trace ids and usernames', async () => {
    const { event } = await one(kinds, { When: WHEN, Mac: 'AA-BB-CC-DD-EE-FF', Mail: 'First Last <first@example.com>', Ray: '7e9ae7157ac0c33a', User: 'jdoe' })
    expect(event).toMatchObject({
      p_any_mac_addresses: ['aa:bb:cc:dd:ee:ff'],
      p_any_emails: ['first@example.com'],
      p_any_trace_ids: ['7e9ae7157ac0c33a'],
      p_any_usernames: ['jdoe'],
    })
  })

  it('omits every list that has nothing, and writes the lists in a fixed order after the other p_ fields', async () => {
    const bare = await one(kinds, { When: WHEN, Url: '/just/a/path', Addr: 'host:port', Mac: 'nope', FileHash: '0'.repeat(64), Host: '' })
    expect(Object.keys(bare.event!).filter((k) => k.startsWith('p_any_'))).toEqual([])
    const full = await one(kinds, {
      When: WHEN,
      Ip: '192.0.2.1',
      Domain: 'a.example',
      Ray: 'ab',
      Mail: 'a@b.c',
      User: 'u',
      FileHash: SHA256,
      Attachments: [{ Sha1: SHA1, Md5: MD5 }],
      Mac: 'aabbccddeeff',
    })
    expect(Object.keys(full.event!).filter((k) => k.startsWith('p_any_'))).toEqual([
      'p_any_ip_addresses',
      'p_any_domain_names',
      'p_any_trace_ids',
      'p_any_emails',
      'p_any_usernames',
      'p_any_sha256_hashes',
      'p_any_sha1_hashes',
      'p_any_md5_hashes',
      'p_any_mac_addresses',
    ])
  })

  it('replaces every p_any_* list a line brings, never duplicating it', async () => {
    const brought = Object.fromEntries(
      ['ip_addresses', 'domain_names', 'trace_ids', 'emails', 'usernames', 'sha256_hashes', 'sha1_hashes', 'md5_hashes', 'mac_addresses'].map((k) => [
        `p_any_${k}`,
        ['spoofed'],
      ]),
    )
    const r = await run(kinds, `${JSON.stringify({ When: WHEN, ...brought, Mac: 'aabbccddeeff', FileHash: MD5 })}\n`)
    expect(r.lines[0]!.match(/"p_any_mac_addresses"/g)).toHaveLength(1)
    expect(r.lines[0]!.match(/"p_any_md5_hashes"/g)).toHaveLength(1)
    expect(r.events[0]).toMatchObject({ p_any_mac_addresses: ['aa:bb:cc:dd:ee:ff'], p_any_md5_hashes: [MD5] })
    for (const k of Object.keys(brought).filter((k) => k !== 'p_any_mac_addresses' && k !== 'p_any_md5_hashes')) expect(r.events[0], k).not.toHaveProperty(k)
  })
})

describe('re-ingesting our own output', () => {
  it('writes the same events again: timestamps as written, p_ fields replaced', async () => {
    const first = await run(
      kinds,
      [
        JSON.stringify({
          When: '2022-05-25T22:55:26.123456789+09:30',
          Ip: '2001:DB8::1',
          Url: 'https://Example.com/x',
          FileHash: SHA256,
          Mac: 'AA-BB-CC-DD-EE-FF',
          Attachments: [{ Md5: MD5 }],
        }),
        '{"When":1653485126123456789,"Mail":"a@example.com","Ray":"7e9ae7157ac0c33a"}',
      ].join('\n'),
    )
    expect(first.reasons).toEqual([])
    const again = await run(kinds, first.lines.join('\n'))
    expect(again.reasons).toEqual([])
    expect(again.events).toEqual(first.events)
    const http = await run(
      'http_requests',
      JSON.stringify({ ...MINIMAL.http_requests, ClientIP: '192.0.2.1', RayID: 'ab12', ClientRequestHost: 'www.example.com' }),
    )
    expect((await run('http_requests', http.lines.join('\n'))).events).toEqual(http.events)
  })
})
