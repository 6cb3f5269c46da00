import type { S3Client } from '../storage/s3/client'

/**
 * The few object operations the S3 route needs from the real bucket: staging multipart parts and
 * keeping ownership challenges. Keys are full object keys (S3_PREFIX included).
 */
export interface ObjectStore {
  /** Stores a body of a known length; a stream is sent as it arrives, never buffered whole. */
  put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, length: number): Promise<void>
  get(key: string): Promise<ReadableStream<Uint8Array> | null>
  delete(key: string): Promise<void>
  list(prefix: string): Promise<string[]>
}

/**
 * The bucket behind the sink's S3 client as the route's ObjectStore: bytes in memory go up with
 * `putObject` (payload signed, retried), streams with `putObjectStream` (sent as they arrive,
 * not retried once flowing). Failures are the client's `S3Error`s.
 * @example objectStoreFromClient(s3ClientFor(readConfig(env)))
 */
export function objectStoreFromClient(client: S3Client): ObjectStore {
  return {
    async put(key, body, length) {
      if (!(body instanceof Uint8Array)) {
        await client.putObjectStream(key, body, length)
        return
      }
      if (body.byteLength !== length) throw new RangeError(`put ${key}: ${body.byteLength} bytes given as ${length}`)
      await client.putObject(key, body)
    },
    async get(key) {
      const response = await client.getObject(key)
      if (!response) return null
      return response.body ?? new Blob().stream()
    },
    delete: (key) => client.deleteObject(key),
    list: (prefix) => client.listKeys(prefix),
  }
}
