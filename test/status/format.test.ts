import { describe, expect, it } from 'vitest'
import { niceCeil } from '../../src/status/chart'
import { formatAgo, formatBytes, formatCompact, formatCount, formatDuration, formatRate, formatUtc } from '../../src/status/format'

describe('status page formatting', () => {
  it('formats counts, bytes and rates', () => {
    expect(formatCount(2_739_224)).toBe('2,739,224')
    expect(formatCompact(950)).toBe('950')
    expect(formatCompact(2.5)).toBe('2.5')
    expect(formatCompact(50_000)).toBe('50k')
    expect(formatCompact(2_500)).toBe('2.5k')
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(85_500)).toBe('85.5 kB')
    expect(formatBytes(3_060_000_000)).toBe('3.06 GB')
    expect(formatBytes(293_000_000)).toBe('293 MB')
    expect(formatRate(0)).toBe('0%')
    expect(formatRate(0.0121)).toBe('1.21%')
    expect(formatRate(0.000001)).toBe('<0.01%')
    expect(formatRate(0.5)).toBe('50%')
  })

  it('formats durations and times', () => {
    expect(formatDuration(420)).toBe('420 ms')
    expect(formatDuration(42_000)).toBe('42 s')
    expect(formatDuration(75_000)).toBe('1 min 15 s')
    expect(formatDuration(3 * 3_600_000 + 60_000)).toBe('3 h 1 min')
    expect(formatDuration(50 * 3_600_000)).toBe('2 d 2 h')
    expect(formatDuration(-5)).toBe('0 ms')
    const now = Date.UTC(2026, 10, 25, 16, 0, 0)
    expect(formatAgo(now - 2_000, now)).toBe('just now')
    expect(formatAgo(now - 44_000, now)).toBe('44 s ago')
    expect(formatAgo(now - 4 * 3_600_000, now)).toBe('4 h ago')
    expect(formatUtc(now)).toBe('2026-11-25 16:00:00 UTC')
  })

  it('rounds a chart scale up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 42, 99_000, 120_000].map(niceCeil)).toEqual([1, 1, 5, 10, 50, 100_000, 200_000])
  })
})
