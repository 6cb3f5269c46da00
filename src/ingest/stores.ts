import type { Config } from '../config'
import type { BatchStores } from './batch'
import { outputFormats } from '../formats'
import { GzipNdjsonWriter } from '../formats/ndjson-gzip/writer'
import { FormatTee } from './format-tee'
import { eventsKey, quarantineKey, stagingKey } from './layout'
import { schemaFiles } from '../schema/registry'
import { ObjectWriter } from '../storage/object-writer'
import { type ObjectStorage, type OutputFormat, type StorageBudget, StorageError } from '../ports'
import { WaitBudget } from '../storage/wait-budget'

// Removing what a failed batch left gets its own short time, as aborting an upload does: the
// batch's budget may be what just ran out, and the 503 should not wait a second budget.
const CLEANUP_BUDGET_MS = 5_000

const cleanup = () => ({ deadline: Date.now() + CLEANUP_BUDGET_MS })

/**
 * The stores of one batch in the configured bucket: objects of each output format in the
 * contract's layout (one writer per partition that writes them all), quarantine as gzip NDJSON, and a staging prefix for bodies too large to
 * hold in memory. `minPartSize` is the store's smallest multipart part; `formats` are those of
 * OUTPUT_FORMAT unless given (the bench compares Parquet codecs with it).
 * @example const stores = batchStores(config, storage, minPartBytes(config.S3_ENDPOINT))
 */
export function batchStores(
  config: Config,
  storage: ObjectStorage,
  minPartSize: number,
  formats: readonly OutputFormat[] = config.OUTPUT_FORMAT.map((name) => outputFormats[name]),
): BatchStores {
  const client = storage
  // The time the batch may wait on storage, so that a bucket that stops answering ends it well
  // before Logpush gives up on the request; its own CPU does not count, however large it is.
  const budget = new WaitBudget(config.S3_BATCH_BUDGET_MS)
  const partSize = config.S3_PART_BYTES
  const prefix = config.S3_PREFIX
  const level = config.GZIP_LEVEL
  return {
    output: ({ dataset, table, day, batchId }) => {
      const options = { fields: schemaFiles()[dataset]!.fields, budget, partSize, minPartSize, gzipLevel: level }
      return {
        eventsKeys: (partition, n) => formats.map((format) => eventsKey(prefix, format, table, partition, batchId, n)),
        quarantineKey: () => quarantineKey(prefix, dataset, day, batchId),
        open: (keys) => {
          const writers = formats.map((format, i) => format.open(client, keys[i]!, options))
          return writers.length === 1 ? writers[0]! : new FormatTee(writers)
        },
        openQuarantine: (key) => new GzipNdjsonWriter({ storage: client, key, budget, partSize, minPartSize, level }),
        remove: (key) => client.deleteObject(key, cleanup()),
      }
    },
    spill: {
      key: () => stagingKey(prefix, crypto.randomUUID()),
      open: (key) => new ObjectWriter({ storage: client, key, budget, partSize, minPartSize }),
      read: async (key) => {
        const res = await budget.wait(client.getObject(key, { deadline: Date.now() + budget.remainingMs() }), 'GetObject', key)
        if (!res?.body)
          throw new StorageError({ operation: 'GetObject', status: 404, code: 'NoSuchKey', detail: 'the staged copy of the body is missing', key })
        return readWithin(res.body, budget, key)
      },
      remove: (key) => client.deleteObject(key, cleanup()),
    },
  }
}

/**
 * `body`, each read of it a wait on storage: the request timeout covers an answer only up to its
 * headers, so a staged body that stalls fails (and cancels its source) once the budget is spent,
 * instead of holding the batch for as long as the connection stays open.
 */
function readWithin(body: ReadableStream<Uint8Array>, budget: StorageBudget, key: string): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await budget.wait(reader.read(), 'GetObject', key)
        if (done) controller.close()
        else controller.enqueue(value)
      } catch (err) {
        reader.cancel(err).catch(() => {})
        controller.error(err)
      }
    },
    cancel: (reason) => reader.cancel(reason),
  })
}
