// The platform limits wrangler.toml sets, read by wrangler itself: a batch of any shape Logpush
// can send must fit in them, or it fails on every retry and is finally dropped.
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { unstable_readConfig } from 'wrangler'
import { DEFAULT_RETRY_POLICY } from '../../src/storage/retry'

const ROOT = resolve(import.meta.dirname, '../..')
// Logpush's own cap on the records of one batch (its max_upload_records).
const LOGPUSH_MAX_RECORDS = 1_000_000
const WORKERS_MAX_SUBREQUESTS = 10_000_000
const WORKERS_MAX_CPU_MS = 300_000

describe('wrangler.toml [limits]', () => {
  const { limits } = unstable_readConfig({ config: resolve(ROOT, 'wrangler.toml') })

  it('allows the subrequests of the widest batch: an object per event, each store and its removal retried to the end', () => {
    const attempts = DEFAULT_RETRY_POLICY.retries + 1
    const widest = LOGPUSH_MAX_RECORDS * attempts * 2
    expect(limits?.subrequests).toBeGreaterThanOrEqual(widest)
    expect(limits?.subrequests).toBeLessThanOrEqual(WORKERS_MAX_SUBREQUESTS)
  })

  it('allows the CPU of a 1 GiB batch (30-50 s here), at the most Workers allows', () => {
    expect(limits?.cpu_ms).toBe(WORKERS_MAX_CPU_MS)
  })
})
