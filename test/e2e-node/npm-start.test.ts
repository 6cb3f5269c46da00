// `npm start` as a user runs it (scripts/start.mjs: the local S3 server and `wrangler dev`), with a
// Worker variable set in its environment: the contract says it overrides the local default.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../scripts/free-port.mjs'

const ROOT = resolve(import.meta.dirname, '../..')
const STARTUP_MS = 90_000

let child: ChildProcess
let output = ''
let workerUrl = ''
let s3Url = ''

async function untilHealthy(url: string, deadline: number): Promise<Response> {
  for (;;) {
    try {
      return await fetch(`${url}/healthz`)
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not answer: ${String(error)}\n${output}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

beforeAll(async () => {
  const [port, s3Port] = [await freePort(), await freePort()]
  workerUrl = `http://127.0.0.1:${port}`
  s3Url = `http://127.0.0.1:${s3Port}`
  child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), S3_PORT: String(s3Port), SINK: 'r2', STATS_TOKEN: 'stats-from-env' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  await untilHealthy(workerUrl, Date.now() + STARTUP_MS)
}, STARTUP_MS + 10_000)

afterAll(async () => {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
})

describe('npm start with Worker variables in its environment', () => {
  it('SINK=r2 writes to the local R2 bucket, not to the local S3 server; STATS_TOKEN=… is the stats token', async () => {
    const health = (await (await fetch(`${workerUrl}/healthz`)).json()) as { ok: boolean; warnings?: string[] }
    // The default would warn that the status page shares the ingest token.
    expect(health).toMatchObject({ ok: true })
    expect(health.warnings).toBeUndefined()

    const body = readFileSync(resolve(ROOT, 'fixtures/http_requests.unix.ndjson'))
    const res = await fetch(`${workerUrl}/logpush/http_requests`, { method: 'POST', body, headers: { Authorization: 'Bearer dev-token' } })
    expect(res.status, output).toBe(200)
    const ack = (await res.json()) as { written: number; keys: string[] }
    expect(ack.written).toBeGreaterThan(0)

    const s3 = new S3Client({
      endpoint: s3Url,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local-secret' },
    })
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'cloudflare-logs', Key: ack.keys[0] })).catch((error: { name: string }) => error.name)
      expect(head, 'the object is not in the local S3 bucket').toBe('NotFound')
    } finally {
      s3.destroy()
    }
    const stats = await fetch(`${workerUrl}/stats/http_requests`, { headers: { Authorization: 'Bearer stats-from-env' } })
    expect(stats.status).toBe(200)
  })
})
