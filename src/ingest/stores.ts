import type { Config } from '../config'
import type { BatchStores } from './batch'
import { outputFormats } from '../formats'
import { GzipNdjsonWriter } from '../formats/ndjson-gzip/writer'
import { eventsKey, quarantineKey, stagingKey } from './layout'
import { ObjectWriter } from '../storage/object-writer'
import { type ObjectStorage, StorageError } from '../ports'

// Removing what a failed batch left gets its own short time, as aborting an upload does: the
// batch's budget may be what just ran out, and the 503 should not wait a second budget.
const CLEANUP_BUDGET_MS = 5_000

const cleanup = () => ({ deadline: Date.now() + CLEANUP_BUDGET_MS })

/**
 * The stores of one batch in the configured bucket: objects of the output format in the
 * contract's layout, quarantine as gzip NDJSON, and a staging prefix for bodies too large to
 * hold in memory. `minPartSize` is the store's smallest multipart part.
 * @example const stores = batchStores(config, storage, minPartBytes(config.S3_ENDPOINT))
 */
export function batchStores(config: Config, storage: ObjectStorage, minPartSize: number): BatchStores {
  const client = storage
  // S3 work of one batch must end well before Logpush gives up on the request and retries.
  const deadline = Date.now() + config.S3_BATCH_BUDGET_MS
  const partSize = config.S3_PART_BYTES
  const prefix = config.S3_PREFIX
  const level = config.GZIP_LEVEL
  const format = outputFormats[config.OUTPUT_FORMAT]
  return {
    output: ({ dataset, table, day, batchId }) => ({
      eventsKey: (partition, n) => eventsKey(prefix, format, table, partition, batchId, n),
      quarantineKey: () => quarantineKey(prefix, dataset, day, batchId),
      open: (key) => format.open(client, key, { deadline, partSize, minPartSize, gzipLevel: level }),
      openQuarantine: (key) => new GzipNdjsonWriter({ storage: client, key, deadline, partSize, minPartSize, level }),
      remove: (key) => client.deleteObject(key, cleanup()),
    }),
    spill: {
      key: () => stagingKey(prefix, crypto.randomUUID()),
      open: (key) => new ObjectWriter({ storage: client, key, deadline, partSize, minPartSize }),
      read: async (key) => {
        const res = await client.getObject(key, { deadline })
        if (!res?.body)
          throw new StorageError({ operation: 'GetObject', status: 404, code: 'NoSuchKey', detail: 'the staged copy of the body is missing', key })
        return endingBy(res.body, deadline, `staged body ${key}`)
      },
      remove: (key) => client.deleteObject(key, cleanup()),
    },
  }
}

/**
 * `body`, failing (and cancelling its source) if it has not ended by `deadline`: the request
 * timeout covers an S3 answer only up to its headers, so a body that stalls would otherwise hold
 * the batch for as long as the connection stays open.
 */
function endingBy(body: ReadableStream<Uint8Array>, deadline: number, what: string): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StorageError({
            operation: 'GetObject',
            status: 0,
            code: 'TimeoutError',
            detail: `${what} was not read to its end within the batch's time budget`,
          }),
        ),
      Math.max(0, deadline - Date.now()),
    )
  })
  expired.catch(() => {})
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await Promise.race([reader.read(), expired])
        if (done) {
          clearTimeout(timer)
          controller.close()
        } else {
          controller.enqueue(value)
        }
      } catch (err) {
        clearTimeout(timer)
        reader.cancel(err).catch(() => {})
        controller.error(err)
      }
    },
    cancel(reason) {
      clearTimeout(timer)
      return reader.cancel(reason)
    },
  })
}
