import { type Config, readConfig } from '../config'
import { countersFor } from '../counters/client'
import { type CountFailed, countFailure, countStoredBatch, countValidation } from '../counters/record'
import { type BatchResult, type BatchStores, type IngestInput, ingestBatch, type ValidationResult } from './batch'
import type { BatchLog } from './batch-log'
import { failureReason, UnknownDatasetError } from './errors'
import { schemas } from '../schema/registry'
import { storageFor } from '../storage'
import { countingStorage } from '../storage/counting'
import { batchStores } from './stores'

/**
 * One batch from any edge (the Logpush HTTP destination, the S3-compatible endpoint): ingest it
 * into the configured bucket, then count the outcome in the dataset's counters. `duplicate` says
 * whether the counters had seen the batch id before. With `input.log`, the batch's storage
 * requests are counted in it and a counters outage is a failure line of its own (phase `count`);
 * the edge writes the lines once it has answered.
 * @example const result = await ingestAndCount(c.env, { dataset, body, receivedAt })
 */
export async function ingestAndCount(env: Env, input: IngestInput): Promise<BatchResult | ValidationResult> {
  // Unknown names are refused before anything is counted: counters exist per known dataset only.
  if (!schemas().has(input.dataset)) throw new UnknownDatasetError(input.dataset)
  const config = readConfig(env)
  const { log, dataset } = input
  // The edge's failure line has what a 503's answer leaves out: the S3 call, key and error code.
  const failed: CountFailed | undefined = log && ((err) => log.failed('count', 'counters_unavailable', err))
  let result: BatchResult | ValidationResult
  try {
    result = await ingestBatch(config, storesFor(env, config, dataset, log), input)
  } catch (err) {
    await countFailure(env, dataset, failureReason(err), failed)
    throw err
  }
  if (log) log.phase = 'count'
  if (result.validation) {
    await countValidation(env, dataset, failed)
    log?.done(result)
    return result
  }
  const counted = { ...result, duplicate: await countStoredBatch(env, result, input.receivedAt, failed) }
  log?.done(counted)
  return counted
}

/**
 * The batch's S3 stores, except that a failed batch removes nothing when its id was stored and
 * counted before. A re-send after a lost 200 writes the same keys with the same events, so what a
 * failed re-send leaves is still the whole batch; removing it would lose data we acknowledged.
 */
function storesFor(env: Env, config: Config, dataset: string, log: BatchLog | undefined): BatchStores {
  const configured = storageFor(env, config)
  const storage = log ? countingStorage(configured.storage, log.countStorageCall) : configured.storage
  const stores = batchStores(config, storage, configured.minPartSize)
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
