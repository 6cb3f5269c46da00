import { Sha256 } from '@aws-crypto/sha256-js'
import { SignatureV4 } from '@smithy/signature-v4'
import { describe, expect, it } from 'vitest'
import { S3Client } from '../../src/storage/s3/client'
import { toBase64 } from '../../src/s3-protocol/checksums'

// Recomputes the signature of each request S3Client sends with an independent SigV4
// implementation (the AWS SDK's), since the local S3 server does not verify signatures.
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const region = 'eu-west-1'

const reference = new SignatureV4({ service: 's3', region, credentials, sha256: Sha256, uriEscapePath: false })

/** An S3Client whose requests are captured and answered by `answer` instead of sent. */
function capturing(answer: () => Response) {
  const sent: Request[] = []
  const s3 = new S3Client({
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    region,
    bucket: 'cloudflare-logs',
    ...credentials,
    fetch: async (request) => {
      sent.push(request)
      return answer()
    },
  })
  return { s3, sent }
}

async function referenceAuthorization(request: Request): Promise<{ authorization: string; payloadHash: string }> {
  const url = new URL(request.url)
  const amzDate = request.headers.get('x-amz-date') as string
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`)
  const headers: Record<string, string> = { host: url.host }
  // Everything but the payload hash, which the reference computes from the body itself, unless
  // the payload is unsigned: the reference then signs the header as given.
  const unsigned = request.headers.get('x-amz-content-sha256') === 'UNSIGNED-PAYLOAD'
  for (const [name, value] of request.headers) {
    if (name !== 'authorization' && (unsigned || name !== 'x-amz-content-sha256')) headers[name] = value
  }
  const query: Record<string, string> = {}
  for (const [name, value] of url.searchParams) query[name] = value
  const body = request.body && !unsigned ? new Uint8Array(await request.clone().arrayBuffer()) : undefined
  const signed = await reference.sign(
    { method: request.method, protocol: url.protocol, hostname: url.hostname, path: url.pathname, query, headers, body },
    // aws4fetch leaves Content-Type and Content-Length out of the signature, which SigV4 allows.
    { signingDate, unsignableHeaders: new Set(['content-type', 'content-length']) },
  )
  return { authorization: signed.headers.authorization as string, payloadHash: signed.headers['x-amz-content-sha256'] as string }
}

async function expectSameSignature(request: Request | undefined): Promise<void> {
  expect(request).toBeDefined()
  const expected = await referenceAuthorization(request as Request)
  expect(request?.headers.get('authorization')).toBe(expected.authorization)
  expect(request?.headers.get('x-amz-content-sha256')).toBe(expected.payloadHash)
}

describe('SigV4 signatures match an independent implementation', () => {
  it('PutObject with a key that needs encoding, an unsigned payload and a signed Content-MD5', async () => {
    const { s3, sent } = capturing(() => new Response(null, { headers: { ETag: '"e"' } }))
    const body = new TextEncoder().encode('{"ClientIP":"192.0.2.1"}\n')
    await s3.putObject("logs/cloudflare_http/year=2026/a b+c(1)*!'é~.json.gz", body, {
      'Content-Type': 'application/x-ndjson',
      'Content-Encoding': 'gzip',
    })
    await expectSameSignature(sent[0])
    expect(sent[0]?.headers.get('x-amz-content-sha256')).toBe('UNSIGNED-PAYLOAD')
    expect(sent[0]?.headers.get('authorization')).toMatch(/SignedHeaders=[^,]*content-md5;/)
    expect(sent[0]?.headers.get('content-md5')).toBe(toBase64(new Uint8Array(await crypto.subtle.digest('MD5', body))))
    expect(new URL(sent[0]!.url).pathname).toBe('/cloudflare-logs/logs/cloudflare_http/year%3D2026/a%20b%2Bc%281%29%2A%21%27%C3%A9~.json.gz')
  })

  it('PutObject from a stream, with an unsigned payload', async () => {
    const { s3, sent } = capturing(() => new Response(null, { headers: { ETag: '"e"' } }))
    const body = new Blob(['{"a":1}\n']).stream()
    await s3.putObjectStream('staging/s3-proxy/0123/part-00001', body, 8, { 'Content-Type': 'application/octet-stream' })
    expect(sent[0]?.headers.get('x-amz-content-sha256')).toBe('UNSIGNED-PAYLOAD')
    await expectSameSignature(sent[0])
  })

  it('multipart calls: an empty-valued query parameter, upload ids and an XML body', async () => {
    const xml = '<InitiateMultipartUploadResult><UploadId>abc/def+ghi=</UploadId></InitiateMultipartUploadResult>'
    const { s3, sent } = capturing(() => new Response(xml, { headers: { ETag: '"p1"' } }))
    const uploadId = await s3.createMultipartUpload('logs/a.json.gz', { 'Content-Type': 'application/x-ndjson' })
    await s3.uploadPart('logs/a.json.gz', uploadId, 1, new Uint8Array(1000).fill(7))
    await s3.completeMultipartUpload('logs/a.json.gz', uploadId, [{ partNumber: 1, etag: '"p1"' }])
    await s3.abortMultipartUpload('logs/a.json.gz', uploadId)
    expect(sent.map((r) => r.method)).toEqual(['POST', 'PUT', 'POST', 'DELETE'])
    for (const request of sent) await expectSameSignature(request)
  })

  it('ListObjectsV2 with a prefix and a continuation token that need encoding', async () => {
    const pages = [
      '<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>1/a+b==</NextContinuationToken><Contents><Key>p/1</Key></Contents></ListBucketResult>',
      '<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/2</Key></Contents></ListBucketResult>',
    ]
    const { s3, sent } = capturing(() => new Response(pages.shift()))
    expect(await s3.listKeys('logs/a b&c=d/', { pageSize: 500 })).toEqual(['p/1', 'p/2'])
    expect(new URL(sent[1]!.url).searchParams.get('continuation-token')).toBe('1/a+b==')
    for (const request of sent) await expectSameSignature(request)
  })
})
