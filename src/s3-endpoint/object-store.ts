import type { ObjectStorage } from '../ports'

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
 * The configured object storage as the route's ObjectStore: bytes in memory go up with
 * `putObject` (retried), streams with `putObjectStream` (sent as they arrive, not retried once
 * flowing). Failures are the storage's `StorageError`s.
 * @example objectStoreFrom(storageFor(env, readConfig(env)).storage)
 */
export function objectStoreFrom(client: ObjectStorage): ObjectStore {
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
