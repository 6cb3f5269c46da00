import type { ObjectStore } from './object-store'

const FOLDER = 'ownership-challenges/'
const MAX_LISTED = 100

export interface ChallengeRecord {
  bucket: string
  key: string
  token: string
  /** ISO 8601 */
  receivedAt: string
}

export interface ChallengeStore {
  put(record: ChallengeRecord): Promise<void>
  /** Newest first. */
  list(): Promise<ChallengeRecord[]>
}

/**
 * Keeps ownership challenges in the real bucket, one JSON object each under
 * `<S3_PREFIX>ownership-challenges/<bucket>/<key>.json`: durable, visible to whoever owns the
 * bucket, and no Durable Object class or migration to add for a handful of tiny records.
 * @example bucketChallengeStore(store, config.S3_PREFIX)
 */
export function bucketChallengeStore(store: ObjectStore, s3Prefix: string): ChallengeStore {
  const root = `${s3Prefix}${FOLDER}`
  return {
    async put(record) {
      const body = new TextEncoder().encode(JSON.stringify(record))
      await store.put(`${root}${record.bucket}/${literalDots(record.key)}.json`, body, body.length)
    },
    async list() {
      const keys = (await store.list(root)).filter((key) => key.endsWith('.json')).slice(0, MAX_LISTED)
      const records = await Promise.all(
        keys.map(async (key) => {
          const body = await store.get(key)
          if (!body) return undefined
          try {
            return JSON.parse(await new Response(body).text()) as ChallengeRecord
          } catch {
            return undefined
          }
        }),
      )
      return records
        .filter((record): record is ChallengeRecord => record !== undefined)
        .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
    },
  }
}

// URL parsing would fold a `.` or `..` segment away on the way to the bucket, so the S3 client
// refuses such keys: spell their dots out.
function literalDots(key: string): string {
  return key
    .split('/')
    .map((part) => (part === '.' || part === '..' ? part.replace(/\./g, '%2E') : part))
    .join('/')
}
