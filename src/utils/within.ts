/** What `within` rejects with when the work has not settled in time. */
export class DeadlineError extends Error {
  override name = 'DeadlineError'
}

/**
 * `work`'s outcome if it settles within `ms`, else a DeadlineError then. Only the wait ends: the
 * work itself goes on, so use it for calls whose late answer does no harm.
 * @example await within(summary.put(snapshot), 2_000, 'push to the summary')
 */
export async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what}: no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
