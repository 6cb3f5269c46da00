import { describe, expect, it } from 'vitest'
import type { DatasetRecent, DatasetStats, HourlyPoint } from '../../src/counters/types'
import { HOUR_MS, hourOf } from '../../src/counters/hours'
import { arrange } from '../../src/status/page'

const NOW = Date.UTC(2026, 10, 20, 12, 15, 0)
const MIN = 60_000

const ZERO: Omit<DatasetStats, 'dataset'> = {
  batches: 0,
  events: 0,
  written: 0,
  quarantined: 0,
  bytesReceived: 0,
  bytesDecompressed: 0,
  objects: 0,
  validations: 0,
  duplicates: 0,
  failures: 0,
  failuresByReason: {},
  quarantineRate: 0,
  lastBatchAt: null,
  lastEventAt: null,
  lagMs: null,
  lastFailureAt: null,
  lastValidationAt: null,
}

/** A dataset with `events` in one batch `ago` ms before NOW (none when `ago` is null), and the stats fields given. */
function dataset(name: string, events: number, ago: number | null, stats: Partial<DatasetStats> = {}): DatasetRecent {
  const series: HourlyPoint[] = ago === null ? [] : [{ hour: hourOf(NOW - ago), batches: 1, events, written: events, quarantined: 0, bytes: 100, failures: 0 }]
  return {
    stats: { ...ZERO, dataset: name, batches: ago === null ? 0 : 1, events, lastBatchAt: ago === null ? null : NOW - ago, ...stats },
    series,
  }
}

describe('arrange: the order of the status page', () => {
  it('gives cards to the datasets with traffic in 48 h, the most events first, a failing one before all', () => {
    const { active, idle } = arrange(
      [
        dataset('a_small_now', 10, MIN),
        dataset('b_big_earlier', 5_000, 20 * HOUR_MS),
        dataset('c_failing', 50, 2 * HOUR_MS, { failures: 3, lastFailureAt: NOW - 5 * MIN }),
        dataset('d_medium_now', 700, 2 * MIN),
        dataset('e_tied', 10, 3 * HOUR_MS),
      ],
      NOW,
    )
    expect(active.map((p) => p.view.stats.dataset)).toEqual(['c_failing', 'b_big_earlier', 'd_medium_now', 'a_small_now', 'e_tied'])
    expect(active.map((p) => p.events)).toEqual([50, 5_000, 700, 10, 10])
    expect(idle).toEqual([])
  })

  it('folds the others, the most recently seen first: traffic older than 48 h, a destination check, nothing', () => {
    const { active, idle } = arrange(
      [
        dataset('never', 0, null),
        dataset('gone_long_ago', 900, 100 * HOUR_MS),
        dataset('checked_only', 0, null, { validations: 1, lastValidationAt: NOW - 3 * HOUR_MS }),
        dataset('gone_recently', 40, 49 * HOUR_MS),
        dataset('busy', 1, MIN),
      ],
      NOW,
    )
    expect(active.map((p) => p.view.stats.dataset)).toEqual(['busy'])
    expect(idle.map((p) => p.view.stats.dataset)).toEqual(['checked_only', 'gone_recently', 'gone_long_ago', 'never'])
  })

  it('gives a card to a dataset whose only traffic in 48 h is failed batches', () => {
    const failedHour: HourlyPoint = { hour: hourOf(NOW), batches: 0, events: 0, written: 0, quarantined: 0, bytes: 0, failures: 2 }
    const onlyFailing: DatasetRecent = { stats: { ...ZERO, dataset: 'only_failing', failures: 2, lastFailureAt: NOW - MIN }, series: [failedHour] }
    const { active } = arrange([dataset('busy', 100, MIN), onlyFailing], NOW)
    expect(active.map((p) => [p.view.stats.dataset, p.state.key])).toEqual([
      ['only_failing', 'failing'],
      ['busy', 'receiving'],
    ])
  })
})
