import { StorageError } from '../ports'
import type { BatchResult, ValidationResult } from './batch'
import { type BatchPhase, ingestFailure } from './errors'

/** The door a batch came in by. */
export type BatchRoute = 'logpush' | 's3'

/** How the edge answered a failed batch: its error code, and what failed it. */
export interface BatchAnswer {
  code: string
  cause: unknown
  /** When the edge knows better than the error's type (a payload check of the S3 endpoint). */
  phase?: BatchPhase
}

// Settings whose values must never reach a log line, whatever an error message quotes.
const SECRET_SETTINGS = ['INGEST_TOKEN', 'STATS_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'PROXY_SECRET_ACCESS_KEY'] as const
// Credentials a message could carry even when no setting holds them: a bearer token, the query
// of a presigned URL, the user info of a URL.
const CREDENTIALS: [RegExp, string][] = [
  [/\bBearer\s+[^\s,;"]+/gi, 'Bearer [redacted]'],
  [/\b((?:X-Amz-)?(?:Signature|Credential|Security-Token))=[^\s,;"&]+/gi, '$1=[redacted]'],
  [/\/\/[^/\s:@]+:[^/\s@]+@/g, '//[redacted]@'],
]
const MAX_MESSAGE_CHARS = 1000
const MAX_DATASET_CHARS = 64

interface Failure {
  phase: BatchPhase
  error: string
  message: string
}

/**
 * The log of one batch's request: filled in by the edge and by ingest as the batch goes (its id,
 * bytes, phase, storage requests, result), written when the answer is known as one JSON line
 * (`msg: "batch"`, console.log) and one more per failure (`msg: "batch failed"`, console.error).
 * Workers Logs indexes their fields. No line holds a header, a body or a secret: error messages
 * are stripped of the configured secrets and of anything shaped like a credential.
 * @example const log = new BatchLog('logpush', c.env, c.req.raw); ...; log.end(res.status)
 */
export class BatchLog {
  dataset: string | null = null
  batchId: string | null = null
  /** Bytes of the body as received (compressed), once it was read to its end. */
  bytesIn: number | null = null
  /** Requests to the bucket, each retry counted. */
  storageCalls = 0
  /** What the batch is doing: the phase of a failure whose error does not say. */
  phase: BatchPhase = 'request'
  #stored: BatchResult | undefined
  #validation = false
  readonly #failures: Failure[] = []
  readonly #secrets: string[]
  readonly #cfRay: string | null

  /** Counts one storage request; given to the batch's storage as its `onAttempt`. */
  readonly countStorageCall = (): void => {
    this.storageCalls++
  }

  constructor(
    readonly route: BatchRoute,
    env: object,
    request: Request,
    readonly startedAt: number = Date.now(),
  ) {
    this.#cfRay = request.headers.get('cf-ray')
    const settings = env as Record<string, unknown>
    this.#secrets = SECRET_SETTINGS.map((name) => settings[name]).filter((value): value is string => typeof value === 'string' && value !== '')
  }

  /** The batch is stored (or was a destination check) and counted. */
  done(result: BatchResult | ValidationResult): void {
    if (result.validation) {
      this.#validation = true
      return
    }
    this.#stored = result
    this.batchId = result.batchId
    this.bytesIn = result.bytesReceived
  }

  /** A failure that does not fail the answer (the counters out of reach): it gets its own line. */
  failed(phase: BatchPhase, error: string, cause: unknown): void {
    // Hono's 401 carries no message: the code then says it all.
    this.#failures.push({ phase, error, message: this.#scrub(messageOf(cause) || error, MAX_MESSAGE_CHARS) })
  }

  /**
   * Writes the batch's lines: one per failure, then the request's. `answer` is given when the
   * status is an error.
   */
  end(status: number, answer?: BatchAnswer): void {
    let failedIn: BatchPhase | undefined
    if (answer) {
      failedIn = answer.phase ?? phaseOf(answer.cause) ?? this.phase
      this.failed(failedIn, answer.code, answer.cause)
    }
    const dataset = this.dataset === null ? null : this.#scrub(this.dataset, MAX_DATASET_CHARS)
    const { route, batchId } = this
    for (const failure of this.#failures) {
      console.error(JSON.stringify({ level: 'error', msg: 'batch failed', route, dataset, batchId, status, ...failure, cfRay: this.#cfRay }))
    }
    const result = this.#stored
    console.log(
      JSON.stringify({
        msg: 'batch',
        route,
        dataset,
        batchId,
        status,
        events: result?.events ?? null,
        written: result?.written ?? null,
        quarantined: result?.quarantined ?? null,
        objects: result?.objects ?? null,
        duplicate: result?.duplicate ?? null,
        ...(this.#validation && { validation: true }),
        bytesIn: this.bytesIn,
        durationMs: Date.now() - this.startedAt,
        storageCalls: this.storageCalls,
        cfRay: this.#cfRay,
        ...(answer && { error: answer.code, phase: failedIn }),
      }),
    )
  }

  #scrub(text: string, maxChars: number): string {
    let out = text
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]')
    for (const [pattern, replacement] of CREDENTIALS) out = out.replace(pattern, replacement)
    return out.length > maxChars ? `${out.slice(0, maxChars)}…` : out
  }
}

/** The phase an ingest error names (the error map's), a storage error's; undefined for one that names none. */
function phaseOf(err: unknown): BatchPhase | undefined {
  return ingestFailure(err)?.phase ?? (err instanceof StorageError ? 'store' : undefined)
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
