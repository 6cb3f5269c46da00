import { type Command, EXIT_OK, EXIT_PROBLEM, UsageError, parseCommandOptions, printJson, printText } from '../../command'
import { type LogpushApi, type LogpushJob, apiFromEnv } from '../../logpush/api'
import { explainApiError, isDestinationCheckFailure } from '../../logpush/api-errors'
import { eachScope } from '../../logpush/each-scope'
import { type DesiredJob, TIMESTAMP_FORMAT, changesTo, destinationConf, isOurs, jobName, outputOptions, parseHttpDestination } from '../../logpush/job-spec'
import { renderFailures, renderScopes } from '../../logpush/render'
import { SCOPE_HELP, SCOPE_OPTIONS, type Scope, type Target, datasetsFrom, scopeLabel, scopesFrom, targetsFor } from '../../logpush/targets'
import { checkHealth, checkToken, parseWorkerUrl, sendCheck, workerBase } from '../../logpush/worker'
import { addSecret } from '../../redact'

const OPTIONS = {
  ...SCOPE_OPTIONS,
  'worker-url': { type: 'string' },
  'ingest-token': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const

// The Worker refuses a shorter INGEST_TOKEN (src/config.ts), so a shorter one cannot be its token.
const MIN_TOKEN_LENGTH = 8

export type SetupAction = 'created' | 'updated' | 'unchanged' | 'would create' | 'would update' | 'failed'

/** What setup did for one dataset at one zone or account. */
export interface SetupResult {
  dataset: string
  scope: Scope
  action: SetupAction
  /** The job's id; null when none was made. */
  id: number | null
  name: string
  /** How many fields the job sends (all that the fields endpoint lists); null when unknown. */
  fields: number | null
  /** For an update: what was not in place (destination, enabled, fields +n -m, ...). */
  changes: string[]
  /** More jobs of ours for the same dataset and scope, made by hand or an older tool; setup keeps the first. */
  duplicates: number[]
  error?: { code: string; message: string }
}

/** `setup --json`. The destination is shown without its token. */
export interface SetupReport {
  workerUrl: string
  dryRun: boolean
  timestampFormat: string
  jobs: SetupResult[]
}

function help(): string {
  return `Usage: logpush-edge setup --worker-url <https://host> (--zone <id>... | --account <id>...)
                          --datasets <a,b|all> [--ingest-token <token>] [--dry-run] [--json]

Creates, or updates in place, one Logpush job per dataset and zone or account, pointing at
<worker-url>/logpush/<dataset> with the ingest token as its Authorization header, with every
field the dataset's fields endpoint lists, NDJSON, ${TIMESTAMP_FORMAT} timestamps (full precision),
enabled. Our jobs are named logpush-edge-<dataset, - for _>: a re-run finds them and changes
only what is not in place, so running it again creates nothing and changes nothing.

First it checks the Worker: /healthz must say ok, and the Worker must take the ingest token.

Options:
  --worker-url <url>             the deployed Worker (https; http://127.0.0.1 for local tests)
${SCOPE_HELP}
  --datasets <a,b|all>           datasets to push; all: every dataset offered at the scopes given
  --ingest-token <token>         the Worker's INGEST_TOKEN (default: the INGEST_TOKEN variable,
                                 which keeps it out of your shell history)
  --dry-run                      say what would be created or updated; change nothing
  --json                         one JSON object on stdout: {workerUrl,dryRun,jobs:[...]}
  -h, --help                     this text

Environment: CLOUDFLARE_API_TOKEN (Logs Edit on each zone or account; Zero Trust datasets also
need Zero Trust: PII Read), CLOUDFLARE_BASE_URL (another API base), CLOUDFLARE_MAX_RETRIES.

Exit status: 0 every job in place; 1 a dataset failed (the others are still done);
2 bad usage, or the API or the Worker cannot be reached or is not ready.
`
}

function failed(target: Target, error: { code: string; message: string }, id: number | null = null): SetupResult {
  return { ...target, action: 'failed', id, name: jobName(target.dataset), fields: null, changes: [], duplicates: [], error }
}

interface Plan {
  api: LogpushApi
  workerUrl: URL
  token: string
  served: Set<string>
  dryRun: boolean
}

async function setupOne(plan: Plan, target: Target, jobs: LogpushJob[]): Promise<SetupResult> {
  const { api, workerUrl, token, served, dryRun } = plan
  const { dataset, scope } = target
  if (!served.has(dataset)) {
    return failed(target, {
      code: 'not_served',
      message: `the Worker at ${workerBase(workerUrl)} does not serve ${dataset}: deploy this version of logpush-edge (\`npx wrangler deploy\`), then run setup again`,
    })
  }
  const destination = destinationConf(workerUrl, dataset, token)
  let fields: string[]
  try {
    fields = await api.fields(scope, dataset)
  } catch (err) {
    return failed(target, explainApiError(err, 'read fields', scope, { dataset }))
  }
  if (fields.length === 0) {
    return failed(target, {
      code: 'dataset_unavailable',
      message: `Cloudflare lists no fields for ${dataset} on ${scopeLabel(scope)}: the dataset is not available there`,
    })
  }
  const want: DesiredJob = { dataset, name: jobName(dataset), destination_conf: destination, enabled: true, fields }
  const [current, ...extra] = jobs.filter((j) => isOurs(j) && j.dataset === dataset).sort((a, b) => (a.id ?? 0) - (b.id ?? 0))
  const base = { ...target, name: want.name, fields: fields.length, duplicates: extra.map((j) => j.id ?? 0) }
  const changes = current ? changesTo(current, want) : []
  if (current && changes.length === 0) return { ...base, action: 'unchanged', id: current.id ?? null, changes }
  if (dryRun) return { ...base, action: current ? 'would update' : 'would create', id: current?.id ?? null, changes }
  try {
    if (current?.id === undefined) {
      const made = await api.createJob(scope, {
        dataset: dataset as NonNullable<LogpushJob['dataset']>,
        name: want.name,
        destination_conf: destination,
        enabled: true,
        output_options: outputOptions(want),
      })
      return { ...base, action: 'created', id: made?.id ?? null, changes }
    }
    await api.updateJob(scope, current.id, {
      name: want.name,
      destination_conf: destination,
      enabled: true,
      output_options: outputOptions(want, current.output_options),
    })
    return { ...base, action: 'updated', id: current.id, changes }
  } catch (err) {
    // Cloudflare says only that its check failed: what the Worker answers to the same check from
    // here tells an unreachable URL from a refused token.
    const checked = isDestinationCheckFailure(err) ? (await sendCheck(destination)).answer : undefined
    const where = parseHttpDestination(destination)?.url
    return failed(target, explainApiError(err, current ? 'update job' : 'create job', scope, { dataset, destination: where, checked }), current?.id ?? null)
  }
}

async function setupScope(plan: Plan, scope: Scope, targets: Target[]): Promise<SetupResult[]> {
  let jobs: LogpushJob[]
  try {
    jobs = await plan.api.listJobs(scope)
  } catch (err) {
    const failure = explainApiError(err, 'list jobs', scope)
    return targets.map((t) => failed(t, failure))
  }
  const results: SetupResult[] = []
  for (const target of targets) results.push(await setupOne(plan, target, jobs))
  return results
}

function detail(r: SetupResult): string {
  if (r.error) return `${r.error.code}, see below`
  const parts = r.action === 'unchanged' || r.action === 'created' || r.action === 'would create' ? [`${r.fields} fields`] : r.changes
  if (r.duplicates.length > 0) parts.push(`also ours: ${r.duplicates.map((id) => `#${id}`).join(', ')} (left as they are)`)
  return parts.join(', ')
}

function render(report: SetupReport): string {
  let text = `Worker ${report.workerUrl}: healthy, takes the ingest token\n\n`
  text += renderScopes(report.jobs, ['dataset', 'job', report.dryRun ? 'would' : 'action', 'detail'], (r) => [
    r.dataset,
    r.id === null ? '-' : `#${r.id}`,
    r.action.replace('would ', ''),
    detail(r),
  ])
  text += renderFailures(report.jobs)
  const count = (action: SetupAction) => report.jobs.filter((r) => r.action === action).length
  const summary = report.dryRun
    ? `dry run: ${count('would create')} to create, ${count('would update')} to update, ${count('unchanged')} unchanged, ${count('failed')} failed; nothing was changed`
    : `${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('failed')} failed`
  return `${text}\n${summary}\n`
}

/** `setup`: our Logpush job for every dataset at every zone and account given, in place. */
export const setup: Command = {
  name: 'setup',
  summary: 'create or update the Logpush jobs that push each dataset to the Worker',
  help,
  async run(argv) {
    const values = parseCommandOptions('setup', argv, OPTIONS)
    const workerUrl = parseWorkerUrl(values['worker-url'])
    const scopes = scopesFrom('setup', values)
    const datasets = datasetsFrom('setup', values.datasets, scopes, true)
    const token = (values['ingest-token'] ?? process.env.INGEST_TOKEN ?? '').trim()
    if (!token) throw new UsageError("pass the Worker's INGEST_TOKEN: set INGEST_TOKEN in the environment, or --ingest-token <token>")
    if (token.length < MIN_TOKEN_LENGTH)
      throw new UsageError(`the ingest token is shorter than ${MIN_TOKEN_LENGTH} characters, which the Worker refuses: pass its INGEST_TOKEN`)
    addSecret(token)
    const api = apiFromEnv()

    const served = new Set(await checkHealth(workerUrl))
    const targets = targetsFor(datasets, scopes)
    const probe = targets.find((t) => served.has(t.dataset))
    if (probe) await checkToken(workerUrl, destinationConf(workerUrl, probe.dataset, token))

    const plan: Plan = { api, workerUrl, token, served, dryRun: values['dry-run'] === true }
    const worked = scopes.filter((s) => targets.some((t) => t.scope === s))
    const results = (
      await eachScope(worked, (scope) =>
        setupScope(
          plan,
          scope,
          targets.filter((t) => t.scope === scope),
        ),
      )
    ).flat()
    const report: SetupReport = { workerUrl: workerBase(workerUrl), dryRun: plan.dryRun, timestampFormat: TIMESTAMP_FORMAT, jobs: results }
    if (values.json) printJson(report)
    else printText(render(report))
    return results.some((r) => r.action === 'failed') ? EXIT_PROBLEM : EXIT_OK
  },
}
