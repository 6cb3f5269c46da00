import type { DatasetStats } from '../../../src/counters/types'
import { type Command, EXIT_OK, EXIT_PROBLEM, parseCommandOptions, printJson, printText } from '../../command'
import { type LogpushJob, apiFromEnv } from '../../logpush/api'
import { explainApiError } from '../../logpush/api-errors'
import { eachScope } from '../../logpush/each-scope'
import { isOurs, parseHttpDestination } from '../../logpush/job-spec'
import { renderFailures, renderScopes } from '../../logpush/render'
import { SCOPE_HELP, SCOPE_OPTIONS, type Scope, datasetsFrom, scopeLabel, scopesFrom } from '../../logpush/targets'
import { workerStats } from '../../logpush/worker'

/** The Worker's counters for a job's dataset, as `status` shows them. */
export type WorkerCounters = Pick<DatasetStats, 'batches' | 'events' | 'written' | 'quarantined' | 'validations' | 'failures' | 'lastBatchAt' | 'lastEventAt'>

/** One job of ours, beside the Worker's counters for its dataset. */
export interface JobStatus {
  dataset: string
  scope: Scope
  id: number | null
  name: string
  enabled: boolean
  last_complete: string | null
  last_error: string | null
  error_message: string | null
  /** The destination without its token. */
  destination: string | null
  worker: WorkerCounters | { error: string }
}

/** A zone or account whose jobs could not be listed, as setup reports a failure. */
export interface ScopeFailure {
  dataset: string
  scope: Scope
  error: { code: string; message: string }
}

/** `status --json`. `others` counts the jobs of each scope that are not ours (left out). */
export interface StatusReport {
  jobs: JobStatus[]
  failures: ScopeFailure[]
  others: { scope: Scope; count: number }[]
}

function help(): string {
  return `Usage: logpush-edge status (--zone <id>... | --account <id>...) [--datasets <a,b|all>] [--json]

Lists each Logpush job of ours (named logpush-edge-<dataset>) with its dataset, scope, enabled,
last_complete, last_error and error_message, beside the Worker's counters for the dataset
(GET /stats on the Worker the job pushes to, with the job's own token): batches, events,
quarantined and the last batch. Jobs made by others are counted, not shown.

Options:
${SCOPE_HELP}
  --datasets <a,b|all>           only these datasets (default: all)
  --json                         one JSON object on stdout: {jobs:[...],failures,others}
  -h, --help                     this text

Environment: CLOUDFLARE_API_TOKEN, CLOUDFLARE_BASE_URL, CLOUDFLARE_MAX_RETRIES (see setup --help).

Exit status: 0 every job enabled and not failing, its Worker answering; 1 a job disabled or
failing, a Worker not answering, no job of ours, or a scope that could not be listed;
2 bad usage or the API cannot be reached.
`
}

const COUNTER_KEYS = ['batches', 'events', 'written', 'quarantined', 'validations', 'failures', 'lastBatchAt', 'lastEventAt'] as const

function counters(stats: DatasetStats | undefined): WorkerCounters {
  const out = {} as Record<(typeof COUNTER_KEYS)[number], number | null>
  for (const key of COUNTER_KEYS) out[key] = stats?.[key] ?? (key.endsWith('At') ? null : 0)
  return out as WorkerCounters
}

/** Where a job pushes: the Worker's base URL and the token it sends, when it is one of our destinations. */
function workerOf(job: LogpushJob): { base: string; token: string } | undefined {
  const parsed = job.destination_conf ? parseHttpDestination(job.destination_conf) : undefined
  const auth = parsed?.headers.Authorization
  const at = parsed?.url.lastIndexOf('/logpush/') ?? -1
  if (!parsed || !auth?.startsWith('Bearer ') || at === -1) return undefined
  return { base: parsed.url.slice(0, at), token: auth.slice('Bearer '.length) }
}

function isProblem(job: JobStatus): boolean {
  return !job.enabled || job.error_message !== null || job.last_error !== null || 'error' in job.worker
}

function when(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
}

