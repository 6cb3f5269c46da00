import type { Config } from '../config'
import type { BatchLog } from './batch-log'
import { BodyTooLargeError, SourceReadError } from '../pipeline/errors'
import { runPipeline } from '../pipeline/run'
import { schemas } from '../schema/registry'
import { formatMillis } from '../schema/timestamp'
import type { OutputStore } from './partitioned-output'
import { heldBudget, PartitionedOutput } from './partitioned-output'
import { StorageError } from '../ports'
import { StorageUnavailableError, UnknownDatasetError } from './errors'
import { type SpillStore, spoolBody } from './spool'

const BATCH_ID_HEX_CHARS = 32

export interface IngestInput {
  dataset: string
  body: ReadableStream<Uint8Array>
  /** ms epoch when the request arrived: p_parse_time and the quarantine day. */
  receivedAt: number
  /** The declared body size, when the sender gave one: a body over the cap is refused unread. */
  contentLength?: number
  /** The request's log line: ingest notes the batch id, bytes, phase and storage requests in it. */
  log?: BatchLog
  /** The body again, when it is stored already (the S3 endpoint's parts): then no copy is staged. */
  reopen?: () => ReadableStream<Uint8Array>
}

export interface BatchResult {
  batchId: string
  dataset: string
  logType: string
  events: number
  written: number
  quarantined: number
  /** How many objects the batch wrote; their keys are in `keys`. */
  objects: number
  keys: string[]
  duplicate: boolean
  validation?: false
  bytesReceived: number
  bytesDecompressed: number
  /** Latest p_event_time of the batch, '' when no event was written. */
  maxEventTime: string
}

export interface ValidationResult {
  validation: true
}

/** Where batches are stored: built from the config by the caller (S3 in production). */
export interface BatchStores {
  output(layout: { dataset: string; table: string; day: string; batchId: string }): OutputStore
  spill: SpillStore
}

/**
 * One Logpush batch, end to end: spool and hash the body, run the pipeline into partitioned
 * objects, and resolve only once every object is stored. Throws the pipeline's named errors,
 * UnknownDatasetError, or StorageUnavailableError.
 * @example const result = await ingestBatch(config, stores, { dataset, body, receivedAt: Date.now() })
 */
export async function ingestBatch(config: Config, stores: BatchStores, input: IngestInput): Promise<BatchResult | ValidationResult> {
  const schema = schemas().get(input.dataset)
  if (!schema) throw new UnknownDatasetError(input.dataset)
  if (input.contentLength !== undefined && input.contentLength > config.MAX_BODY_BYTES) {
    await input.body.cancel().catch(() => undefined)
    throw new BodyTooLargeError('MAX_BODY_BYTES', config.MAX_BODY_BYTES)
  }

  const { log } = input
  if (log) log.phase = 'read'
  const spooled = await wrapStore(() =>
    spoolBody(input.body, {
      seed: input.dataset,
      maxBodyBytes: config.MAX_BODY_BYTES,
      memoryBytes: config.SPOOL_MEMORY_BYTES,
      hashHexChars: BATCH_ID_HEX_CHARS,
      spill: stores.spill,
      reopen: input.reopen,
    }),
  )
  const batchId = spooled.hash
  if (log) {
    log.batchId = batchId
    log.bytesIn = spooled.bytes
    // Decoding, parsing and storing run together from here on: their errors say which failed.
    log.phase = 'parse'
  }
  const parseTime = formatMillis(input.receivedAt)
  const layout = { dataset: input.dataset, table: schema.table, day: parseTime.slice(0, 10), batchId }
  const output = new PartitionedOutput(stores.output(layout), { heldBytes: heldBudget(config.S3_PART_BYTES) })
  try {
    const counts = await wrapStore(async () => {
      try {
        return await runPipeline(
          await spooled.open(),
          schema,
          { batchId, logType: schema.logType, parseTime, sourceId: config.SOURCE_ID, sourceLabel: config.SOURCE_LABEL },
          { maxDecompressedBytes: config.MAX_DECOMPRESSED_BYTES, maxLineBytes: config.MAX_LINE_BYTES },
          output,
        )
      } catch (err) {
        // The spool read the request to its end: a source that breaks now is the staged copy
        // in the bucket, a storage failure (503, Logpush retries), not a bad request.
        if (err instanceof SourceReadError) throw new StorageUnavailableError(err)
        throw err
      }
    })
    if (counts.validation) {
      await output.abort()
      return { validation: true }
    }
    if (log) log.phase = 'store'
    const keys = await wrapStore(() => output.close())
    return {
      batchId,
      dataset: input.dataset,
      logType: schema.logType,
      events: counts.events,
      written: counts.written,
      quarantined: counts.quarantined,
      objects: keys.length,
      keys,
      duplicate: false,
      bytesReceived: spooled.bytes,
      bytesDecompressed: counts.decompressedBytes,
      maxEventTime: counts.maxEventTime,
    }
  } catch (err) {
    await output.abort()
    throw err
  } finally {
    await spooled.discard().catch(() => undefined)
  }
}

/** A failed S3 call becomes StorageUnavailableError (503, the sender retries); anything else
 * passes through, so a bug answers 500 rather than passing for an S3 outage. */
async function wrapStore<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof StorageError) throw new StorageUnavailableError(err)
    throw err
  }
}
