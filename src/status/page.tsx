import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { DatasetRecent, DatasetStats, HourlyPoint } from '../counters/types'
import { HOUR_MS, RECENT_HOURS, fillHours } from '../counters/hours'
import { HourlyChart } from './chart'
import { formatAgo, formatBytes, formatCount, formatDuration, formatRate, formatUtc } from './format'
import { STYLES } from './styles'

/** The summary object keeps this many hours per dataset, no more. */
export const CHART_HOURS = RECENT_HOURS
const REFRESH_SECONDS = 60
/** A dataset that sent nothing for this long is shown idle: Logpush pushes at least every few minutes under load. */
const RECEIVING_WITHIN_MS = 15 * 60 * 1000

type State = { key: 'receiving' | 'idle' | 'failing' | 'empty'; label: string }

/** What an operator wants to know first: is data arriving, and is anything failing. */
export function datasetState(s: DatasetStats, now: number): State {
  if (s.batches === 0 && s.failures === 0) return { key: 'empty', label: 'No data yet' }
  if (s.lastFailureAt !== null && s.lastFailureAt > (s.lastBatchAt ?? 0) && now - s.lastFailureAt < HOUR_MS) {
    return { key: 'failing', label: 'Failing' }
  }
  if (s.lastBatchAt !== null && now - s.lastBatchAt < RECEIVING_WITHIN_MS) return { key: 'receiving', label: 'Receiving' }
  return { key: 'idle', label: 'Idle' }
}

interface Placed {
  view: DatasetRecent
  state: State
  /** The chart's hours, every one of them. */
  hours: HourlyPoint[]
  /** Events in those hours. */
  events: number
}

/**
 * Cards for the datasets with a batch or a failed batch within the chart's hours, the most
 * events in those hours first, but a failing one before all: it is what an operator opens the
 * page for, and a dataset failing every batch has no events to rank by. The others (never
 * written, or silent for longer) go to one folded list, the most recently seen first: with
 * dozens of datasets most are idle, and their cards would bury the ones that move.
 * @example const { active, idle } = arrange(await readOverview(env, knownDatasets()), Date.now())
 */
export function arrange(datasets: readonly DatasetRecent[], now: number): { active: Placed[]; idle: Placed[] } {
  const placed = datasets.map((view): Placed => {
    const hours = fillHours(view.series, now, CHART_HOURS)
    return { view, state: datasetState(view.stats, now), hours, events: hours.reduce((acc, p) => acc + p.events, 0) }
  })
  const active = placed
    .filter((p) => p.hours.some((h) => h.batches > 0 || h.failures > 0))
    .sort(
      (a, b) =>
        Number(b.state.key === 'failing') - Number(a.state.key === 'failing') ||
        b.events - a.events ||
        a.view.stats.dataset.localeCompare(b.view.stats.dataset),
    )
  const idle = placed
    .filter((p) => !active.includes(p))
    .sort((a, b) => lastSeen(b.view.stats) - lastSeen(a.view.stats) || a.view.stats.dataset.localeCompare(b.view.stats.dataset))
  return { active, idle }
}

function lastSeen(s: DatasetStats): number {
  return Math.max(s.lastBatchAt ?? 0, s.lastFailureAt ?? 0, s.lastValidationAt ?? 0)
}

/**
 * The whole status page: a summary across datasets, a card per dataset with recent traffic,
 * then the idle datasets folded into one list. `sink` names where batches are stored ('S3',
 * 'R2'), as the page's labels say it.
 * @example c.html(<StatusPage now={Date.now()} sink="R2" datasets={await readOverview(env, knownDatasets())} />)
 */
