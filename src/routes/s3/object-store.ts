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
 * The subset of the sink's `S3Client` (src/sink/s3-client.ts) the adapter calls. Its `putObject`
 * must take a stream body when `content-length` is given, or parts would be buffered.
 */
export interface S3ObjectClient {
  putObject(key: string, body: Uint8Array | ReadableStream<Uint8Array>, headers?: Record<string, string>): Promise<unknown>
  getObject(key: string): Promise<Response | null>
  deleteObject(key: string): Promise<unknown>
  listKeys(prefix: string): Promise<string[]>
}

/**
 * Adapts an S3 client to the ObjectStore this route depends on.
 * @example objectStoreFromClient(new S3Client(config))
 */
export function objectStoreFromClient(client: S3ObjectClient): ObjectStore {
  return {
    async put(key, body, length) {
      await client.putObject(key, body, { 'content-length': String(length) })
    },
    async get(key) {
      const response = await client.getObject(key)
      return response?.body ?? null
    },
    async delete(key) {
      await client.deleteObject(key)
    },
    list: (prefix) => client.listKeys(prefix),
  }
}
