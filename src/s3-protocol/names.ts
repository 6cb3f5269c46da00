import { uriEncode } from './sigv4'

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** S3's rule for a bucket name (lower case, digits, dots and hyphens, 3 to 63 long). */
export function isBucketName(name: string): boolean {
  return BUCKET_NAME.test(name)
}

/** URI-encodes an object key segment by segment, as S3 and SigV4 expect. */
export function encodeKey(key: string): string {
  if (key === '') throw new TypeError('S3 object key must not be empty')
  const segments = key.split('/')
  // URLs resolve '.' and '..' segments (even percent-encoded), which would change the key.
  if (segments.some((s) => s === '.' || s === '..')) throw new TypeError('S3 object key must not have "." or ".." segments')
  return segments.map(uriEncode).join('/')
}