export function StatusPage({ now, sink, datasets }: { now: number; sink: string; datasets: readonly DatasetRecent[] }) {
  const sum = (f: (s: DatasetStats) => number) => datasets.reduce((acc, d) => acc + f(d.stats), 0)
  const events = sum((s) => s.events)
  const quarantined = sum((s) => s.quarantined)
  const { active, idle } = arrange(datasets, now)
  const receiving = active.filter((d) => d.state.key === 'receiving').length
  const failing = active.filter((d) => d.state.key === 'failing').length

  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="refresh" content={String(REFRESH_SECONDS)} />
        <meta name="color-scheme" content="light dark" />
        <title>{failing > 0 ? `(${failing} failing) ` : ''}logpush-edge status</title>
        <style>{raw(STYLES)}</style>
      </head>
      <body>
        <header class="top">
          <div class="wrap top-inner">
            <div class="brand">
              <span class="mark" aria-hidden="true" />
              <span class="brand-name">logpush-edge</span>
              <span class="brand-sub">Cloudflare Logpush ingestion</span>
            </div>
            <p class="updated">
              Updated <time datetime={new Date(now).toISOString()}>{formatUtc(now)}</time>
              <span class="dot-sep">·</span>
              <span class="refresh">refreshes every {REFRESH_SECONDS} s</span>
            </p>
          </div>
        </header>
        <main class="wrap">
          <section class="summary" aria-label="All datasets">
            <Kpi label="Events in" metric="events" value={events} text={formatCount(events)} />
            <Kpi label="Written" metric="written" value={sum((s) => s.written)} text={formatCount(sum((s) => s.written))} />
            <Kpi
              label="Quarantined"
              metric="quarantined"
              value={quarantined}
              text={formatCount(quarantined)}
              note={`${formatRate(events === 0 ? 0 : quarantined / events)} of events`}
            />
            <Kpi
              label="Failed batches"
              metric="failures"
              value={sum((s) => s.failures)}
              text={formatCount(sum((s) => s.failures))}
              tone={failing > 0 ? 'bad' : undefined}
            />
            <Kpi label="Receiving" metric="receiving" value={receiving} text={`${receiving} of ${datasets.length}`} note="datasets, last 15 min" />
          </section>
          {active.length > 0 ? (
            <section class="cards" aria-label="Datasets with traffic">
              {active.map((d) => (
                <DatasetCard placed={d} now={now} sink={sink} />
              ))}
            </section>
          ) : (
            <p class="no-traffic">No dataset received a batch in the last {CHART_HOURS} hours.</p>
          )}
          {idle.length > 0 && <IdleList idle={idle} now={now} />}
        </main>
        <footer class="wrap foot">
          Counts move once a batch is durably stored in {sink}; a retried batch is counted once. Charts show the last {CHART_HOURS} hours by arrival time, in
          UTC. JSON: <code>GET /stats</code> with a bearer token.
        </footer>
      </body>
    </html>
  )
}

function Kpi(props: { label: string; metric: string; value: number; text: string; note?: string; tone?: 'bad' }) {
  return (
    <div class={`kpi${props.tone ? ` kpi-${props.tone}` : ''}`}>
      <div class="kpi-label">{props.label}</div>
      <div class="kpi-value" data-total={props.metric} data-value={String(props.value)}>
        {props.text}
      </div>
      {props.note && <div class="kpi-note">{props.note}</div>}
    </div>
  )
}

function IdleList({ idle, now }: { idle: Placed[]; now: number }) {
  const never = idle.filter((d) => d.state.key === 'empty').length
  return (
    <details class="idle" data-idle={String(idle.length)}>
      <summary>
        <span class="idle-title">
          {idle.length} idle {idle.length === 1 ? 'dataset' : 'datasets'}
        </span>
        <span class="idle-sub">
          no batch in the last {CHART_HOURS} h{never > 0 ? `, ${never} never sent one` : ''}
        </span>
      </summary>
      <ul class="idle-list">
        {idle.map(({ view: { stats: s }, state }) => (
          <li data-dataset={s.dataset} data-state={state.key}>
            <code class="idle-name">
              <DatasetName name={s.dataset} />
            </code>
            <span class="idle-note">
              {s.lastBatchAt === null ? (
                state.label
              ) : (
                <>
                  last batch{' '}
                  <time datetime={new Date(s.lastBatchAt).toISOString()} title={formatUtc(s.lastBatchAt)}>
                    {formatAgo(s.lastBatchAt, now)}
                  </time>
                  , {formatCount(s.events)} events
                </>
              )}
              {s.lastValidationAt !== null && s.lastBatchAt === null && (
                <>
                  , checked{' '}
                  <time datetime={new Date(s.lastValidationAt).toISOString()} title={formatUtc(s.lastValidationAt)}>
                    {formatAgo(s.lastValidationAt, now)}
                  </time>
                </>
              )}
            </span>
          </li>
        ))}
      </ul>
    </details>
  )
}

