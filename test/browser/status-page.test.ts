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
import { seedCounters, type Role } from './seed'

// Every dataset of the manifest, in the order the API lists them.
const DATASETS = knownDatasets()
/** The fixtures posted below are http_requests logs: that dataset is the busy one. */
const INGESTED = 'http_requests'
/** Roles whose datasets have traffic within the chart's 48 hours, so a card. */
const WITH_CARD = new Set<Role>(['busy', 'failing', 'quiet', 'steady'])
const hasCard = (dataset: string) => WITH_CARD.has(roles.get(dataset) ?? 'empty')

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
let roles: Map<string, Role>

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)`)
  // The real Worker from wrangler.toml in workerd, on a free port, with the test secrets.
  server = createTestHarness({ workers: [{ configPath: './wrangler.toml', secrets: { ...testBindings, S3_ENDPOINT: inject('s3Url') } }] })
  base = (await server.listen()).url
  // Days of history, seeded through the same client and RPC the ingest route uses...
  roles = await seedCounters(await server.getWorker<Env>().getEnv(), Date.now(), DATASETS, INGESTED)
  // ...and real batches through the Logpush route, into the local S3 server, for the current hour.
  for (const fixture of INGESTED_FIXTURES) {
    const body = await readFile(join(import.meta.dirname, '..', '..', 'fixtures', fixture))
    const posted = await fetch(new URL(`/logpush/${INGESTED}`, base), { method: 'POST', body, headers: { Authorization: `Bearer ${TOKEN}` } })
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

/** Elements a reader needs on every screen. */
const KEY = ['.brand-name', 'header time', '.kpi-value', 'article h2', 'article .pill', 'article .metrics', 'article .plot svg']

/** Text whose contrast with what is behind it is checked: the page's words and numbers. */
const TEXT = ['.brand-name', '.updated', '.kpi-label', '.kpi-value', '.kpi-note', 'article h2', 'article dt', 'article dd', '.chart-title', '.foot']
/** The page's text with the idle datasets folded: the list's summary line is shown. */
const FOLDED_TEXT = [...TEXT, '.idle-title', '.idle-sub']
/** The page's text with the list opened: its rows too. */
const OPEN_TEXT = [...FOLDED_TEXT, '.idle-name', '.idle-note']

interface Box {
  left: number
  top: number
  right: number
  bottom: number
}

interface Layout {
  width: number
  scrollWidth: number
  dark: boolean
  background: string
  cardBackground: string
  cards: Box[]
  /** The rows of the idle list that are drawn (none while it is folded). */
  idleRows: Box[]
  kpis: Box[]
  /** The KEY elements, with their box (null when not rendered: display none). */
  key: { selector: string; box: Box | null }[]
  /** Values drawn narrower than their text (cut by an ellipsis). */
  clipped: string[]
  text: { selector: string; color: string; background: string }[]
}

/** Measures the page as drawn at the current viewport and colour scheme, with the colours of `text`. */
function layout(text: string[]): Promise<Layout> {
  return page.evaluate(
    ({ text, key }) => {
      const box = (el: Element): Box => {
        const r = el.getBoundingClientRect()
        return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }
      }
      // The colour an element's text is drawn on: its own background, or the first ancestor's that is not transparent.
      const backdrop = (el: Element | null): string => {
        for (; el; el = el.parentElement) {
          const bg = getComputedStyle(el).backgroundColor
          if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg
        }
        return 'rgb(255, 255, 255)' // the canvas of a page that paints none
      }
      const all = (selector: string) => [...document.querySelectorAll(selector)]
      return {
        width: innerWidth,
        scrollWidth: document.documentElement.scrollWidth,
        dark: matchMedia('(prefers-color-scheme: dark)').matches,
        background: getComputedStyle(document.body).backgroundColor,
        cardBackground: getComputedStyle(document.querySelector('article[data-dataset]')!).backgroundColor,
        cards: all('article[data-dataset]').map(box),
        // A closed <details> hides its rows without display: none (offsetParent stays set).
        idleRows: all('.idle-list li')
          .filter((el) => el.checkVisibility())
          .map(box),
        kpis: all('.kpi').map(box),
        key: key.flatMap((selector) => {
          const found = all(selector)
          if (found.length === 0) return [{ selector, box: null }]
          return found.map((el) => ({ selector, box: (el as HTMLElement).offsetParent === null && getComputedStyle(el).position !== 'fixed' ? null : box(el) }))
        }),
        clipped: all('.kpi-value, article dd')
          .filter((el) => el.scrollWidth > el.clientWidth)
          .map((el) => el.textContent ?? ''),
        text: text.flatMap((selector) =>
          all(selector)
            .filter((el) => el.checkVisibility() && (el.textContent ?? '').trim() !== '')
            .map((el) => ({ selector, color: getComputedStyle(el).color, background: backdrop(el) })),
        ),
      }
    },
    { text, key: KEY },
  )
}

/** WCAG relative luminance of a CSS rgb()/rgba() colour. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

/** WCAG contrast ratio of two colours, 1 to 21. */
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

/** How many columns the boxes stand in (by their left edge). */
function columns(boxes: Box[]): number {
  return new Set(boxes.map((b) => Math.round(b.left))).size
}

/** Every key element is drawn, with a size, and within the width of the screen. */
function expectOnScreen(l: Layout): void {
  for (const selector of KEY) expect(l.key.filter((k) => k.selector === selector).length, selector).toBeGreaterThan(0)
  for (const { selector, box } of l.key) {
    expect(box, `${selector} is drawn`).not.toBeNull()
    expect(box!.right - box!.left, `${selector} has a width`).toBeGreaterThan(0)
    expect(box!.left, `${selector} starts on screen`).toBeGreaterThanOrEqual(0)
    expect(box!.right, `${selector} ends on screen`).toBeLessThanOrEqual(l.width)
  }
}

/** No two boxes overlap. */
function expectApart(boxes: Box[]): void {
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
      expect(overlap, `${JSON.stringify(a)} and ${JSON.stringify(b)} overlap`).toBe(false)
    }
  }
}

/** Opens the list of idle datasets for `run`, and folds it again after. */
async function withIdleOpen<T>(run: () => Promise<T>): Promise<T> {
  const summary = page.locator('details.idle summary')
  await summary.click()
  expect(await page.locator('details.idle').getAttribute('open')).not.toBeNull()
  try {
    return await run()
  } finally {
    await summary.click()
  }
}

/** The opened list's rows: all of them drawn, apart, within the screen, in `cols` columns. */
function expectIdleRows(l: Layout, count: number, cols: (n: number) => boolean): void {
  expect(l.idleRows).toHaveLength(count)
  expect(cols(columns(l.idleRows)), `${columns(l.idleRows)} columns of idle rows`).toBe(true)
  expectApart(l.idleRows)
  for (const row of l.idleRows) expect(row.right, 'an idle row ends on screen').toBeLessThanOrEqual(l.width)
  expect(l.scrollWidth).toBeLessThanOrEqual(l.width)
}

/** Every word and number of `text` is shown and stands out from what is behind it by WCAG AA's 4.5:1 at least. */
function expectReadable(l: Layout, text: string[]): void {
  for (const selector of text)
    expect(
      l.text.some((t) => t.selector === selector),
      `${selector} is shown`,
    ).toBe(true)
  for (const t of l.text) expect(contrast(t.color, t.background), `${t.selector}: ${t.color} on ${t.background}`).toBeGreaterThanOrEqual(4.5)
}

const lastSeen = (s: DatasetStats) => Math.max(s.lastBatchAt ?? 0, s.lastFailureAt ?? 0, s.lastValidationAt ?? 0)

/** The datasets a page should fold away, in the order it should list them. */
function expectedIdle(datasets: readonly DatasetStats[]): string[] {
  return datasets
    .filter((s) => !hasCard(s.dataset))
    .sort((a, b) => lastSeen(b) - lastSeen(a) || a.dataset.localeCompare(b.dataset))
    .map((s) => s.dataset)
}

/** The datasets of the cards, in page order. */
function cardsOf(): Promise<string[]> {
  return page.locator('article[data-dataset]').evaluateAll((els) => els.map((e) => e.getAttribute('data-dataset') ?? ''))
}

/** The cards come failing first, then by events in the chart's hours, the most first; `events48` gives those. */
async function expectCardOrder(events48: (dataset: string) => Promise<number>): Promise<void> {
  const cards = await page
    .locator('article[data-dataset]')
    .evaluateAll((els) => els.map((e) => ({ dataset: e.getAttribute('data-dataset') ?? '', failing: e.classList.contains('state-failing') })))
  const keys = await Promise.all(cards.map(async (c) => ({ ...c, events: await events48(c.dataset) })))
  for (const [i, next] of keys.entries()) {
    const prev = keys[i - 1]
    if (!prev) continue
    expect(Number(next.failing), `${prev.dataset} before ${next.dataset}`).toBeLessThanOrEqual(Number(prev.failing))
    if (next.failing === prev.failing) expect(next.events, `${prev.dataset} before ${next.dataset}`).toBeLessThanOrEqual(prev.events)
  }
}

/** The folded list holds exactly `expected`, in that order, counted in its summary, closed until clicked. */
async function expectFolded(expected: string[]): Promise<void> {
  const folded = page.locator('details.idle')
  expect(await folded.count()).toBe(expected.length > 0 ? 1 : 0)
  if (expected.length === 0) return
  expect(await folded.getAttribute('open')).toBeNull()
  expect(await folded.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-dataset')))).toEqual(expected)
  expect(await folded.locator('summary').innerText()).toContain(`${expected.length} idle`)
  expect(await folded.locator('li').first().isVisible()).toBe(false)
  await folded.locator('summary').click()
  expect(await folded.locator('li').first().isVisible()).toBe(true)
  await folded.locator('summary').click()
  expect(await folded.getAttribute('open')).toBeNull()
}

/** Events in the chart's hours of a dataset, by GET /stats/:dataset (its own object, not the summary). */
async function events48Of(dataset: string, rendered: number): Promise<number> {
  const res = await fetch(new URL(`/stats/${dataset}`, base), { headers: { Authorization: `Bearer ${TOKEN}` } })
  const { series } = (await res.json()) as { series: { hour: number; events: number }[] }
  const firstHour = hourOf(rendered) - 47 * HOUR_MS
  return series.filter((p) => p.hour >= firstHour).reduce((acc, p) => acc + p.events, 0)
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
    const carded = await cardsOf()
    expect(new Set(carded)).toEqual(new Set(DATASETS.filter(hasCard)))

    for (const s of stats.datasets.filter((d) => carded.includes(d.dataset))) {
      const counts = ['events', 'written', 'quarantined', 'batches', 'objects', 'duplicates', 'failures'] as const
      for (const metric of counts) {
        expect(await shown(s.dataset, metric), `${s.dataset} ${metric}`).toEqual({ text: formatCount(s[metric]), value: String(s[metric]) })
      }
      for (const metric of ['bytesReceived', 'bytesDecompressed'] as const) {
        expect(await shown(s.dataset, metric)).toEqual({ text: formatBytes(s[metric]), value: String(s[metric]) })
      }
      expect(await shown(s.dataset, 'quarantineRate')).toEqual({ text: formatRate(s.quarantineRate), value: String(s.quarantineRate) })
      expect(await shown(s.dataset, 'lagMs')).toEqual(s.lagMs === null ? { text: '—', value: '' } : { text: formatDuration(s.lagMs), value: String(s.lagMs) })
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
    const pills: Partial<Record<Role, string>> = { busy: 'Receiving', failing: 'Failing', quiet: 'Idle', steady: 'Receiving' }
    for (const dataset of DATASETS.filter(hasCard)) {
      expect(await page.locator(`article[data-dataset="${dataset}"] .pill`).innerText(), dataset).toBe(pills[roles.get(dataset) ?? 'empty'])
    }
    expect((await shown(INGESTED, 'duplicates')).value).toBe('1')
    // The Worker runs with the default sink: the labels name S3.
    expect(await page.locator(`article[data-dataset="${INGESTED}"] dt`, { hasText: 'objects' }).innerText()).toBe('S3 objects')
  })

  it('puts a failing card first, then the most events in 48 h, and folds the datasets without traffic in 48 h', async () => {
    const rendered = Date.parse((await page.locator('header time').getAttribute('datetime')) ?? '')
    expect((await cardsOf())[0]).toBe(DATASETS.find((d) => roles.get(d) === 'failing'))
    await expectCardOrder((dataset) => events48Of(dataset, rendered))
    await expectFolded(expectedIdle(stats.datasets))
  })

  it('draws an hourly bar for every hour with events in the last 48 h', async () => {
    const rendered = Date.parse((await page.locator('header time').getAttribute('datetime')) ?? '')
    const firstHour = hourOf(rendered) - 47 * HOUR_MS
    for (const dataset of DATASETS.filter(hasCard)) {
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

  it('at desktop width: no sideways scroll, the totals in one row, the cards in two columns, the idle list in columns (status-desktop.png, status-desktop-open.png)', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.emulateMedia({ colorScheme: 'light' })
    await page.screenshot({ path: join(ARTIFACTS, 'status-desktop.png'), fullPage: true })
    const l = await layout(FOLDED_TEXT)
    expect(l.scrollWidth).toBeLessThanOrEqual(l.width)
    expect(l.kpis).toHaveLength(5)
    expect(new Set(l.kpis.map((k) => Math.round(k.top))).size, 'rows of totals').toBe(1)
    expect(l.cards).toHaveLength(DATASETS.filter(hasCard).length)
    expect(columns(l.cards), 'columns of cards').toBe(2)
    expect(new Set(l.cards.map((c) => Math.round(c.top))).size, 'rows of cards').toBe(Math.ceil(l.cards.length / 2))
    expectApart(l.cards)
    expectOnScreen(l)
    expect(l.clipped, 'numbers cut short').toEqual([])
    expect(luminance(l.background), 'a light page').toBeGreaterThan(0.8)
    expectReadable(l, FOLDED_TEXT)
    expect(l.idleRows, 'folded').toEqual([])

    await withIdleOpen(async () => {
      await page.screenshot({ path: join(ARTIFACTS, 'status-desktop-open.png'), fullPage: true })
      const open = await layout(OPEN_TEXT)
      expectIdleRows(open, DATASETS.length - l.cards.length, (n) => n >= 3)
      expectReadable(open, OPEN_TEXT)
    })
  })

  it('on a phone: no sideways scroll, one column of cards and of idle datasets, all on screen (status-phone.png, status-phone-full.png, status-phone-open.png)', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    // The first screen, as a phone shows it (from the top: the tests before scrolled to the
    // idle list), and the whole page.
    await page.evaluate(() => scrollTo(0, 0))
    await page.screenshot({ path: join(ARTIFACTS, 'status-phone.png') })
    await page.screenshot({ path: join(ARTIFACTS, 'status-phone-full.png'), fullPage: true })
    const l = await layout(FOLDED_TEXT)
    expect(columns(l.cards), 'columns of cards').toBe(1)
    expectApart(l.cards)
    expectOnScreen(l)
    expect(l.clipped, 'numbers cut short').toEqual([])
    expectReadable(l, FOLDED_TEXT)

    await withIdleOpen(async () => {
      await page.screenshot({ path: join(ARTIFACTS, 'status-phone-open.png'), fullPage: true })
      const open = await layout(OPEN_TEXT)
      expectIdleRows(open, DATASETS.length - l.cards.length, (n) => n === 1)
      expectReadable(open, OPEN_TEXT)
    })
  })

  it('in dark mode: dark backgrounds, light text that reads, the same layout (status-desktop-dark.png, status-desktop-dark-open.png)', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    const light = await layout(FOLDED_TEXT)
    await page.emulateMedia({ colorScheme: 'dark' })
    try {
      await page.screenshot({ path: join(ARTIFACTS, 'status-desktop-dark.png'), fullPage: true })
      const dark = await layout(FOLDED_TEXT)
      expect(dark.dark, 'prefers-color-scheme: dark').toBe(true)
      expect(dark.background).not.toBe(light.background)
      expect(dark.cardBackground).not.toBe(light.cardBackground)
      expect(luminance(dark.background), 'a dark page').toBeLessThan(0.05)
      expect(luminance(dark.cardBackground), 'dark cards').toBeLessThan(0.05)
      expect(Math.min(...dark.text.map((t) => luminance(t.color))), 'the dimmest text').toBeGreaterThan(0.25)
      expectReadable(dark, FOLDED_TEXT)
      expect(dark.cards, 'the same layout as in light mode').toEqual(light.cards)
      expect(dark.scrollWidth).toBeLessThanOrEqual(dark.width)
      expectOnScreen(dark)

      await withIdleOpen(async () => {
        await page.screenshot({ path: join(ARTIFACTS, 'status-desktop-dark-open.png'), fullPage: true })
        const open = await layout(OPEN_TEXT)
        expect(Math.min(...open.text.map((t) => luminance(t.color))), 'the dimmest text').toBeGreaterThan(0.25)
        expectReadable(open, OPEN_TEXT)
      })
    } finally {
      await page.emulateMedia({ colorScheme: 'light' })
    }
  })
})
