import { type StorageBudget, StorageError } from '../ports'

/**
 * A batch's budget for storage that stops answering: the batch fails once it has waited `limitMs`
 * on storage with no call answering meanwhile. The clock runs only while the batch waits, and
 * restarts at every answer, so a healthy bucket never spends it however many objects a batch
 * stores, and parsing, enrichment and compression between waits spend none of it.
 *
 * Why not the sum of the waits: objects are stored several at a time, so while one waits another
 * is being encoded, and a sum counts that work as waiting (5,000 one-row Parquet files spent a 60 s
 * budget that way). Deployed, a Worker's clock also stands still while it computes and moves on at
 * the next I/O, so any clock started before a stretch of work counts it; restarted at each answer,
 * it counts at most the stretch since the last one.
 * @example const budget = new WaitBudget(config.S3_BATCH_BUDGET_MS); await budget.wait(put, 'PutObject', key)
 */
export class WaitBudget implements StorageBudget {
  readonly limitMs: number
  #waiting = 0
  // Since when the batch has waited without an answer: the start of the first pending wait, or
  // the last answer while waits remain pending.
  #since = 0

  constructor(limitMs: number) {
    this.limitMs = limitMs
  }

  /** Milliseconds the batch may still wait before storage counts as stopped; all of it while nothing is pending. */
  remainingMs(): number {
    return this.#waiting > 0 ? Math.max(0, this.limitMs - (Date.now() - this.#since)) : this.limitMs
  }

  async wait<T>(work: Promise<T>, operation: string, key?: string): Promise<T> {
    if (this.#waiting++ === 0) this.#since = Date.now()
    // An answer, a failure included, is storage moving; running out of budget here is not.
    const answered = () => {
      this.#since = Date.now()
    }
    work.then(answered, answered)
    let timer: ReturnType<typeof setTimeout> | undefined
    const stalled = new Promise<never>((_, reject) => {
      // Re-armed while answers to other waits keep moving the clock's start.
      const check = () => {
        const left = this.remainingMs()
        if (left <= 0) reject(this.#stalledError(operation, key))
        else timer = setTimeout(check, left)
      }
      check()
    })
    try {
      return await Promise.race([work, stalled])
    } finally {
      clearTimeout(timer)
      this.#waiting--
    }
  }

  // The operation and key say in which phase storage stopped answering.
  #stalledError(operation: string, key: string | undefined): StorageError {
    const detail = `no answer from storage for ${this.limitMs} ms (S3_BATCH_BUDGET_MS) while waiting here`
    return new StorageError({ operation, key, status: 0, code: 'TimeoutError', detail })
  }
}
