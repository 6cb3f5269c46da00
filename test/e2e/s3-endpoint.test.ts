// The S3-compatible endpoint through the real app, the real local S3 server and the counters:
// what a Logpush job with an S3-compatible destination sees. test/s3-endpoint/ covers the protocol
// against stand-ins; test/e2e-node runs real S3 clients against the Worker on a port.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { DatasetStats } from '../../src/counters/client'
import app from '../../src/index'
import { bucket } from '../helpers/bucket'
import { bytes, gzip } from '../helpers/streams'
import { md5Hex, uniquePrefix } from '../storage/helpers'
import { signedRequest } from '../s3-endpoint/signing'

const DATASET = 'http_requests'
const KEY = `/s3/cloudflare-logs/${DATASET}/20261125/20261125T101010Z_20261125T101110Z_a1b2c3d4.log.gz`

/** A PutObject signed with the endpoint's keys (by the AWS SDK's signer), into the app with its own S3_PREFIX. */
async function putObject(prefix: string, body: Uint8Array): Promise<Response> {
  return app.fetch(await signedRequest({ path: KEY, body }), { ...env, S3_PREFIX: prefix })
}

async function datasetStats(): Promise<DatasetStats> {
  const res = await app.fetch(new Request(`http://worker/stats/${DATASET}`, { headers: { Authorization: 'Bearer dev-token' } }), env)
  return (await res.json()) as DatasetStats
}

describe("Logpush's destination check through the S3 endpoint", () => {
  it('a gzipped {"content":"tests"} object: 200 with the validation header, nothing stored, a validation counted', async () => {
    // A prefix of its own: listing it shows everything this request left, whatever runs beside it.
    const prefix = uniquePrefix('s3-destination-check')
    const check = await gzip(bytes('{"content":"tests"}'))
    const before = await datasetStats()

    const res = await putObject(prefix, check)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-logpush-validation')).toBe('true')
    expect(res.headers.get('etag')).toBe(`"${await md5Hex(check)}"`)
    expect(res.headers.get('x-logpush-batch-id')).toBeNull()
    expect(await bucket.listKeys(prefix), 'logs/, quarantine/ or staging/ objects').toEqual([])
    const after = await datasetStats()
    expect(after.validations).toBe(before.validations + 1)
    expect([after.batches, after.events, after.written, after.quarantined]).toEqual([before.batches, before.events, before.written, before.quarantined])

    // The listing would see a write: a real object under the same prefix lands in logs/.
    const line = '{"RayID":"s3-after-check","EdgeStartTimestamp":"2026-11-25T10:10:10Z","ClientIP":"192.0.2.9"}\n'
    const real = await putObject(prefix, await gzip(bytes(line)))
    expect(real.status).toBe(200)
    expect(real.headers.get('x-logpush-validation')).toBeNull()
    expect(real.headers.get('x-logpush-written')).toBe('1')
    const batchId = real.headers.get('x-logpush-batch-id')
    expect(await bucket.listKeys(prefix)).toEqual([`${prefix}logs/cloudflare_httprequest/year=2026/month=11/day=25/hour=10/${batchId}.json.gz`])
  })
})
