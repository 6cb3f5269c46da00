import { isBucketName } from '../s3-protocol/names'
import { decodeLenient } from '../s3-protocol/sigv4'
import { S3XmlError } from './errors'

/**
 * Bucket and key of a request: `<bucket>.<S3_PROXY_HOST>/<key>`, `<S3_PROXY_HOST>/<bucket>/<key>`,
 * or `<mountPath>/<bucket>/<key>` on any other host. Undefined when no bucket is named.
 */
export function resolveAddress(request: Request, url: URL, proxyHost: string | undefined, mountPath: string) {
  const host = hostOf(request, url)
  let path = url.pathname
  let bucket: string | undefined
  if (proxyHost && host.endsWith(`.${proxyHost}`)) {
    bucket = host.slice(0, -(proxyHost.length + 1))
  } else if (!(proxyHost && host === proxyHost)) {
    path = path.startsWith(`${mountPath}/`) ? path.slice(mountPath.length) : '/'
  }
  if (bucket === undefined) {
    const slash = path.indexOf('/', 1)
    bucket = decodeLenient(slash < 0 ? path.slice(1) : path.slice(1, slash))
    path = slash < 0 ? '/' : path.slice(slash)
  }
  if (!bucket) return undefined
  return { bucket, key: decodeLenient(path.slice(1)) }
}

export function hostOf(request: Request, url: URL): string {
  return (request.headers.get('host') ?? url.host).toLowerCase().replace(/:\d+$/, '')
}

export function checkBucket(bucket: string, allowed: string[] | undefined) {
  if (!isBucketName(bucket)) throw new S3XmlError('InvalidBucketName', 'The specified bucket is not valid.')
  if (allowed && !allowed.includes(bucket)) throw new S3XmlError('NoSuchBucket', 'The specified bucket does not exist')
}
