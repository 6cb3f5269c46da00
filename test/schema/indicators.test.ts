import { describe, expect, it } from 'vitest'
import { canonicalIp } from '../../src/schema/ip'
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
