import type { ObjectStore } from './object-store'

const FOLDER = 'ownership-challenges/'
const MAX_LISTED = 100
// Records read at once while listing: the newest can be anywhere in key order.
const READ_CONCURRENCY = 16

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
      // Keys say nothing of when a challenge came, so every record is read before the newest
      // MAX_LISTED are kept: cutting the key list first could drop the one just written.
      const keys = (await store.list(root)).filter((key) => key.endsWith('.json'))
      const records: ChallengeRecord[] = []
      for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
        const read = await Promise.all(keys.slice(i, i + READ_CONCURRENCY).map((key) => readRecord(store, key)))
        for (const record of read) if (record) records.push(record)
      }
      return records.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt)).slice(0, MAX_LISTED)
    },
  }
}

async function readRecord(store: ObjectStore, key: string): Promise<ChallengeRecord | undefined> {
  const body = await store.get(key)
  if (!body) return undefined
  try {
    return JSON.parse(await new Response(body).text()) as ChallengeRecord
  } catch {
    return undefined
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
