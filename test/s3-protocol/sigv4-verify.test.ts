import { describe, expect, it } from 'vitest'
import { SigV4Error, canonicalUri, verifySigV4 } from '../../src/s3-protocol/sigv4'
import { ACCESS_KEY_ID, SECRET, presignedRequest, sha256Hex, signedRequest } from '../s3-endpoint/signing'

const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }
const MINUTE = 60_000

async function refusal(request: Request, now = Date.now()): Promise<SigV4Error> {
  const error = await verifySigV4(request, { credentials, now }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SigV4Error)
  return error as SigV4Error
}

describe('verifySigV4, header auth', () => {
  it('accepts a request signed by the AWS SDK signer, with its payload hash', async () => {
    const body = '{"a":1}\n'
    const request = await signedRequest({ path: '/s3/logs/http_requests/20261125/a.log.gz', body })
    const verified = await verifySigV4(request, { credentials })
    expect(verified.auth).toBe('header')
    expect(verified.region).toBe('us-east-1')
    expect(verified.payloadHash).toBe(await sha256Hex(body))
  })

  it('accepts keys that need encoding and an unsorted query', async () => {
    const request = await signedRequest({
      method: 'POST',
      path: `/s3/logs/${encodeURIComponent('dir with space')}/a%21b%2A%28c%29/${encodeURIComponent('é.log')}`,
      query: { uploadId: 'abc', partNumber: '2', 'x-id': 'UploadPart' },
      payloadHash: 'UNSIGNED-PAYLOAD',
    })
    await expect(verifySigV4(request, { credentials })).resolves.toMatchObject({ payloadHash: 'UNSIGNED-PAYLOAD' })
  })

  it('refuses a wrong secret with SignatureDoesNotMatch (403), without echoing the secret', async () => {
    const error = await refusal(await signedRequest({ path: '/s3/logs/a/b', body: 'x', secret: 'not-the-secret' }))
    expect(error.code).toBe('SignatureDoesNotMatch')
    expect(error.status).toBe(403)
    expect(JSON.stringify(error.detail)).not.toContain(SECRET)
  })

  it('refuses an unknown key id with InvalidAccessKeyId (403)', async () => {
    const error = await refusal(await signedRequest({ path: '/s3/logs/a/b', body: 'x', accessKeyId: 'someone-else' }))
    expect([error.code, error.status]).toEqual(['InvalidAccessKeyId', 403])
  })

  it('refuses a request dated more than 15 minutes off with RequestTimeTooSkewed (403)', async () => {
    const past = await refusal(await signedRequest({ path: '/s3/logs/a/b', body: 'x', date: new Date(Date.now() - 16 * MINUTE) }))
    expect([past.code, past.status]).toEqual(['RequestTimeTooSkewed', 403])
    const future = await refusal(await signedRequest({ path: '/s3/logs/a/b', body: 'x', date: new Date(Date.now() + 16 * MINUTE) }))
    expect(future.code).toBe('RequestTimeTooSkewed')
    await expect(
      verifySigV4(await signedRequest({ path: '/s3/logs/a/b', body: 'x', date: new Date(Date.now() - 14 * MINUTE) }), { credentials }),
    ).resolves.toBeDefined()
  })

  it('refuses a signed header changed in transit', async () => {
    const request = await signedRequest({ path: '/s3/logs/a/b', body: 'x', headers: { 'x-amz-meta-source': 'logpush' } })
    const headers = new Headers(request.headers)
    headers.set('x-amz-meta-source', 'mallory')
    const error = await refusal(new Request(request, { headers }))
    expect(error.code).toBe('SignatureDoesNotMatch')
    expect(error.detail.CanonicalRequest).toContain('x-amz-meta-source:mallory')
  })

  it('refuses a changed path, query or method', async () => {
    const request = await signedRequest({ path: '/s3/logs/a/b', query: { uploadId: '1' }, payloadHash: 'UNSIGNED-PAYLOAD', method: 'DELETE' })
    for (const url of ['http://edge.example.com/s3/logs/a/c?uploadId=1', 'http://edge.example.com/s3/logs/a/b?uploadId=2']) {
      expect((await refusal(new Request(url, request))).code).toBe('SignatureDoesNotMatch')
    }
    expect((await refusal(new Request(request.url, { method: 'GET', headers: request.headers }))).code).toBe('SignatureDoesNotMatch')
  })

  it('refuses anonymous requests, SigV2 and a header without x-amz-content-sha256', async () => {
    expect((await refusal(new Request('http://edge.example.com/s3/logs/a', { method: 'PUT', body: 'x' }))).code).toBe('AccessDenied')
    const v2 = new Request('http://edge.example.com/s3/logs/a', { headers: { authorization: 'AWS logpush:abcd', date: new Date().toUTCString() } })
    expect((await refusal(v2)).code).toBe('InvalidRequest')
    const signed = await signedRequest({ path: '/s3/logs/a/b', body: 'x' })
    const headers = new Headers(signed.headers)
    headers.delete('x-amz-content-sha256')
    expect((await refusal(new Request(signed, { headers }))).code).toBe('InvalidRequest')
  })
})

describe('verifySigV4, presigned URLs', () => {
  it('accepts a presigned URL within its lifetime, even one signed long ago', async () => {
    const fresh = await presignedRequest({ path: '/s3/logs/a/b', body: 'x' })
    await expect(verifySigV4(fresh, { credentials })).resolves.toMatchObject({ auth: 'query', payloadHash: 'UNSIGNED-PAYLOAD' })
    const old = await presignedRequest({ path: '/s3/logs/a/b', expiresIn: 3 * 3600, date: new Date(Date.now() - 2 * 3600_000) })
    await expect(verifySigV4(old, { credentials })).resolves.toBeDefined()
  })

  it('refuses a presigned URL replayed after X-Amz-Expires with AccessDenied "Request has expired"', async () => {
    const request = await presignedRequest({ path: '/s3/logs/a/b', expiresIn: 60 })
    const error = await refusal(request, Date.now() + 2 * MINUTE)
    expect([error.code, error.status, error.message]).toEqual(['AccessDenied', 403, 'Request has expired'])
  })

  it('refuses a presigned URL with a changed query, wrong secret or unknown key', async () => {
    const request = await presignedRequest({ path: '/s3/logs/a/b' })
    const url = new URL(request.url)
    url.searchParams.set('X-Amz-Expires', '604800')
    expect((await refusal(new Request(url, request))).code).toBe('SignatureDoesNotMatch')
    expect((await refusal(await presignedRequest({ path: '/s3/logs/a/b', secret: 'nope' }))).code).toBe('SignatureDoesNotMatch')
    expect((await refusal(await presignedRequest({ path: '/s3/logs/a/b', accessKeyId: 'nope' }))).code).toBe('InvalidAccessKeyId')
  })
})

describe('canonicalUri', () => {
  it('encodes each segment once, as S3 does, whether the client sent it raw or encoded', () => {
    expect(canonicalUri('/s3/b/a%20b/c!d')).toBe('/s3/b/a%20b/c%21d')
    expect(canonicalUri('/s3/b/%C3%A4+~_-.%21*()')).toBe('/s3/b/%C3%A4%2B~_-.%21%2A%28%29')
    expect(canonicalUri('/s3/b/a//b/')).toBe('/s3/b/a//b/')
  })
})
