import { describe, expect, it } from 'vitest'
import { S3XmlError } from '../../src/s3-endpoint/errors'
import { openPayload } from '../../src/s3-endpoint/payload'
import { createChecksum, toBase64 } from '../../src/s3-protocol/checksums'
import { verifySigV4 } from '../../src/s3-protocol/sigv4'
import { signString, signedRequest } from './signing'

// AWS's published example of a signed streaming upload (sigv4-streaming): 66,560 bytes of 'a' in a
// 64 KiB chunk, a 1 KiB chunk and the final empty one. A pass means chunk chaining matches S3.
const EXAMPLE = {
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  now: Date.UTC(2013, 4, 24),
  seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  chunks: [
    [65536, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'],
    [1024, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'],
    [0, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'],
  ] as const,
}

const encoder = new TextEncoder()

function exampleBody(corrupt = false): Uint8Array {
  let text = ''
  for (const [size, signature] of EXAMPLE.chunks) {
    const data = 'a'.repeat(size).split('')
    if (corrupt && size === 1024) data[10] = 'b'
    text += `${size.toString(16)};chunk-signature=${signature}\r\n${data.join('')}\r\n`
  }
  return encoder.encode(text)
}

function exampleRequest(body: Uint8Array): Request {
  return new Request('http://s3.amazonaws.com/examplebucket/chunkObject.txt', {
    method: 'PUT',
    body,
    headers: {
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': String(body.length),
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
        'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,' +
        `Signature=${EXAMPLE.seed}`,
    },
  })
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

async function failureOf(stream: ReadableStream<Uint8Array>): Promise<S3XmlError> {
  const error = await readAll(stream).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(S3XmlError)
  return error as S3XmlError
}

describe('openPayload, aws-chunked with chunk signatures (AWS example)', () => {
  it('verifies the seed and every chunk signature and yields the object bytes', async () => {
    const body = exampleBody()
    expect(body.length).toBe(66824)
    const request = exampleRequest(body)
    const verified = await verifySigV4(request, { credentials: EXAMPLE.credentials, now: EXAMPLE.now })
    const payload = openPayload(request, verified, { maxBytes: 1 << 20 })
    const data = await readAll(payload.body)
    expect(data.length).toBe(66560)
    expect(data.every((byte) => byte === 0x61)).toBe(true)
    await expect(payload.done).resolves.toMatchObject({ bytes: 66560 })
  })

  it('refuses a chunk changed in transit with SignatureDoesNotMatch', async () => {
    const request = exampleRequest(exampleBody(true))
    const verified = await verifySigV4(request, { credentials: EXAMPLE.credentials, now: EXAMPLE.now })
    const payload = openPayload(request, verified, { maxBytes: 1 << 20 })
    expect((await failureOf(payload.body)).code).toBe('SignatureDoesNotMatch')
    expect(payload.failure()?.code).toBe('SignatureDoesNotMatch')
    await expect(payload.done).rejects.toBeInstanceOf(S3XmlError)
  })
})

describe('openPayload, signed payload hash', () => {
  it('passes a body that matches x-amz-content-sha256, with its MD5 as ETag', async () => {
    const request = await signedRequest({ path: '/s3/logs/a/b', body: 'hello world' })
    const verified = await verifySigV4(request, { credentials: { accessKeyId: 'logpush', secretAccessKey: 'logpush-secret' } })
    const payload = openPayload(request, verified, { maxBytes: 100 })
    expect(new TextDecoder().decode(await readAll(payload.body))).toBe('hello world')
    await expect(payload.done).resolves.toEqual({ md5: '5eb63bbbe01eeed093cb22bb8f5acdc3', bytes: 11, checksum: undefined })
  })

  it('errors the stream at its end with XAmzContentSHA256Mismatch when the body was swapped', async () => {
    const signed = await signedRequest({ path: '/s3/logs/a/b', body: 'hello world' })
    const verified = await verifySigV4(signed, { credentials: { accessKeyId: 'logpush', secretAccessKey: 'logpush-secret' } })
    const tampered = new Request(signed, { body: 'HELLO WORLD' })
    const payload = openPayload(tampered, verified, { maxBytes: 100 })
    const error = await failureOf(payload.body)
    expect([error.code, error.status]).toEqual(['XAmzContentSHA256Mismatch', 400])
  })

  it('holds the last bytes back until the checks pass, so a fixed-length store never completes a bad body', async () => {
    const body = 'x'.repeat(1000)
    const signed = await signedRequest({ path: '/s3/logs/a/b', body })
    const verified = await verifySigV4(signed, { credentials: { accessKeyId: 'logpush', secretAccessKey: 'logpush-secret' } })
    const payload = openPayload(new Request(signed, { body: 'y'.repeat(1000) }), verified, { maxBytes: 2000 })
    const reader = payload.body.getReader()
    let received = 0
    const error = await (async () => {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return undefined
        received += value.length
      }
    })().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'XAmzContentSHA256Mismatch' })
    expect(received).toBeLessThan(1000)
  })

  it('refuses a declared length over the cap before reading a byte', async () => {
    const request = await signedRequest({ path: '/s3/logs/a/b', body: 'x'.repeat(101) })
    const verified = await verifySigV4(request, { credentials: { accessKeyId: 'logpush', secretAccessKey: 'logpush-secret' } })
    expect(() => openPayload(request, verified, { maxBytes: 100 })).toThrowError(expect.objectContaining({ code: 'EntityTooLarge' }))
  })
})

describe('openPayload, unsigned aws-chunked with a checksum trailer (the AWS SDK default for streams)', () => {
  const unsigned = async (body: string, trailer = 'x-amz-checksum-crc32', decoded = '11') => {
    const signed = await signedRequest({
      path: '/s3/logs/a/b',
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: { 'x-amz-trailer': trailer, 'x-amz-decoded-content-length': decoded, 'content-encoding': 'aws-chunked' },
    })
    const request = new Request(signed, { body })
    const verified = await verifySigV4(request, { credentials: { accessKeyId: 'logpush', secretAccessKey: 'logpush-secret' } })
    return openPayload(request, verified, { maxBytes: 1000 })
  }

  it('decodes the chunks and checks the trailing CRC32', async () => {
    const payload = await unsigned('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n')
    expect(new TextDecoder().decode(await readAll(payload.body))).toBe('hello world')
    await expect(payload.done).resolves.toMatchObject({ checksum: { header: 'x-amz-checksum-crc32', value: 'DUoRhQ==' } })
  })

  it('refuses a wrong trailing checksum with BadDigest and broken framing with an error', async () => {
    expect((await failureOf((await unsigned('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n')).body)).code).toBe('BadDigest')
    for (const broken of ['zz\r\nhello\r\n', '5\r\nhel', '5\r\nhelloXX0\r\n\r\n', '1'.repeat(5000)]) {
      await failureOf((await unsigned(broken)).body)
    }
  })
})

describe('openPayload, signed aws-chunked with a signed trailer', () => {
  it('checks chunk signatures and the trailer signature', async () => {
    const date = new Date()
    const body = 'hello world'
    const crc = createChecksum('crc32c')
    crc.update(encoder.encode(body))
    const checksum = toBase64(await crc.digest())
    const signed = await signedRequest({
      path: '/s3/logs/a/b',
      date,
      payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      headers: { 'x-amz-trailer': 'x-amz-checksum-crc32c', 'x-amz-decoded-content-length': '11', 'content-encoding': 'aws-chunked' },
    })
    const seed = /Signature=([0-9a-f]+)/.exec(signed.headers.get('authorization')!)![1]!
    const amzDate = signed.headers.get('x-amz-date')!
    const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    const { sha256Hex } = await import('./signing')
    const chunkSig = (previous: string, data: string) =>
      sha256Hex(data).then((hash) => signString(['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, empty, hash].join('\n'), date))
    const sig1 = await chunkSig(seed, body)
    const sig2 = await chunkSig(sig1, '')
    const trailer = `x-amz-checksum-crc32c:${checksum}\n`
    const trailerSig = await signString(['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, sig2, await sha256Hex(trailer)].join('\n'), date)
    const framed = (sig: string) =>
      `b;chunk-signature=${sig1}\r\n${body}\r\n0;chunk-signature=${sig2}\r\nx-amz-checksum-crc32c:${checksum}\r\nx-amz-trailer-signature:${sig}\r\n\r\n`

    const open = async (text: string) => {
      const request = new Request(signed, { body: text })
      const verified = await verifySigV4(request, { credentials: { accessKeyId: 'logpush', secretAccessKey: 'logpush-secret' } })
      return openPayload(request, verified, { maxBytes: 1000 })
    }
    const good = await open(framed(trailerSig))
    expect(new TextDecoder().decode(await readAll(good.body))).toBe(body)
    expect((await failureOf((await open(framed('0'.repeat(64)))).body)).code).toBe('SignatureDoesNotMatch')
  })
})

describe('checksums', () => {
  it('match the CRC check values', async () => {
    const check = encoder.encode('123456789')
    const hex = async (algorithm: 'crc32' | 'crc32c' | 'crc64nvme') => {
      const sum = createChecksum(algorithm)
      sum.update(check.subarray(0, 4))
      sum.update(check.subarray(4))
      return [...(await sum.digest())].map((b) => b.toString(16).padStart(2, '0')).join('')
    }
    expect(await hex('crc32')).toBe('cbf43926')
    expect(await hex('crc32c')).toBe('e3069283')
    expect(await hex('crc64nvme')).toBe('ae8b14860a799888')
  })
})
