// The AWS SDK's signer with Node's hashes: for the raw requests an S3 client will not send
// (a body swapped after signing, a presigned URL replayed after it expired).
import { createHash, createHmac } from 'node:crypto'
import { SignatureV4 } from '@smithy/signature-v4'
import { PROXY_KEY } from './harness'

type SourceData = string | ArrayBuffer | ArrayBufferView

const bytes = (data: SourceData) =>
  typeof data === 'string' ? Buffer.from(data) : data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength)

class NodeSha256 {
  private hash
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }
  update(data: SourceData) {
    this.hash.update(bytes(data))
  }
  async digest() {
    return new Uint8Array(this.hash.digest())
  }
  reset() {}
}

export const signer = (secretAccessKey = PROXY_KEY.secretAccessKey) =>
  new SignatureV4({ service: 's3', region: 'us-east-1', credentials: { ...PROXY_KEY, secretAccessKey }, sha256: NodeSha256, uriEscapePath: false })

export interface RawRequest {
  method: string
  url: URL
  headers: Record<string, string>
}

/** Signs a PUT of `body` (its SHA-256 in x-amz-content-sha256), as an S3 SDK does over http. */
export async function signPut(url: URL, body: string): Promise<RawRequest> {
  const query = Object.fromEntries(url.searchParams)
  const signed = await signer().sign({
    method: 'PUT',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query,
    headers: { host: url.host, 'content-length': String(Buffer.byteLength(body)) },
    body,
  })
  // fetch sets host and content-length itself, to the same values that were signed.
  const { host: _host, 'content-length': _length, ...headers } = signed.headers
  return { method: 'PUT', url, headers }
}

/** A presigned PUT URL signed at `signedAt`, valid for `expiresIn` seconds. */
export async function presignPut(url: URL, expiresIn: number, signedAt = new Date()): Promise<URL> {
  const signed = await signer().presign(
    {
      method: 'PUT',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { expiresIn, signingDate: signedAt },
  )
  const out = new URL(url)
  for (const [name, value] of Object.entries(signed.query ?? {})) out.searchParams.set(name, String(value))
  return out
}
