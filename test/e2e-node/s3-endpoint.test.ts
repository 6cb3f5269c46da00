import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from './harness'
import { INGEST_TOKEN, OUTPUT_BUCKET, PROXY_KEY, S3_PREFIX, startStack } from './harness'
import { presignPut, signPut } from './node-signing'

// Logpush's side of the wire is played by real S3 clients: the AWS SDK for JavaScript v3 and,
// where installed, the aws CLI. The Worker runs for real (workerd) and stages/keeps objects in
// a real S3-protocol server, which the assertions read back.

const BUCKET = 'logpush-destination'
const run = promisify(execFile)
let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterEach((context) => {
  if (context.task.result?.state === 'fail') console.error(`worker log:\n${stack.logs().slice(-20).join('\n')}`)
})

afterAll(async () => {
  await stack?.close()
})

function client(options: { secretAccessKey?: string; accessKeyId?: string; systemClockOffset?: number } = {}) {
  return new S3Client({
    endpoint: new URL('/s3', stack.workerUrl).href,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: options.accessKeyId ?? PROXY_KEY.accessKeyId, secretAccessKey: options.secretAccessKey ?? PROXY_KEY.secretAccessKey },
    systemClockOffset: options.systemClockOffset,
    // One attempt: the SDK would otherwise correct its clock from the error and retry.
    maxAttempts: 1,
  })
}

async function storedKeys(prefix: string): Promise<string[]> {
  const listed = await stack.store.send(new ListObjectsV2Command({ Bucket: OUTPUT_BUCKET, Prefix: prefix }))
  return (listed.Contents ?? []).map((item) => item.Key!).sort()
}

/** Runs `refused` and checks that the bucket holds exactly the keys it held before: nothing was written. */
async function writingNothing<T>(refused: () => Promise<T>): Promise<T> {
  const before = await storedKeys(S3_PREFIX)
  const result = await refused()
  expect(await storedKeys(S3_PREFIX), 'keys in the bucket').toEqual(before)
  return result
}

async function refusal(promise: Promise<unknown>) {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined
  expect(error, 'the request was accepted').toBeDefined()
  return { code: error!.name, status: error!.$metadata?.httpStatusCode }
}

async function rawStatus(response: Response) {
  const xml = await response.text()
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(xml)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] }
}

async function challenges(): Promise<{ bucket: string; key: string; token: string; receivedAt: string }[]> {
  const response = await fetch(new URL('/ownership-challenges', stack.workerUrl), { headers: { authorization: `Bearer ${INGEST_TOKEN}` } })
  expect(response.status).toBe(200)
  return ((await response.json()) as { challenges: [] }).challenges
}

describe('destination checks an S3 client makes', () => {
  it('HeadBucket, GetBucketLocation and ListObjectsV2 answer', async () => {
    const s3 = client()
    await expect(s3.send(new HeadBucketCommand({ Bucket: BUCKET }))).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } })
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: BUCKET }))
    expect(location.LocationConstraint ?? '').toBe('')
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'nothing-here/' }))
    expect(listed.KeyCount).toBe(0)
  })
})

describe('ownership challenge', () => {
  it('keeps the token in the real bucket and shows it on GET /ownership-challenges', async () => {
    const key = 'http_requests/ownership-challenge-a1b2c3.txt'
    const put = await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'challenge-token-1\n' }))
    expect(put.ETag).toBe(`"${md5('challenge-token-1\n')}"`)
    expect(await challenges()).toContainEqual({ bucket: BUCKET, key, token: 'challenge-token-1', receivedAt: expect.any(String) })
    expect(await storedKeys(`${S3_PREFIX}ownership-challenges/${BUCKET}/`)).toContain(`${S3_PREFIX}ownership-challenges/${BUCKET}/${key}.json`)
    const listed = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'http_requests/' }))
    expect(listed.Contents?.map((item) => item.Key)).toContain(key)

    expect((await fetch(new URL('/ownership-challenges', stack.workerUrl))).status).toBe(401)
  })
})

