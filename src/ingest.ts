// PLACEHOLDER: the lead's ingest replaces this file. Only the contract the S3 route codes
// against lives here; ingestBatch refuses every batch until the real pipeline is wired.

export interface IngestInput {
  dataset: string
  body: ReadableStream<Uint8Array>
  receivedAt: number
  contentLength?: number
}

export interface BatchResult {
  batchId: string
  dataset: string
  logType: string
  events: number
  written: number
  quarantined: number
  objects: number
  duplicate: boolean
}

export class UnknownDatasetError extends Error {
  override name = 'UnknownDatasetError'
}
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError'
}
export class UndecodableBodyError extends Error {
  override name = 'UndecodableBodyError'
}
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError'
}

export async function ingestBatch(_env: Env, input: IngestInput): Promise<BatchResult> {
  await input.body.cancel()
  throw new Error('not wired')
}
