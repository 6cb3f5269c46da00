import type { R2Config } from '../../config'
import { R2Storage } from './client'

/** The R2 adapter over the configured LOGS_BUCKET binding, with the configured retry policy. */
export function r2StorageFor(config: R2Config): R2Storage {
  return new R2Storage({
    bucket: config.LOGS_BUCKET,
    requestTimeoutMs: config.S3_REQUEST_TIMEOUT_MS,
    baseDelayMs: config.S3_RETRY_BASE_DELAY_MS,
    budgetMs: config.S3_BATCH_BUDGET_MS,
  })
}
