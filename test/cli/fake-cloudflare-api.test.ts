// The fake Cloudflare API holds the CLI to Cloudflare's OpenAPI document: these show that it
// catches a request or an answer the document does not allow, and that its destination check
// reads `header_*` parameters as Logpush does.
import { type IncomingHttpHeaders, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FakeCloudflareApi } from './fake-cloudflare-api'

const TOKEN = 'cf-token-for-the-fake'
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353'
const BAD_ZONE = '5f2a8b1c9d3e4f60718293a4b5c6d7e8'

let fake: FakeCloudflareApi
let receiver: ReturnType<typeof createServer>
let receiverUrl: string
const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = []

function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  return fetch(`${fake.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

beforeAll(async () => {
  fake = await FakeCloudflareApi.start({ [TOKEN]: { logsEdit: true } })
  fake.addZone(ZONE)
  fake.addZone(BAD_ZONE)
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: gunzipSync(Buffer.concat(chunks)).toString() })
      res.writeHead(req.headers.authorization === 'Bearer a+b c' ? 200 : 401).end()
    })
  })
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
})

afterAll(async () => {
  await fake.close()
  await new Promise((done) => receiver.close(done))
})

afterEach(() => {
  received.length = 0
})

describe('the fake Cloudflare API', () => {
  it('refuses a request the document does not allow, and records it as a violation', async () => {
    const res = await call('POST', `/zones/${ZONE}/logpush/jobs`, { destination_conf: 's3://bucket/logs', output_options: { output_type: 'xml' } })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ success: false, errors: [{ code: 1001 }], result: null })
    expect(fake.takeViolations()).toEqual([expect.stringContaining('request to logpush.account-jobs.create breaks the document')])
    expect(fake.jobsOf('zone', ZONE)).toEqual([])
  })

  it('records an answer the document does not allow', async () => {
    fake.plantJob('zone', BAD_ZONE, { dataset: 'not_a_dataset', destination_conf: 's3://bucket/logs' })
    expect((await call('GET', `/zones/${BAD_ZONE}/logpush/jobs`)).status).toBe(200)
    expect(fake.takeViolations()).toEqual([expect.stringMatching(/^answer to logpush\.account-jobs\.list \(200\) breaks the document: .*dataset/)])
  })

  it('answers 401 without a known token, and a path the document lacks is a violation', async () => {
    expect((await call('GET', `/zones/${ZONE}/logpush/jobs`, undefined, null)).status).toBe(401)
    expect((await call('GET', `/zones/${ZONE}/logpush/jobs`, undefined, 'another-token')).status).toBe(401)
    expect((await call('GET', `/zones/${ZONE}/logpush/ownership`)).status).toBe(404)
    expect(fake.takeViolations()).toEqual([`no such path in the document: GET /client/v4/zones/${ZONE}/logpush/ownership`])
  })

  it('sends Logpush\'s check on create: gzip {"content":"tests"}, header_* parameters percent-decoded as headers and out of the URL', async () => {
    const destination = `${receiverUrl}/logpush/dns_logs?header_Authorization=Bearer%20a%2Bb%20c&header_X-Extra=1&keep=yes`
    const res = await call('POST', `/zones/${ZONE}/logpush/jobs`, { dataset: 'dns_logs', name: 'check', destination_conf: destination })
    expect(res.status).toBe(200)
    expect(received).toEqual([
      { url: '/logpush/dns_logs?keep=yes', headers: expect.objectContaining({ authorization: 'Bearer a+b c', 'x-extra': '1' }), body: '{"content":"tests"}' },
    ])
    expect(fake.takeViolations()).toEqual([])
  })

  it('a form-encoded token (+ for the space) reaches the destination as a +: the check fails with 1002', async () => {
    const res = await call('POST', `/zones/${ZONE}/logpush/jobs`, {
      dataset: 'dns_logs',
      destination_conf: `${receiverUrl}/logpush/dns_logs?header_Authorization=Bearer+a%2Bb+c`,
    })
    expect(res.status).toBe(400)
    expect(received[0]?.headers.authorization).toBe('Bearer+a+b+c')
    expect(await res.json()).toMatchObject({
      errors: [{ code: 1002, message: `error validating destination: POST ${receiverUrl}/logpush/dns_logs: status 401: ` }],
    })
    expect(fake.takeViolations()).toEqual([])
  })

  it('takes http:// only on 127.0.0.1, and refuses a job name with _', async () => {
    const plain = await call('POST', `/zones/${ZONE}/logpush/jobs`, { dataset: 'dns_logs', destination_conf: 'http://edge.example.com/logpush/dns_logs' })
    expect(await plain.json()).toMatchObject({ errors: [{ code: 1002, message: 'error validating destination: the destination must be https' }] })
    const named = await call('POST', `/zones/${ZONE}/logpush/jobs`, { dataset: 'dns_logs', name: 'logpush_edge', destination_conf: 's3://bucket/logs' })
    expect(named.status).toBe(400)
    expect(received).toEqual([])
    expect(fake.takeViolations()).toEqual([])
  })
})
