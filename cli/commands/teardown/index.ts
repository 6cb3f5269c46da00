import { type Command, EXIT_OK, EXIT_PROBLEM, parseCommandOptions, printJson, printText } from '../../command'
import { type LogpushJob, apiFromEnv } from '../../logpush/api'
import { explainApiError } from '../../logpush/api-errors'
import { eachScope } from '../../logpush/each-scope'
import { isOurs } from '../../logpush/job-spec'
import { renderFailures, renderScopes } from '../../logpush/render'
import { SCOPE_HELP, SCOPE_OPTIONS, type Scope, datasetsFrom, scopesFrom } from '../../logpush/targets'

const OPTIONS = { ...SCOPE_OPTIONS, 'dry-run': { type: 'boolean' } } as const

export type TeardownAction = 'deleted' | 'would delete' | 'left alone' | 'failed'

/** One job teardown saw. `left alone`: not ours, or ours for a dataset not asked for. */
export interface TeardownResult {
  dataset: string
  scope: Scope
  id: number | null
  name: string
  action: TeardownAction
  /** Why a job was left alone. */
  reason?: string
  error?: { code: string; message: string }
}

/** `teardown --json`. */
export interface TeardownReport {
  dryRun: boolean
  jobs: TeardownResult[]
}

function help(): string {
  return `Usage: logpush-edge teardown (--zone <id>... | --account <id>...) [--datasets <a,b|all>] [--dry-run] [--json]

Deletes our Logpush jobs (named logpush-edge-<dataset>) at the zones and accounts given, and only
ours: every other job is listed as left alone.

Options:
${SCOPE_HELP}
  --datasets <a,b|all>           only these datasets' jobs (default: all of ours)
  --dry-run                      list what would be deleted; delete nothing
  --json                         one JSON object on stdout: {dryRun,jobs:[...]}
  -h, --help                     this text

Environment: CLOUDFLARE_API_TOKEN, CLOUDFLARE_BASE_URL, CLOUDFLARE_MAX_RETRIES (see setup --help).

Exit status: 0 every job of ours asked for is gone; 1 a deletion or a listing failed;
2 bad usage or the API cannot be reached.
`
}

function row(scope: Scope, job: LogpushJob, action: TeardownAction, extra: Partial<TeardownResult> = {}): TeardownResult {
  return { dataset: job.dataset ?? '-', scope, id: job.id ?? null, name: job.name ?? '', action, ...extra }
}

function render(report: TeardownReport): string {
  if (report.jobs.length === 0) return 'no Logpush jobs here: nothing to delete\n'
  let text = renderScopes(report.jobs, ['dataset', 'job', 'name', 'action'], (r) => [
    r.dataset,
    r.id === null ? '-' : `#${r.id}`,
    r.name || '-',
    r.reason ? `${r.action} (${r.reason})` : r.action,
  ])
  text += renderFailures(report.jobs)
  const count = (action: TeardownAction) => report.jobs.filter((r) => r.action === action).length
  const done = report.dryRun ? `dry run: ${count('would delete')} to delete` : `${count('deleted')} deleted`
  return `${text}\n${done}, ${count('left alone')} left alone, ${count('failed')} failed\n`
}

/** `teardown`: deletes our jobs, and only ours. */
export const teardown: Command = {
  name: 'teardown',
  summary: 'delete our Logpush jobs (only ours; others are left alone)',
  help,
  async run(argv) {
    const values = parseCommandOptions('teardown', argv, OPTIONS)
    const scopes = scopesFrom('teardown', values)
    const wanted = new Set(datasetsFrom('teardown', values.datasets, scopes, false))
    const dryRun = values['dry-run'] === true
    const api = apiFromEnv()

    const results = await eachScope(scopes, async (scope) => {
      let jobs: LogpushJob[]
      try {
        jobs = await api.listJobs(scope)
      } catch (err) {
        return [{ dataset: '(all)', scope, id: null, name: '', action: 'failed', error: explainApiError(err, 'list jobs', scope) } satisfies TeardownResult]
      }
      const out: TeardownResult[] = []
      for (const job of jobs.sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
        if (!isOurs(job)) out.push(row(scope, job, 'left alone', { reason: 'not ours' }))
        else if (!wanted.has(job.dataset ?? '')) out.push(row(scope, job, 'left alone', { reason: 'not in --datasets' }))
        else if (dryRun) out.push(row(scope, job, 'would delete'))
        else if (job.id === undefined)
          out.push(row(scope, job, 'failed', { error: { code: 'api_error', message: 'Cloudflare listed this job without an id' } }))
        else {
          try {
            await api.deleteJob(scope, job.id)
            out.push(row(scope, job, 'deleted'))
          } catch (err) {
            out.push(row(scope, job, 'failed', { error: explainApiError(err, 'delete job', scope, { dataset: job.dataset ?? undefined }) }))
          }
        }
      }
      return out
    })
    const report: TeardownReport = { dryRun, jobs: results.flat() }
    if (values.json) printJson(report)
    else printText(render(report))
    return report.jobs.some((r) => r.action === 'failed') ? EXIT_PROBLEM : EXIT_OK
  },
}
