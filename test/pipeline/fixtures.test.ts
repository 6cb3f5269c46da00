import { describe, expect, it } from 'vitest'
import { knownDatasets, schemaFiles, schemas } from '../../src/schema/registry'
import { datasetFixtures, expectFixtureWritten, expectSameEventsInEveryFormat, fixture, FORMATS, outcome } from '../helpers/fixtures'
import { run } from '../helpers/pipeline'

// The batches scripts/make-fixtures.mjs writes from the manifest (npm run fixtures): one per
// dataset of the manifest and timestamp format, so a new schema file needs its fixtures here.
describe('every dataset of the manifest has fixtures that are written in full', () => {
  for (const f of datasetFixtures(knownDatasets())) {
    it(`${f.file} is written in full, plain and gzipped alike`, async () => {
      await expectFixtureWritten(schemas().get(f.dataset)!, f)
    })
  }

  for (const dataset of knownDatasets()) {
    it(`${dataset}: the ${FORMATS.length} timestamp formats carry the same events at the same instants`, async () => {
      const runs = await Promise.all(datasetFixtures([dataset]).map((f) => expectFixtureWritten(schemas().get(dataset)!, f)))
      expectSameEventsInEveryFormat(runs, schemaFiles()[dataset]!)
    })
  }

  it('fails for a dataset without fixtures', async () => {
    const [missing] = datasetFixtures(['dataset_without_fixtures'])
    await expect(expectFixtureWritten(schemas().get('http_requests')!, missing!)).rejects.toThrow(
      'fixtures/dataset_without_fixtures.unixnano.ndjson is missing',
    )
  })
})

describe('the special fixtures', () => {
  it('http_requests.two-hours.ndjson writes two partitions', async () => {
    for (const gzip of [false, true]) {
      const r = await run('http_requests', fixture('http_requests.two-hours.ndjson'), { gzip })
      expect(r.counts).toMatchObject({ events: 20, written: 20, quarantined: 0 })
      expect([...r.out.events.keys()]).toEqual(['2022-05-25 13', '2022-05-25 14'])
      expect(r.out.events.get('2022-05-25 13')!.length + r.out.events.get('2022-05-25 14')!.length).toBe(20)
      expect(r.out.events.get('2022-05-25 14')!.length).toBeGreaterThan(5)
    }
  })

  it('bad-lines.ndjson quarantines exactly the bad lines, each with its reason', async () => {
    const badLines = fixture('bad-lines.ndjson')
    const r = await run('http_requests', badLines)
    const reasons = r.reasons.map((q) => [q.line, q.reason])
    expect(reasons[0]![0]).toBe(2)
    expect(reasons[0]![1]).toMatch(/^not valid JSON: /)
    expect(reasons.slice(1)).toEqual([
      [3, 'expected a JSON object, got an array'],
      [4, 'EdgeStartTimestamp: required field is missing'],
      [5, 'EdgeStartTimestamp: expected timestamp, got "yesterday"'],
      [6, 'ClientSrcPort: expected int, got "443/tcp"'],
      [7, 'EdgeResponseStatus: expected smallint, got 70000'],
      [9, 'CacheTieredFill: expected boolean, got "yes"'],
      [10, 'BotTags[1]: bad element of [string], got {"name":"bing"}'],
      [11, 'EdgeResponseCompressionRatio: expected float, got "n/a"'],
      [12, 'ZoneID: expected bigint, got 1.5'],
      [13, 'ZoneID: expected bigint, got "9223372036854775808"'],
      [14, 'ClientIP: expected string, got {"v4":"192.0.2.1"}'],
      [15, 'EdgeStartTimestamp: expected timestamp, got "Wed, 25 May 2022 13:25:26 GMT"'],
      [16, 'EdgeStartTimestamp: required field is empty'],
      [17, 'EdgeStartTimestamp: expected timestamp, got "2022-02-30T10:00:00Z"'],
      [18, 'ClientSrcPort: expected int, got 3000000000'],
    ])
    expect(r.counts).toMatchObject({ events: 19, written: 3, quarantined: 16 })
    const lines = badLines.split('\n')
    for (const q of r.reasons) expect(q.raw).toBe(lines[q.line - 1])
    expect(outcome(await run('http_requests', badLines, { gzip: true }))).toBe(outcome(r))
  })
})