/**
 * A dataset name that a narrow column breaks after an underscore, between its words, rather
 * than anywhere: at 37 datasets, names such as email_security_post_delivery_events are common.
 */
function DatasetName({ name }: { name: string }) {
  const words = name.split('_')
  return <>{words.map((word, i) => (i < words.length - 1 ? [`${word}_`, <wbr />] : word))}</>
}

function DatasetCard({ placed, now, sink }: { placed: Placed; now: number; sink: string }) {
  const s = placed.view.stats
  const state = placed.state
  const reasons = Object.entries(s.failuresByReason)
  return (
    <article class={`card state-${state.key}`} data-dataset={s.dataset}>
      <header class="card-head">
        <h2>
          <DatasetName name={s.dataset} />
        </h2>
        <span class={`pill pill-${state.key}`}>
          <span class="pill-dot" />
          {state.label}
        </span>
      </header>
      <dl class="timeline">
        <Moment label="Last batch" metric="lastBatchAt" at={s.lastBatchAt} now={now} />
        <Moment label="Last event" metric="lastEventAt" at={s.lastEventAt} now={now} />
        <div>
          <dt>Ingestion lag</dt>
          <dd data-metric="lagMs" data-value={s.lagMs === null ? '' : String(s.lagMs)}>
            {s.lagMs === null ? '—' : formatDuration(s.lagMs)}
          </dd>
        </div>
      </dl>
      <dl class="metrics">
        <Metric label="Events in" metric="events" value={s.events} text={formatCount(s.events)} />
        <Metric label="Written" metric="written" value={s.written} text={formatCount(s.written)} />
        <Metric
          label="Quarantined"
          metric="quarantined"
          value={s.quarantined}
          text={formatCount(s.quarantined)}
          extra={
            <span class="rate" data-metric="quarantineRate" data-value={String(s.quarantineRate)}>
              {formatRate(s.quarantineRate)}
            </span>
          }
          tone={s.quarantined > 0 ? 'warn' : undefined}
        />
        <Metric label="Batches" metric="batches" value={s.batches} text={formatCount(s.batches)} />
        <Metric label="Received" metric="bytesReceived" value={s.bytesReceived} text={formatBytes(s.bytesReceived)} />
        <Metric label="Decompressed" metric="bytesDecompressed" value={s.bytesDecompressed} text={formatBytes(s.bytesDecompressed)} />
        <Metric label={`${sink} objects`} metric="objects" value={s.objects} text={formatCount(s.objects)} />
        <Metric label="Duplicates" metric="duplicates" value={s.duplicates} text={formatCount(s.duplicates)} />
        <Metric label="Failed batches" metric="failures" value={s.failures} text={formatCount(s.failures)} tone={s.failures > 0 ? 'bad' : undefined} />
      </dl>
      <HourlyChart points={placed.hours} label={`Per hour, last ${CHART_HOURS} h`} />
      <footer class="card-foot">
        {reasons.length > 0 ? (
          <ul class="reasons" aria-label="Failed batches by reason">
            {reasons.map(([reason, count]) => (
              <li data-reason={reason} data-value={String(count)}>
                <code>{reason}</code> {formatCount(count)}
              </li>
            ))}
          </ul>
        ) : (
          <span class="muted">No failed batches</span>
        )}
        <span class="muted" data-metric="validations" data-value={String(s.validations)}>
          {formatCount(s.validations)} destination {s.validations === 1 ? 'check' : 'checks'}
        </span>
      </footer>
    </article>
  )
}

function Metric(props: { label: string; metric: string; value: number; text: string; extra?: Child; tone?: 'warn' | 'bad' }) {
  return (
    <div class={props.tone ? `tone-${props.tone}` : undefined}>
      <dt>{props.label}</dt>
      <dd>
        <span data-metric={props.metric} data-value={String(props.value)}>
          {props.text}
        </span>
        {props.extra}
      </dd>
    </div>
  )
}

function Moment({ label, metric, at, now }: { label: string; metric: string; at: number | null; now: number }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-metric={metric} data-value={at === null ? '' : String(at)}>
        {at === null ? (
          '—'
        ) : (
          <time datetime={new Date(at).toISOString()} title={formatUtc(at)}>
            {formatAgo(at, now)}
          </time>
        )}
      </dd>
    </div>
  )
}
