// The platform limits wrangler.toml sets, read by wrangler itself: a batch that breaks one fails
// on every retry until Logpush drops it.
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { unstable_readConfig } from 'wrangler'
import { DEFAULT_RETRY_POLICY } from '../../src/storage/retry'

const ROOT = resolve(import.meta.dirname, '../..')
const WORKERS_DEFAULT_SUBREQUESTS = 10_000
const WORKERS_MAX_SUBREQUESTS = 10_000_000
const WORKERS_MAX_CPU_MS = 300_000
// The widest shape of the hostile corpus: 5,000 events, each in an hour of its own.
const WIDEST_CORPUS_HOURS = 5_000
// OUTPUT_FORMAT=ndjson,parquet writes an object of each per hour.
const MAX_FORMATS = 2

describe('wrangler.toml [limits]', () => {
  const { limits } = unstable_readConfig({ config: resolve(ROOT, 'wrangler.toml') })

  it('allows the most subrequests Workers does, past what the widest corpus shape can make with every store and its removal retried', () => {
    const attempts = DEFAULT_RETRY_POLICY.retries + 1
    const widest = WIDEST_CORPUS_HOURS * MAX_FORMATS * attempts * 2
    // The default would not do: that shape fails on every retry under it.
    expect(widest).toBeGreaterThan(WORKERS_DEFAULT_SUBREQUESTS)
    expect(limits?.subrequests).toBe(WORKERS_MAX_SUBREQUESTS)
  })

  it('allows the CPU of a 1 GiB batch (30-50 s here), at the most Workers allows', () => {
    expect(limits?.cpu_ms).toBe(WORKERS_MAX_CPU_MS)
  })
})
