import { S3XmlError } from './errors'
import type { S3ProxyDeps, S3Request } from './context'
import { notImplemented, only, xmlResponse } from './context'
import { xmlDocument } from '../s3-protocol/xml'

const MAX_LIST_KEYS = 1000

/** HeadBucket, GetBucketLocation, ListObjectsV2; NotImplemented for the rest. */
export async function bucketOperation(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, query, verified } = request
  const method = c.req.method
  if (method === 'HEAD' && only(query, [])) {
    return new Response(null, { status: 200, headers: { 'x-amz-bucket-region': verified.region } })
  }
  if (method === 'GET' && query.has('location') && only(query, ['location'])) {
    // S3 answers us-east-1 with an empty constraint.
    const region = verified.region === 'us-east-1' ? '' : verified.region
    return xmlResponse(xmlDocument('LocationConstraint', region))
  }
  if (method === 'GET' && query.get('list-type') === '2') return listObjects(request, deps)
  throw notImplemented(method, query)
}

/**
 * ListObjectsV2 over what this endpoint keeps: the bucket's ownership challenges. Log objects are
 * not kept as sent (they are parsed into the real bucket's own layout), so they are not listed.
 */
async function listObjects(request: S3Request, deps: S3ProxyDeps): Promise<Response> {
  const { c, query, bucket } = request
  const prefix = query.get('prefix') ?? ''
  const delimiter = query.get('delimiter') ?? ''
  const maxKeysText = query.get('max-keys') ?? String(MAX_LIST_KEYS)
  if (!/^\d+$/.test(maxKeysText)) throw new S3XmlError('InvalidArgument', 'max-keys must be a non-negative integer')
  const maxKeys = Math.min(Number(maxKeysText), MAX_LIST_KEYS)
  const token = query.get('continuation-token') ?? undefined
  const after = token ?? query.get('start-after') ?? ''
  const encode = query.get('encoding-type') === 'url' ? (text: string) => text.split('/').map(encodeURIComponent).join('/') : (text: string) => text

  const records = (await deps.challenges(c.env).list())
    .filter((record) => record.bucket === bucket && record.key.startsWith(prefix) && record.key > after)
    .sort((a, b) => (a.key < b.key ? -1 : 1))
  const contents: Record<string, string | number>[] = []
  const commonPrefixes: string[] = []
  let last = ''
  let truncated = false
  for (const record of records) {
    const rest = record.key.slice(prefix.length)
    const cut = delimiter ? rest.indexOf(delimiter) : -1
    const common = cut < 0 ? undefined : prefix + rest.slice(0, cut + delimiter.length)
    if (common !== undefined && commonPrefixes.includes(common)) continue
    if (contents.length + commonPrefixes.length >= maxKeys) {
      truncated = true
      break
    }
    last = record.key
    if (common !== undefined) commonPrefixes.push(common)
    else {
      contents.push({
        Key: encode(record.key),
        LastModified: record.receivedAt,
        Size: new TextEncoder().encode(record.token).length,
        StorageClass: 'STANDARD',
      })
    }
  }
  const body = xmlDocument('ListBucketResult', {
    Name: bucket,
    Prefix: encode(prefix),
    Delimiter: delimiter ? encode(delimiter) : undefined,
    MaxKeys: maxKeys,
    KeyCount: contents.length + commonPrefixes.length,
    IsTruncated: truncated,
    EncodingType: query.get('encoding-type') === 'url' ? 'url' : undefined,
    ContinuationToken: token,
    NextContinuationToken: truncated ? last : undefined,
    StartAfter: query.get('start-after') ?? undefined,
    Contents: contents,
    CommonPrefixes: commonPrefixes.map((Prefix) => ({ Prefix: encode(Prefix) })),
  })
  return xmlResponse(body)
}
