import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { basicTokenAuth, bearerTokenAuth, ingestTokens, matchesToken, statsTokens } from '../../src/middleware/token-auth'

const base = {
  INGEST_TOKEN: 'ingest-token-1',
  S3_ENDPOINT: 'http://127.0.0.1:9100',
  S3_REGION: 'us-east-1',
  S3_BUCKET: 'cloudflare-logs',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
}
const withStatsToken = { ...base, STATS_TOKEN: 'stats-token-1' }

const app = new Hono<{ Bindings: Env }>()
  .get('/api', bearerTokenAuth(statsTokens, 'send Authorization: Bearer <token>'), (c) => c.text('ok'))
  .get('/ingest', bearerTokenAuth(ingestTokens, 'send Authorization: Bearer <INGEST_TOKEN>'), (c) => c.text('ok'))
  .get('/page', basicTokenAuth(statsTokens, 'sign in with the token as password'), (c) => c.text('ok'))

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`

describe('statsTokens', () => {
  it('accepts the ingest token, and the stats token when one is set', async () => {
    expect(await matchesToken('ingest-token-1', statsTokens(base))).toBe(true)
    expect(await matchesToken('stats-token-1', statsTokens(base))).toBe(false)
    expect(await matchesToken('stats-token-1', statsTokens(withStatsToken))).toBe(true)
    expect(await matchesToken('ingest-token-1', statsTokens(withStatsToken))).toBe(true)
    expect(await matchesToken('ingest-token-', statsTokens(withStatsToken))).toBe(false)
    expect(await matchesToken('', statsTokens(withStatsToken))).toBe(false)
  })
})

describe('bearerTokenAuth', () => {
  it('passes a valid bearer token', async () => {
    const res = await app.request('/api', { headers: { Authorization: 'Bearer stats-token-1' } }, withStatsToken)
    expect(res.status).toBe(200)
  })

  it.each([
    ['no header', undefined],
    ['a wrong token', 'Bearer nope-nope-nope'],
    ['another scheme', basic('x', 'stats-token-1')],
    ['a malformed bearer header', 'Bearer a b c'],
  ])('answers 401 JSON for %s', async (_, authorization) => {
    const headers: Record<string, string> = authorization ? { Authorization: authorization } : {}
    const res = await app.request('/api', { headers }, withStatsToken)
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /)
    const body = await res.json<{ error: string; detail: string }>()
    expect(body).toEqual({ error: 'unauthorized', detail: expect.stringContaining('Bearer') })
    expect(JSON.stringify(body)).not.toContain('token-1')
  })
})

describe('ingestTokens', () => {
  it('accepts only the ingest token, never the stats token', async () => {
    const ok = await app.request('/ingest', { headers: { Authorization: 'Bearer ingest-token-1' } }, withStatsToken)
    expect(ok.status).toBe(200)
    const stats = await app.request('/ingest', { headers: { Authorization: 'Bearer stats-token-1' } }, withStatsToken)
    expect(stats.status).toBe(401)
  })
})

describe('basicTokenAuth', () => {
  it('passes any user name with the token as the password', async () => {
    const res = await app.request('/page', { headers: { Authorization: basic('anyone', 'stats-token-1') } }, withStatsToken)
    expect(res.status).toBe(200)
  })

  it('asks the browser for credentials otherwise', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: basic('stats-token-1', 'wrong') }, { Authorization: 'Bearer stats-token-1' }]
    for (const headers of attempts) {
      const res = await app.request('/page', { headers }, withStatsToken)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="logpush-edge"')
      expect(await res.json()).toEqual({ error: 'unauthorized', detail: expect.any(String) })
    }
  })
})
