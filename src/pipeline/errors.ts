// Named failures of a batch as a whole; the HTTP edges map each to a status.

/** The body is larger than a configured limit (compressed or decompressed). */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError'
  constructor(
    readonly limit: 'MAX_BODY_BYTES' | 'MAX_DECOMPRESSED_BYTES',
    readonly maxBytes: number,
  ) {
    super(`body exceeds ${limit} (${maxBytes} bytes)`)
  }
}

/** The body cannot be read as gzip or plain UTF-8 text. */
export class UndecodableBodyError extends Error {
  override name = 'UndecodableBodyError'
}

/** The body is text but not NDJSON (a Logpush job set to CSV output, for example). */
export class NotNdjsonError extends Error {
  override name = 'NotNdjsonError'
}

/** Reading the source of the batch failed (the client went away, or a staged copy could not be read). */
export class SourceReadError extends Error {
  override name = 'SourceReadError'
  constructor(override readonly cause: unknown) {
    super(`reading the batch failed: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
}
