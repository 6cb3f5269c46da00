import { type StorageCall, StorageError } from '../ports'

const MAX_DELAY_MS = 2_000

/** How one adapter retries a storage call. Every field is a non-negative integer. */
export interface RetryPolicy {
  /** Retries after the first attempt of a retryable failure. */
  retries: number
  /** First back-off delay; it doubles per retry, up to 2 s, with jitter. */
  baseDelayMs: number
  /** Time allowed for one attempt (positive). */
  requestTimeoutMs: number
  /** Time allowed for one call, retries included, when it has no `deadline`. */
  budgetMs: number
}

export type RetryOptions = Partial<RetryPolicy>

/** 4 attempts in all, 100 ms first back-off, 30 s per attempt, 60 s per call. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { retries: 3, baseDelayMs: 100, requestTimeoutMs: 30_000, budgetMs: 60_000 }

/**
 * The policy from an adapter's options, defaults filled in; a bad value throws a TypeError
 * naming the adapter and the option.
 * @example retryPolicy('R2Storage', { baseDelayMs: 10 })
 */
export function retryPolicy(adapter: string, options: RetryOptions): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY }
  for (const name of ['retries', 'baseDelayMs', 'requestTimeoutMs', 'budgetMs'] as const) {
    const value = options[name]
    if (value === undefined) continue
    if (!(Number.isInteger(value) && value >= 0)) throw new TypeError(`${adapter}: option "${name}" must be a non-negative integer`)
    policy[name] = value
  }
  if (policy.requestTimeoutMs === 0) throw new TypeError(`${adapter}: option "requestTimeoutMs" must be positive`)
  return policy
}

/** What a call is, for the errors it ends with. */
export interface CallName {
  operation: string
  key?: string
}

export interface RetryHooks {
  /** False once a retry could no longer send the same request (a stream body started flowing). */
  replayable?: () => boolean
  /** The shortest wait before retrying this failure, when the store says how long (default 0). */
  minDelayMs?: (err: StorageError) => number
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable `StorageError`, the policy's
 * retries are spent or the call's deadline would pass, backing off exponentially with jitter
 * between attempts. `attempt` gets the time it may take (the request timeout, or less near the
 * deadline) and enforces it itself; anything it throws that is not a `StorageError` counts as a
 * network error. The error thrown says how many attempts were made.
 *
 * @example
 * await withRetries({ operation: 'PutObject', key }, policy, call, (timeoutMs) => send(timeoutMs))
 */
export async function withRetries<T>(
  name: CallName,
  policy: RetryPolicy,
  call: StorageCall = {},
  attempt: (timeoutMs: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  const deadline = call.deadline ?? Date.now() + policy.budgetMs
  let last: StorageError | undefined
  for (let n = 1; ; n++) {
    const remaining = deadline - Date.now()
    if (remaining <= 0) {
      throw (last ?? callFailure(name, 'TimeoutError', 'time budget spent before the first attempt')).withAttempts(n - 1)
    }
    call.onAttempt?.()
    try {
      return await attempt(Math.min(policy.requestTimeoutMs, remaining))
    } catch (err) {
      last = err instanceof StorageError ? err : callFailure(name, 'NetworkError', err instanceof Error ? err.message : String(err), err)
    }
    const delay = Math.max(backoff(policy.baseDelayMs, n), hooks.minDelayMs?.(last) ?? 0)
    if (!last.retryable || hooks.replayable?.() === false || n > policy.retries || Date.now() + delay >= deadline) {
      throw last.withAttempts(n)
    }
    await sleep(delay, call.signal)
    if (call.signal?.aborted) throw callFailure(name, 'Aborted', 'cancelled by the caller').withAttempts(n)
  }
}

/** A failure with no answer from the store (status 0): a timeout, an abort, a network error. */
export function callFailure(name: CallName, code: string, detail?: string, cause?: unknown): StorageError {
  return new StorageError({ operation: name.operation, key: name.key, status: 0, code, detail, cause })
}

function backoff(baseDelayMs: number, attempt: number): number {
  const cap = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** (attempt - 1))
  return cap / 2 + Math.random() * (cap / 2)
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })
}
