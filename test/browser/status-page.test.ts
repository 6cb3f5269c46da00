import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestHarness, type TestHarness } from 'wrangler'
import type { DatasetStats } from '../../src/counters/client'
import { HOUR_MS, hourOf } from '../../src/counters/hours'
import { knownDatasets } from '../../src/schema/registry'
import { formatBytes, formatCount, formatDuration, formatRate } from '../../src/status/format'
import { testBindings } from '../../vitest.config'
import { seedCounters } from './seed'

// Every dataset of the manifest, in the order the API lists them.
const DATASETS = knownDatasets()

// Debian's chromium, driven by playwright-core: no browser download. .ci/run installs it.
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const INGESTED_FIXTURES = ['http_requests.unixnano.ndjson.gz', 'http_requests.rfc3339.ndjson', 'bad-lines.ndjson']
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts')
const TOKEN = testBindings.INGEST_TOKEN
const SECRETS = [testBindings.INGEST_TOKEN, testBindings.AWS_SECRET_ACCESS_KEY]

type StatsBody = { generatedAt: number; datasets: DatasetStats[] }

let server: TestHarness
let base: URL
let profile: string
let context: BrowserContext
let page: Page
let stats: StatsBody

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)`)
  // The real Worker from wrangler.toml in workerd, on a free port, with the test secrets.
  server = createTestHarness({ workers: [{ configPath: './wrangler.toml', secrets: { ...testBindings, S3_ENDPOINT: inject('s3Url') } }] })
  base = (await server.listen()).url
  // Two days of history, seeded through the same client and RPC the ingest route uses...
  await seedCounters(await server.getWorker<Env>().getEnv(), Date.now())
  // ...and real batches through the Logpush route, into the local S3 server, for the current hour.
  for (const fixture of INGESTED_FIXTURES) {
    const body = await readFile(join(import.meta.dirname, '..', '..', 'fixtures', fixture))
    const posted = await fetch(new URL('/logpush/http_requests', base), { method: 'POST', body, headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(posted.status, fixture).toBe(200)
  }

  const res = await fetch(new URL('/stats', base), { headers: { Authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(200)
  stats = (await res.json()) as StatsBody

  profile = await mkdtemp(join(tmpdir(), 'logpush-edge-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
    httpCredentials: { username: 'operator', password: TOKEN },
  })
  page = context.pages()[0] ?? (await context.newPage())
  await mkdir(ARTIFACTS, { recursive: true })
})

afterAll(async () => {
  await context?.close()
  await server?.close()
  if (profile) await rm(profile, { recursive: true, force: true })
})

/** The text and data-value of one element of a dataset's card. */
async function shown(dataset: string, metric: string): Promise<{ text: string; value: string | null }> {
  const el = page.locator(`article[data-dataset="${dataset}"] [data-metric="${metric}"]`)
  expect(await el.count(), `${dataset} ${metric}`).toBe(1)
  return { text: (await el.innerText()).trim(), value: await el.getAttribute('data-value') }
}

describe('status page in Chromium', () => {
  it('asks a browser without credentials to sign in', async () => {
    const res = await fetch(base)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="logpush-edge"')
  })

  it('shows the numbers of GET /stats, card by card', async () => {
    const res = await page.goto(base.href)
    expect(res?.status()).toBe(200)
    expect(await page.title()).toContain('logpush-edge')
    expect(await page.locator('article[data-dataset]').evaluateAll((els) => els.map((e) => e.getAttribute('data-dataset')))).toEqual([
      ...DATASETS,
    ])

    for (const s of stats.datasets) {
      const counts = ['events', 'written', 'quarantined', 'batches', 'objects', 'duplicates', 'failures'] as const
      for (const metric of counts) {
        expect(await shown(s.dataset, metric), `${s.dataset} ${metric}`).toEqual({ text: formatCount(s[metric]), value: String(s[metric]) })
      }
      for (const metric of ['bytesReceived', 'bytesDecompressed'] as const) {
        expect(await shown(s.dataset, metric)).toEqual({ text: formatBytes(s[metric]), value: String(s[metric]) })
      }
      expect(await shown(s.dataset, 'quarantineRate')).toEqual({ text: formatRate(s.quarantineRate), value: String(s.quarantineRate) })
      expect(await shown(s.dataset, 'lagMs')).toEqual(
        s.lagMs === null ? { text: '—', value: '' } : { text: formatDuration(s.lagMs), value: String(s.lagMs) },
      )
      for (const metric of ['lastBatchAt', 'lastEventAt'] as const) {
        expect((await shown(s.dataset, metric)).value).toBe(s[metric] === null ? '' : String(s[metric]))
      }
      expect((await shown(s.dataset, 'validations')).value).toBe(String(s.validations))
      for (const [reason, count] of Object.entries(s.failuresByReason)) {
        const chip = page.locator(`article[data-dataset="${s.dataset}"] [data-reason="${reason}"]`)
        expect(await chip.getAttribute('data-value')).toBe(String(count))
      }
    }

    const total = (metric: string) => page.locator(`[data-total="${metric}"]`).getAttribute('data-value')
    const sum = (f: (s: DatasetStats) => number) => String(stats.datasets.reduce((acc, s) => acc + f(s), 0))
    expect(await total('events')).toBe(sum((s) => s.events))
    expect(await total('quarantined')).toBe(sum((s) => s.quarantined))
    expect(await total('failures')).toBe(sum((s) => s.failures))
  })

  it('shows what the seed made of each dataset', async () => {
    const pill = (dataset: string) => page.locator(`article[data-dataset="${dataset}"] .pill`).innerText()
    expect(await pill('http_requests')).toBe('Receiving')
    expect(await pill('firewall_events')).toBe('Failing')
    expect(await pill('audit_logs')).toBe('Idle')
    expect(await pill('spectrum_events')).toBe('No data yet')
    expect((await shown('http_requests', 'duplicates')).value).toBe('1')
  })

  it('draws an hourly bar for every hour with events in the last 48 h', async () => {
    const rendered = Date.parse((await page.locator('header time').getAttribute('datetime')) ?? '')
    const firstHour = hourOf(rendered) - 47 * HOUR_MS
    for (const dataset of DATASETS) {
      const res = await fetch(new URL(`/stats/${dataset}`, base), { headers: { Authorization: `Bearer ${TOKEN}` } })
      const { series } = (await res.json()) as { series: { hour: number; events: number }[] }
      const busy = series.filter((p) => p.hour >= firstHour && p.events > 0).length
      const card = page.locator(`article[data-dataset="${dataset}"]`)
      expect(await card.locator('svg g').count()).toBe(48)
      expect(await card.locator('svg .bar-events').count(), dataset).toBe(busy)
    }
  })

  it('keeps secrets off the page', async () => {
    const html = await page.content()
    for (const secret of SECRETS) expect(html).not.toContain(secret)
  })

  it('fits a desktop and a phone screen, light and dark (screenshots in test/artifacts/)', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.screenshot({ path: join(ARTIFACTS, 'status-desktop.png'), fullPage: true })

    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    // The first screen, as a phone shows it, and the whole page.
    await page.screenshot({ path: join(ARTIFACTS, 'status-phone.png') })
    await page.screenshot({ path: join(ARTIFACTS, 'status-phone-full.png'), fullPage: true })

    await page.setViewportSize({ width: 1280, height: 900 })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(ARTIFACTS, 'status-desktop-dark.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'light' })
  })
})