describe('payload encodings real clients use', () => {
  it('a streamed body: aws-chunked with a CRC32 trailer (the SDK default for streams)', async () => {
    const key = 'audit_logs/ownership-challenge-streamed.txt'
    const body = Readable.from([Buffer.from('streamed-'), Buffer.from('token\n')])
    const put = await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: 15 }))
    expect(put.ETag).toBe(`"${md5('streamed-token\n')}"`)
    expect(put.ChecksumCRC32).toBeDefined()
    expect((await challenges()).find((c) => c.key === key)?.token).toBe('streamed-token')
  })
})

describe('refusals, with nothing written', () => {
  const key = 'http_requests/ownership-challenge-refused.txt'

  it('a wrong secret: SignatureDoesNotMatch 403', async () => {
    const put = () => client({ secretAccessKey: 'wrong-secret' }).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 't' }))
    expect(await writingNothing(() => refusal(put()))).toEqual({ code: 'SignatureDoesNotMatch', status: 403 })
  })

  it('an unknown access key: InvalidAccessKeyId 403', async () => {
    const put = () => client({ accessKeyId: 'AKIANOBODY' }).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 't' }))
    expect(await writingNothing(() => refusal(put()))).toEqual({ code: 'InvalidAccessKeyId', status: 403 })
  })

  it('a clock 30 minutes off: RequestTimeTooSkewed 403', async () => {
    const skewed = client({ systemClockOffset: -30 * 60_000 })
    const put = () => skewed.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 't' }))
    expect(await writingNothing(() => refusal(put()))).toEqual({ code: 'RequestTimeTooSkewed', status: 403 })
  })

  it('a body swapped after signing: XAmzContentSHA256Mismatch 400', async () => {
    const url = new URL(`/s3/${BUCKET}/${key}`, stack.workerUrl)
    const signed = await signPut(url, 'the-real-token')
    const answer = await writingNothing(async () => rawStatus(await fetch(url, { method: 'PUT', headers: signed.headers, body: 'the-evil-token' })))
    expect(answer).toMatchObject({ status: 400, code: 'XAmzContentSHA256Mismatch' })
  })

  it('a presigned URL replayed after it expired: AccessDenied "Request has expired"', async () => {
    const url = new URL(`/s3/${BUCKET}/${key}`, stack.workerUrl)
    const expired = await presignPut(url, 5, new Date(Date.now() - 60_000))
    const answer = await writingNothing(async () => rawStatus(await fetch(expired, { method: 'PUT', body: 'late-token' })))
    expect(answer).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Request has expired',
    })
    // The same PUT presigned in time is taken, and the listing above would have seen it.
    const fresh = await presignPut(new URL(`/s3/${BUCKET}/http_requests/ownership-challenge-presigned.txt`, stack.workerUrl), 60)
    expect((await fetch(fresh, { method: 'PUT', body: 'presigned-token' })).status).toBe(200)
    expect(await storedKeys(S3_PREFIX)).toContain(`${S3_PREFIX}ownership-challenges/${BUCKET}/http_requests/ownership-challenge-presigned.txt.json`)
  })

  it('left no trace of the refused challenge', async () => {
    expect((await challenges()).map((c) => c.key)).not.toContain(key)
    expect(await storedKeys(`${S3_PREFIX}ownership-challenges/${BUCKET}/${key}`)).toEqual([])
  })

  it('anything unsupported: NotImplemented 501', async () => {
    expect(await refusal(client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'http_requests/x.log.gz' })))).toMatchObject({ status: 501 })
  })
})

