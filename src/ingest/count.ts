import { type Config, readConfig } from '../config'
import { countersFor } from '../counters/client'
import { countFailure, countStoredBatch, countValidation } from '../counters/record'
import { type BatchResult, type BatchStores, type IngestInput, ingestBatch, type ValidationResult } from './batch'
import { failureReason, StorageUnavailableError, UnknownDatasetError } from './errors'
import { schemas } from '../schema/registry'
import { storageFor } from '../storage'
import { batchStores } from './stores'

/**
 * One batch from any edge (the Logpush HTTP destination, the S3-compatible endpoint): ingest it
 * into the configured bucket, then count the outcome in the dataset's counters. `duplicate` says
 * whether the counters had seen the batch id before.
 * @example const result = await ingestAndCount(c.env, { dataset, body, receivedAt })
 */
export async function ingestAndCount(env: Env, input: IngestInput): Promise<BatchResult | ValidationResult> {
  // Unknown names are refused before anything is counted: counters exist per known dataset only.
  if (!schemas().has(input.dataset)) throw new UnknownDatasetError(input.dataset)
  const config = readConfig(env)
  let result: BatchResult | ValidationResult
  try {
    result = await ingestBatch(config, storesFor(env, config, input.dataset), input)
  } catch (err) {
    // A 503's answer says only "retry later": the S3 call, key and error code go to the log.
    // StorageError messages name no credential (the signature travels in a header, never the secret).
    if (err instanceof StorageUnavailableError) console.error('ingest: batch not stored:', input.dataset, err.message)
    await countFailure(env, input.dataset, failureReason(err))
    throw err
  }
  if (result.validation) {
    await countValidation(env, input.dataset)
    return result
  }
  return { ...result, duplicate: await countStoredBatch(env, result, input.receivedAt) }
}

/**
 * The batch's S3 stores, except that a failed batch removes nothing when its id was stored and
 * counted before. A re-send after a lost 200 writes the same keys with the same events, so what a
 * failed re-send leaves is still the whole batch; removing it would lose data we acknowledged.
 */
function storesFor(env: Env, config: Config, dataset: string): BatchStores {
  const { storage, minPartSize } = storageFor(env, config)
  const stores = batchStores(config, storage, minPartSize)
  return {
    ...stores,
    output: (layout) => {
      const output = stores.output(layout)
      let stored: Promise<boolean> | undefined
      return {
        ...output,
        remove: async (key) => {
          // Counters out of reach: keep the objects. A leftover the next re-send overwrites is
          // better than a loss.
          stored ??= countersFor(env, dataset)
            .hasBatch(layout.batchId)
            .catch(() => true)
          if (!(await stored)) await output.remove(key)
        },
      }
    },
  }
}
