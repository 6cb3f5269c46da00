import type { S3Config } from '../../config'
import { S3Client } from './client'

const clients = new WeakMap<S3Config, S3Client>()

/** One S3 client per configuration (per isolate): aws4fetch caches its signing keys. */
export function s3ClientFor(config: S3Config): S3Client {
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