describe('multipart upload', () => {
  const key = 'http_requests/20261125/20261125T101010Z_20261125T101110Z_multi.log.gz'

  it('stages parts in the real bucket, not in memory, and Abort removes them', async () => {
    const s3 = client()
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))
    expect(UploadId).toMatch(/^[0-9a-f]{32}$/)
    const part1 = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: 'a'.repeat(1024) }))
    const part2 = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: 'b'.repeat(10) }))
    expect([part1.ETag, part2.ETag]).toEqual([`"${md5('a'.repeat(1024))}"`, `"${md5('b'.repeat(10))}"`])
    const staged = await storedKeys(`${S3_PREFIX}staging/s3-proxy/${UploadId}/`)
    expect(staged.map((k) => k.slice(k.lastIndexOf('/') + 1))).toEqual([
      'part-00001',
      `part-00001.etag-${md5('a'.repeat(1024))}-1024`,
      'part-00002',
      `part-00002.etag-${md5('b'.repeat(10))}-10`,
      'upload.json',
    ])
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }))
    expect(await storedKeys(`${S3_PREFIX}staging/s3-proxy/${UploadId}/`)).toEqual([])
    expect(await refusal(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 3, Body: 'c' })))).toEqual({
      code: 'NoSuchUpload',
      status: 404,
    })
  })

  it('stages a part of several MB, streamed through to the bucket', async () => {
    const s3 = client()
    const body = randomBytes(6 * 1024 * 1024 + 1)
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: body }))
    expect(ETag).toBe(`"${md5(body)}"`)
    const staged = await stack.store.send(new GetObjectCommand({ Bucket: OUTPUT_BUCKET, Key: `${S3_PREFIX}staging/s3-proxy/${UploadId}/part-00001` }))
    expect(Buffer.from(await staged.Body!.transformToByteArray()).equals(body)).toBe(true)
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }))
  })

  it('a part whose body was swapped after signing is refused and not staged', async () => {
    const s3 = client()
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))
    const url = new URL(`/s3/${BUCKET}/${key}?partNumber=1&uploadId=${UploadId}`, stack.workerUrl)
    const signed = await signPut(url, 'x'.repeat(100_000))
    const response = await fetch(url, { method: 'PUT', headers: signed.headers, body: 'y'.repeat(100_000) })
    expect(await rawStatus(response)).toMatchObject({ status: 400, code: 'XAmzContentSHA256Mismatch' })
    expect(await storedKeys(`${S3_PREFIX}staging/s3-proxy/${UploadId}/`)).toEqual([`${S3_PREFIX}staging/s3-proxy/${UploadId}/upload.json`])
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }))
  })

  it('Complete streams the parts as one batch through the pipeline and removes the staging', async () => {
    const s3 = client()
    const lines = gzipSync(Buffer.from(sampleHttpRequests(50)))
    const half = Math.floor(lines.length / 2)
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))
    const parts = []
    for (const [i, body] of [lines.subarray(0, half), lines.subarray(half)].entries()) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: i + 1, Body: body }))
      parts.push({ ETag, PartNumber: i + 1 })
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: parts } }))
    expect((await storedKeys(`${S3_PREFIX}logs/cloudflare_httprequest/`)).length).toBeGreaterThan(0)
    await expect.poll(() => storedKeys(`${S3_PREFIX}staging/s3-proxy/${UploadId}/`)).toEqual([])
  })
})

describe('log data through the pipeline', () => {
  it('PutObject of a gzip NDJSON batch lands enriched in the real bucket', async () => {
    const key = 'http_requests/20261125/20261125T101010Z_20261125T101110Z_put.log.gz'
    const put = await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: gzipSync(Buffer.from(sampleHttpRequests(3))) }))
    expect(put.ETag).toBeDefined()
    expect((await storedKeys(`${S3_PREFIX}logs/cloudflare_httprequest/`)).length).toBeGreaterThan(0)
  })

  it('a batch body swapped after signing is refused and writes nothing', async () => {
    const url = new URL(`/s3/${BUCKET}/http_requests/20261125/swapped.log`, stack.workerUrl)
    const signed = await signPut(url, sampleHttpRequests(1))
    // Under the whole prefix: no logs/, quarantine/ or staging/ object either.
    const swapped = sampleHttpRequests(1).replace('GET', 'PUT')
    const answer = await writingNothing(async () => rawStatus(await fetch(url, { method: 'PUT', headers: signed.headers, body: swapped })))
    expect(answer).toMatchObject({ status: 400, code: 'XAmzContentSHA256Mismatch' })
  })
})