function render(report: StatusReport): string {
  let text = ''
  if (report.jobs.length > 0) {
    text += renderScopes(report.jobs, ['dataset', 'job', 'enabled', 'last complete', 'last error', 'batches', 'events', 'quarantined', 'last batch'], (j) => {
      const w = 'error' in j.worker ? undefined : j.worker
      return [
        j.dataset,
        j.id === null ? '-' : `#${j.id}`,
        j.enabled ? 'yes' : 'NO',
        j.last_complete ?? '-',
        j.last_error ?? '-',
        w ? String(w.batches) : '?',
        w ? String(w.events) : '?',
        w ? String(w.quarantined) : '?',
        w ? when(w.lastBatchAt) : '?',
      ]
    })
  }
  const problems = report.jobs.filter(isProblem)
  if (problems.length > 0) {
    text += '\nneeds a look:\n'
    for (const j of problems) {
      const why = [
        j.enabled ? '' : 'disabled: run setup to enable it',
        j.error_message ? `Cloudflare: ${j.error_message}` : j.last_error ? `last failed at ${j.last_error}` : '',
        'error' in j.worker ? `Worker: ${j.worker.error}` : '',
      ].filter((s) => s !== '')
      text += `  ${j.dataset} on ${scopeLabel(j.scope)} (job #${j.id}): ${why.join('; ')}\n`
    }
  }
  text += renderFailures(report.failures)
  const others = report.others.filter((o) => o.count > 0)
  if (others.length > 0) text += `\nleft out, not ours: ${others.map((o) => `${o.count} on ${scopeLabel(o.scope)}`).join(', ')}\n`
  if (report.jobs.length === 0 && report.failures.length === 0) text += 'no logpush-edge jobs here: run `logpush-edge setup` to create them\n'
  else text += `\n${report.jobs.length} jobs, ${problems.length} need a look\n`
  return text
}

/** `status`: our jobs, as Cloudflare reports them, beside the Worker's counters. */
export const status: Command = {
  name: 'status',
  summary: "our Logpush jobs with their state, beside the Worker's counters: is everything flowing?",
  help,
  async run(argv) {
    const values = parseCommandOptions('status', argv, SCOPE_OPTIONS)
    const scopes = scopesFrom('status', values)
    const wanted = new Set(datasetsFrom('status', values.datasets, scopes, false))
    const api = apiFromEnv()

    const report: StatusReport = { jobs: [], failures: [], others: [] }
    type Listed = { scope: Scope; jobs: LogpushJob[] } | { scope: Scope; error: ScopeFailure['error'] }
    const listed = await eachScope(scopes, async (scope): Promise<Listed> => {
      try {
        return { scope, jobs: await api.listJobs(scope) }
      } catch (err) {
        return { scope, error: explainApiError(err, 'list jobs', scope) }
      }
    })
    const ours: { scope: Scope; job: LogpushJob }[] = []
    for (const entry of listed) {
      if ('error' in entry) {
        report.failures.push({ dataset: '(all)', scope: entry.scope, error: entry.error })
        continue
      }
      const mine = entry.jobs.filter((j) => isOurs(j) && wanted.has(j.dataset ?? ''))
      report.others.push({ scope: entry.scope, count: entry.jobs.filter((j) => !isOurs(j)).length })
      for (const job of mine.sort((a, b) => (a.dataset ?? '').localeCompare(b.dataset ?? '') || (a.id ?? 0) - (b.id ?? 0)))
        ours.push({ scope: entry.scope, job })
    }

    // One /stats call per Worker and token, however many jobs push there.
    const stats = new Map<string, ReturnType<typeof workerStats>>()
    for (const { scope, job } of ours) {
      const worker = workerOf(job)
      let counted: WorkerCounters | { error: string }
      if (!worker) counted = { error: 'its destination is not a logpush-edge URL (<worker>/logpush/<dataset> with a Bearer token): run setup again' }
      else {
        const key = `${worker.base}\n${worker.token}`
        if (!stats.has(key)) stats.set(key, workerStats(worker.base, worker.token))
        const answer = await stats.get(key)!
        counted = 'error' in answer ? answer : counters(answer.stats.get(job.dataset ?? ''))
      }
      const destination = job.destination_conf ? (parseHttpDestination(job.destination_conf)?.url ?? null) : null
      report.jobs.push({
        dataset: job.dataset ?? '',
        scope,
        id: job.id ?? null,
        name: job.name ?? '',
        enabled: job.enabled === true,
        last_complete: job.last_complete ?? null,
        last_error: job.last_error ?? null,
        error_message: job.error_message ?? null,
        destination,
        worker: counted,
      })
    }
    if (values.json) printJson(report)
    else printText(render(report))
    const healthy = report.jobs.length > 0 && report.failures.length === 0 && !report.jobs.some(isProblem)
    return healthy ? EXIT_OK : EXIT_PROBLEM
  },
}
