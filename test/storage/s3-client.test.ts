import { describe, expect, it } from 'vitest'
import { encodeKey } from '../../src/s3-protocol/names'
import { S3Client } from '../../src/storage/s3/client'
import { StorageError } from '../../src/ports'
import { concatBytes } from '../../src/utils/bytes'
import { firstDifference, md5Hex, noise, s3Options, uniquePrefix } from './helpers'

const encoder = new TextEncoder()

describe('S3Client against the local S3 server', () => {
  const s3 = new S3Client(s3Options())

  it('puts, heads, gets and deletes an object, keeping its headers and bytes', async () => {
    // Space, plus, parentheses, a star and non-ASCII: each must survive encoding and signing.
    const key = `${uniquePrefix('client')}year=2026/a b+c(1)*é.json`
    const body = encoder.encode('{"a":1}\n{"b":2}\n')

    const etag = await s3.putObject(key, body, { 'Content-Type': 'application/x-ndjson' })
    expect(etag).toBe(`"${await md5Hex(body)}"`)
    expect(await s3.headObject(key)).toEqual({ size: body.byteLength, etag })

    const res = await s3.getObject(key)
    expect(res?.headers.get('Content-Type')).toBe('application/x-ndjson')
    expect(new Uint8Array(await res!.arrayBuffer())).toEqual(body)

    await s3.deleteObject(key)
    expect(await s3.headObject(key)).toBeNull()
    expect(await s3.getObject(key)).toBeNull()
    await s3.deleteObject(key) // deleting what is gone is not an error
  })

  it('sends each body with the Content-MD5 of its bytes, which S3 checks them against', async () => {
    const sent: string[] = []
    const recording = new S3Client(
      s3Options({
        fetch: (request) => {
          sent.push(request.headers.get('Content-MD5') ?? '')
          return fetch(request)
        },
      }),
    )
    const hexOf = (base64: string) => [...atob(base64)].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')
    const part = crypto.getRandomValues(new Uint8Array(65_536))
    // Lengths around MD5's 64-byte blocks and its 56-byte padding boundary, and a multi-block part.
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, part.length]) {
      const key = `${uniquePrefix('md5')}${length}.bin`
      const etag = await recording.putObject(key, part.subarray(0, length))
      expect(etag).toBe(`"${await md5Hex(part.subarray(0, length))}"`)
      expect(`"${hexOf(sent.at(-1)!)}"`).toBe(etag)
    }

    const key = `${uniquePrefix('md5')}multipart.bin`
    const uploadId = await recording.createMultipartUpload(key)
    const etag = await recording.uploadPart(key, uploadId, 1, part)
    expect(`"${hexOf(sent.at(-1)!)}"`).toBe(etag)
    await recording.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag }])
    expect(sent.at(-1)).not.toBe('')
  })

  it('sends a body of several arrays as their bytes in a row, checked by the MD5 of them all', async () => {
    const pieces = [noise(1000), new Uint8Array(0), noise(70_000), noise(3)]
    const whole = concatBytes(pieces)
    const key = `${uniquePrefix('pieces')}put.bin`
    expect(await s3.putObject(key, pieces)).toBe(`"${await md5Hex(whole)}"`)
    expect(firstDifference(new Uint8Array(await (await s3.getObject(key))!.arrayBuffer()), whole)).toBe(-1)

    const multipart = `${uniquePrefix('pieces')}multipart.bin`
    const uploadId = await s3.createMultipartUpload(multipart)
    const etag = await s3.uploadPart(multipart, uploadId, 1, pieces)
    expect(etag).toBe(`"${await md5Hex(whole)}"`)
    await s3.completeMultipartUpload(multipart, uploadId, [{ partNumber: 1, etag }])
    expect(firstDifference(new Uint8Array(await (await s3.getObject(multipart))!.arrayBuffer()), whole)).toBe(-1)
  })

  it('lists every key under a prefix across pages', async () => {
    const prefix = uniquePrefix('list')
    const keys = ['a', 'b/1', 'b/2', 'c&d', 'e<f>'].map((k) => prefix + k)
    await Promise.all(keys.map((k) => s3.putObject(k, encoder.encode(k))))
    await s3.putObject(`${prefix.slice(0, -1)}-sibling`, encoder.encode('not under the prefix'))

    expect(await s3.listKeys(prefix, { pageSize: 2 })).toEqual(keys)
    expect(await s3.listKeys(prefix)).toEqual(keys)
    expect(await s3.listKeys(`${prefix}nothing/`)).toEqual([])
  })

  it('fails with a non-retryable StorageError on a 4xx, without naming the secret', async () => {
    const stranger = new S3Client(s3Options({ accessKeyId: 'stranger', secretAccessKey: 'very-secret-value' }))
    const err = await stranger.putObject('x', encoder.encode('x')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect(err).toMatchObject({ status: 403, code: 'InvalidAccessKeyId', retryable: false, attempts: 1, operation: 'PutObject' })
    expect(String((err as StorageError).message)).not.toContain('very-secret-value')
    expect(JSON.stringify(err)).not.toContain('very-secret-value')

    const noBucket = new S3Client(s3Options({ bucket: 'no-such-bucket' }))
    await expect(noBucket.getObject('x')).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket', retryable: false })
  })

  it('checks its options once, naming the bad option and never its value', () => {
    const base = s3Options()
    expect(() => new S3Client({ ...base, secretAccessKey: '' })).toThrow(/"secretAccessKey" must be a non-empty string/)
    expect(() => new S3Client({ ...base, endpoint: 'ftp://x' })).toThrow(/"endpoint"/)
    expect(() => new S3Client({ ...base, endpoint: 'http://user:hunter2@host' })).toThrow(/must not carry credentials/)
    expect(() => new S3Client({ ...base, endpoint: 'http://user:hunter2@host' })).not.toThrow(/hunter2/)
    expect(() => new S3Client({ ...base, bucket: 'Bad_Bucket' })).toThrow(/"bucket"/)
    expect(() => new S3Client({ ...base, retries: -1 })).toThrow(/"retries"/)
  })

  it('encodes keys per segment and refuses keys a URL would rewrite', () => {
    expect(encodeKey("logs/a b/c+d/(x)!*'.gz")).toBe('logs/a%20b/c%2Bd/%28x%29%21%2A%27.gz')
    expect(() => encodeKey('')).toThrow(TypeError)
    expect(() => encodeKey('a/../b')).toThrow(/segments/)
    expect(() => encodeKey('./a')).toThrow(/segments/)
  })
})
