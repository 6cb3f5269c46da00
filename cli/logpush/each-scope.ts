import type { Scope } from './targets'

// Scopes are worked on a few at a time: dozens of zones finish in a fraction of the time, and
// Cloudflare's rate limit (1,200 calls per 5 minutes) stays far away. Within a scope, calls run
// one after another, so a job limit is met in the same order on every run.
const PARALLEL_SCOPES = 4

/**
 * Runs `work` for each scope, at most four at once; resolves to the results in the scopes' order.
 * @example const jobs = await eachScope(scopes, (scope) => api.listJobs(scope))
 */
export async function eachScope<T>(scopes: Scope[], work: (scope: Scope) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(scopes.length)
  let next = 0
  async function worker(): Promise<void> {
    while (next < scopes.length) {
      const i = next++
      results[i] = await work(scopes[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_SCOPES, scopes.length) }, worker))
  return results
}
