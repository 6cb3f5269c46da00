import { type Config, minPartBytes } from '../config'
import type { BatchStores } from '../ingest'
import { GzipNdjsonWriter } from './gzip-ndjson-writer'
import { logsKey, quarantineKey, stagingKey } from './layout'
import { ObjectWriter } from './object-writer'
import { S3Client } from './s3-client'

const clients = new WeakMap<Config, S3Client>()

/** One S3 client per configuration (per isolate): aws4fetch caches its signing keys. */
export function s3ClientFor(config: Config): S3Client {
  let client = clients.get(config)
  if (!client) {
    client = new S3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      bucket: config.S3_BUCKET,
      accessKeyId: config.AWS_ACCESS_KEY_ID,
      secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
      requestTimeoutMs: config.S3_REQUEST_TIMEOUT_MS,
      baseDelayMs: config.S3_RETRY_BASE_DELAY_MS,
      budgetMs: config.S3_BATCH_BUDGET_MS,
    })
    clients.set(config, client)
  }
  return client
}

/**
 * The stores of one batch in the configured bucket: gzip NDJSON objects in the contract's
 * layout, and a staging prefix for bodies too large to hold in memory.
 */
export function s3Stores(config: Config): BatchStores {
  const client = s3ClientFor(config)
  // S3 work of one batch must end well before Logpush gives up on the request and retries.
  const deadline = Date.now() + config.S3_BATCH_BUDGET_MS
  const partSize = config.S3_PART_BYTES
  const minPartSize = minPartBytes(config.S3_ENDPOINT)
  const prefix = config.S3_PREFIX
  return {
    output: ({ dataset, table, day, batchId }) => ({
      logsKey: (partition) => logsKey(prefix, table, partition, batchId),
      quarantineKey: () => quarantineKey(prefix, dataset, day, batchId),
      open: (key) => new GzipNdjsonWriter({ client, key, deadline, partSize, minPartSize }),
      remove: (key) => client.deleteObject(key),
    }),
    spill: {
      key: () => stagingKey(prefix, crypto.randomUUID()),
      open: (key) => new ObjectWriter({ client, key, deadline, partSize, minPartSize }),
      read: async (key) => {
        const res = await client.getObject(key)
        if (!res?.body) throw new Error(`staged body ${key} is missing`)
        return res.body
      },
      remove: (key) => client.deleteObject(key),
    },
  }
}