describe('aws CLI', () => {
  let cli: ((args: string[]) => Promise<{ stdout: string; stderr: string }>) | undefined

  beforeAll(async () => {
    const found = await run('aws', ['--version']).then(
      () => true,
      () => false,
    )
    if (!found) return
    const home = mkdtempSync(join(tmpdir(), 'logpush-edge-awscli-'))
    writeFileSync(join(home, 'config'), '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n')
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_ACCESS_KEY_ID: PROXY_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: PROXY_KEY.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    }
    const endpoint = new URL('/s3', stack.workerUrl).href
    cli = (args) => run('aws', ['--endpoint-url', endpoint, ...args], { env, timeout: 30_000 })
  })

  it('head-bucket, put-object of a challenge and s3 ls work as against S3', async (context) => {
    if (!cli) return context.skip('the aws CLI is not installed')
    await cli(['s3api', 'head-bucket', '--bucket', BUCKET])
    const dir = mkdtempSync(join(tmpdir(), 'logpush-edge-cli-body-'))
    writeFileSync(join(dir, 'token.txt'), 'cli-token\n')
    const put = await cli(['s3api', 'put-object', '--bucket', BUCKET, '--key', 'firewall_events/ownership-challenge-cli.txt', '--body', join(dir, 'token.txt')])
    expect(JSON.parse(put.stdout).ETag).toBe(`"${md5('cli-token\n')}"`)
    expect((await challenges()).map((c) => c.token)).toContain('cli-token')
    const ls = await cli(['s3', 'ls', `s3://${BUCKET}/firewall_events/`])
    expect(ls.stdout).toContain('ownership-challenge-cli.txt')
  })

  it('a wrong secret is refused', async (context) => {
    if (!cli) return context.skip('the aws CLI is not installed')
    const failed = await run('aws', ['--endpoint-url', new URL('/s3', stack.workerUrl).href, 's3api', 'head-bucket', '--bucket', BUCKET], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: tmpdir(),
        AWS_ACCESS_KEY_ID: 'logpush',
        AWS_SECRET_ACCESS_KEY: 'nope',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    }).then(
      () => undefined,
      (e: { stderr: string }) => e.stderr,
    )
    expect(failed).toContain('403')
  })

  it('s3 cp of a log file lands enriched in the real bucket', async (context) => {
    if (!cli) return context.skip('the aws CLI is not installed')
    const dir = mkdtempSync(join(tmpdir(), 'logpush-edge-cli-body-'))
    writeFileSync(join(dir, 'batch.log.gz'), gzipSync(Buffer.from(sampleHttpRequests(5))))
    await cli(['s3', 'cp', join(dir, 'batch.log.gz'), `s3://${BUCKET}/http_requests/20261125/cli.log.gz`])
    expect((await storedKeys(`${S3_PREFIX}logs/cloudflare_httprequest/`)).length).toBeGreaterThan(0)
  })
})

function md5(text: string | Uint8Array): string {
  return createHash('md5').update(text).digest('hex')
}

function sampleHttpRequests(count: number): string {
  let text = ''
  for (let i = 0; i < count; i++) {
    text += `${JSON.stringify({
      ClientIP: `192.0.2.${i % 250}`,
      ClientRequestHost: 'example.com',
      ClientRequestMethod: 'GET',
      ClientRequestURI: `/path/${i}`,
      EdgeStartTimestamp: 1764065410000000000 + i,
      EdgeEndTimestamp: 1764065410000000000 + i + 1000,
      EdgeResponseStatus: 200,
      RayID: `7c${i.toString(16).padStart(14, '0')}`,
    })}\n`
  }
  return text
}
