import { type StorageBudget, StorageError } from '../ports'

/**
 * A batch's budget for waiting on storage, on a clock that runs only while the batch waits:
 * the union of its waits, so two objects closing at once spend the time once, and parsing,
 * enrichment and compression between waits spend none of it.
 * @example const budget = new WaitBudget(config.S3_BATCH_BUDGET_MS); await budget.wait(put, 'PutObject', key)
 */
export class WaitBudget implements StorageBudget {
  readonly limitMs: number
  #spentMs = 0
  #waiting = 0
  #since = 0

  constructor(limitMs: number) {
    this.limitMs = limitMs
  }

  /** Milliseconds spent waiting so far. */
  get spentMs(): number {
    return this.#spentMs + (this.#waiting > 0 ? Date.now() - this.#since : 0)
  }

  remainingMs(): number {
    return Math.max(0, this.limitMs - this.spentMs)
  }

  async wait<T>(work: Promise<T>, operation: string, key?: string): Promise<T> {
    const remaining = this.remainingMs()
    if (this.#waiting++ === 0) this.#since = Date.now()
    let timer: ReturnType<typeof setTimeout> | undefined
    const spent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#spentError(operation, key)), remaining)
    })
    try {
      return await Promise.race([work, spent])
    } finally {
      clearTimeout(timer)
      if (--this.#waiting === 0) this.#spentMs += Date.now() - this.#since
    }
  }

  // The operation and key say in which phase the time ran out.
  #spentError(operation: string, key: string | undefined): StorageError {
    const detail = `the batch's ${this.limitMs} ms for waiting on storage (S3_BATCH_BUDGET_MS) ran out while waiting here`
    return new StorageError({ operation, key, status: 0, code: 'TimeoutError', detail })
  }
}
