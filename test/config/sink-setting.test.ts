// SINK: which store the objects go to, what each sink requires, and the errors that name it.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ConfigError, readConfig } from '../../src/config'
import app from '../../src/index'
import { storageFor } from '../../src/storage'
import { R2Storage } from '../../src/storage/r2/client'
import { S3Client } from '../../src/storage/s3/client'

const S3 = {
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_REGION: 'us-east-1',
  S3_BUCKET: 'cloudflare-logs',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
}
const COMMON = { INGEST_TOKEN: 'dev-token' }

function problems(settings: Record<string, unknown>): string[] {
  try {
    readConfig(settings)
    return []
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
}

describe('SINK', () => {
  it('is s3 when unset or empty, and then needs the S3 endpoint, bucket and keys, each named', () => {
    expect(readConfig({ ...COMMON, ...S3 }).SINK).toBe('s3')
    expect(readConfig({ ...COMMON, ...S3, SINK: '' }).SINK).toBe('s3')
    const missing = problems({ ...COMMON })
    for (const name of Object.keys(S3)) {
      expect(missing).toContain(`${name}: required with SINK=s3 (the default); SINK=r2 writes to the LOGS_BUCKET binding instead`)
    }
    expect(problems({ ...COMMON, ...S3, S3_ENDPOINT: 'not a url' })).toEqual(['S3_ENDPOINT: must be an http(s) URL'])
  })

  it('r2 needs no S3 setting, only the LOGS_BUCKET binding', () => {
    const config = readConfig({ ...COMMON, SINK: 'r2', LOGS_BUCKET: env.LOGS_BUCKET })
    expect(config).toMatchObject({ SINK: 'r2', S3_PREFIX: '', S3_PART_BYTES: 8 * 1024 * 1024 })
    expect(config).not.toHaveProperty('S3_ENDPOINT')
    // S3 settings left in the env (as `npm start` passes them) are ignored.
    expect(readConfig({ ...COMMON, ...S3, SINK: 'r2', LOGS_BUCKET: env.LOGS_BUCKET })).not.toHaveProperty('AWS_SECRET_ACCESS_KEY')
  })

  it('r2 without the binding, or with something else under its name, is a configuration error naming LOGS_BUCKET', () => {
    const expected = ['LOGS_BUCKET: SINK=r2 needs the R2 bucket binding LOGS_BUCKET ([[r2_buckets]] binding = "LOGS_BUCKET" in wrangler.toml)']
    expect(problems({ ...COMMON, SINK: 'r2' })).toEqual(expected)
    expect(problems({ ...COMMON, SINK: 'r2', LOGS_BUCKET: 'logpush-edge-logs' })).toEqual(expected)
  })

  it('names an unknown sink', () => {
    expect(problems({ ...COMMON, ...S3, SINK: 'gcs' })).toEqual(['SINK: must be "s3" (the default) or "r2"'])
  })

  it('r2 takes no part under 5 MiB, wherever it runs', () => {
    expect(problems({ ...COMMON, SINK: 'r2', LOGS_BUCKET: env.LOGS_BUCKET, S3_PART_BYTES: String(16 * 1024) })).toEqual([
      `S3_PART_BYTES: must be at least 5 MiB (${5 * 1024 * 1024}): R2 refuses smaller parts`,
    ])
    // The local S3 server takes small parts: tests and `npm start` use them.
    expect(readConfig({ ...COMMON, ...S3, S3_PART_BYTES: String(16 * 1024) }).S3_PART_BYTES).toBe(16 * 1024)
  })

  it('picks the adapter and its smallest part', () => {
    const r2 = storageFor(env, readConfig({ ...COMMON, SINK: 'r2', LOGS_BUCKET: env.LOGS_BUCKET }))
    expect(r2.storage).toBeInstanceOf(R2Storage)
    expect(r2.minPartSize).toBe(5 * 1024 * 1024)
    const s3 = storageFor(env, readConfig({ ...COMMON, ...S3 }))
    expect(s3.storage).toBeInstanceOf(S3Client)
    expect(s3.minPartSize).toBe(1)
  })

  it('GET /healthz and ingest say what the chosen sink misses', async () => {
    const broken = { ...env, SINK: 'r2', LOGS_BUCKET: undefined } as unknown as Env
    const health = await app.fetch(new Request('http://worker/healthz'), broken)
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({ ok: false, error: 'misconfigured', detail: [expect.stringMatching(/^LOGS_BUCKET: SINK=r2 needs/)] })
    const ingest = await app.fetch(
      new Request('http://worker/logpush/http_requests', { method: 'POST', body: '{}\n', headers: { Authorization: 'Bearer dev-token' } }),
      broken,
    )
    expect(ingest.status).toBe(500)
    expect(await ingest.json()).toMatchObject({ error: 'misconfigured', detail: expect.stringContaining('LOGS_BUCKET') })
  })
})
