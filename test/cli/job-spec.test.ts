// The destination setup writes, read back the way Logpush reads it: any token survives the trip.
import { describe, expect, it } from 'vitest'
import { destinationConf, jobName, parseHttpDestination } from '../../cli/logpush/job-spec'

describe('job spec', () => {
  it('percent-encodes the token, so Logpush decodes exactly it: + & = / % and spaces included', () => {
    const token = 'a+b&c=d/ e%f'
    const conf = destinationConf(new URL('https://edge.example.com/'), 'dns_logs', token)
    expect(conf).toBe('https://edge.example.com/logpush/dns_logs?header_Authorization=Bearer%20a%2Bb%26c%3Dd%2F%20e%25f')
    expect(parseHttpDestination(conf)).toEqual({ url: 'https://edge.example.com/logpush/dns_logs', headers: { Authorization: `Bearer ${token}` } })
  })

  it('keeps a path the Worker is routed under', () => {
    expect(destinationConf(new URL('https://example.com/edge/'), 'http_requests', 'tok')).toBe(
      'https://example.com/edge/logpush/http_requests?header_Authorization=Bearer%20tok',
    )
  })

  it('names jobs without _, which older API versions refuse', () => {
    expect(jobName('email_security_post_delivery_events')).toBe('logpush-edge-email-security-post-delivery-events')
  })
})
