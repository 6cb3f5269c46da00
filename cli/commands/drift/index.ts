import { schemaFiles } from '../../../src/schema/registry'
import { type Command, EXIT_OK, EXIT_PROBLEM, parseCommandOptions, printJson, printText } from '../../command'
import { apiFromEnv } from '../../logpush/api'
import { explainApiError } from '../../logpush/api-errors'
import { eachScope } from '../../logpush/each-scope'
import { SCOPE_HELP, SCOPE_OPTIONS, type Scope, type Target, datasetsFrom, scopeLabel, scopesFrom, scopesOf, targetsFor } from '../../logpush/targets'

/** One dataset's live field lists against its schema. */
export interface DatasetDrift {
  dataset: string
  /** The zones and accounts whose field list was read. */
  checked: Scope[]
  /** Fields Cloudflare lists that the schema lacks, each with where it is listed. */
  missingFromSchema: { field: string; scopes: string[] }[]
  /**
   * Fields the schema has that no checked scope lists. Null when not checked: a schema that
   * covers zone and account jobs (whose fields differ) needs a field list from each level.
   */
  noLongerListed: string[] | null
  note?: string
  failures: { scope: Scope; error: { code: string; message: string } }[]
}

/** `drift --json`. */
export interface DriftReport {
  datasets: DatasetDrift[]
}

function help(): string {
  return `Usage: logpush-edge drift (--zone <id>... | --account <id>...) --datasets <a,b|all> [--json]

Reads each dataset's live field list from Cloudflare and compares it with the dataset's schema
(schemas/*.yml): fields Cloudflare lists that the schema lacks (setup sends every listed field,
and the Worker keeps unknown ones untyped), and fields the schema has that Cloudflare no longer
lists. For a dataset offered at zone and account level with different fields (firewall_events,
websocket_analytics), the second check needs a zone and an account. Changes nothing, so it can
run on a schedule.

Options:
${SCOPE_HELP}
  --datasets <a,b|all>           datasets to compare; all: every dataset offered at the scopes given
  --json                         one JSON object on stdout: {datasets:[...]}
  -h, --help                     this text

Environment: CLOUDFLARE_API_TOKEN, CLOUDFLARE_BASE_URL, CLOUDFLARE_MAX_RETRIES (see setup --help).

Exit status: 0 every schema in step; 1 drift, or a field list that could not be read;
2 bad usage or the API cannot be reached.
`
}

function compare(dataset: string, lists: { scope: Scope; fields: string[] }[], failures: DatasetDrift['failures']): DatasetDrift {
  const schema = new Set((schemaFiles()[dataset]?.fields ?? []).map((f) => f.name))
  const listedAt = new Map<string, string[]>()
  for (const { scope, fields } of lists) for (const f of fields) listedAt.set(f, [...(listedAt.get(f) ?? []), scopeLabel(scope)])
  const missingFromSchema = [...listedAt]
    .filter(([f]) => !schema.has(f))
    .map(([field, scopes]) => ({ field, scopes }))
    .sort((a, b) => a.field.localeCompare(b.field))
  const levels = scopesOf(dataset)
  const uncovered = levels.filter((kind) => !lists.some((l) => l.scope.kind === kind))
  const drift: DatasetDrift = { dataset, checked: lists.map((l) => l.scope), missingFromSchema, noLongerListed: null, failures }
  if (lists.length === 0) return drift
  if (uncovered.length === 0) drift.noLongerListed = [...schema].filter((f) => !listedAt.has(f)).sort()
  else {
    drift.note = `its schema also covers ${uncovered.join(' and ')}-level jobs, whose fields differ: pass --${uncovered[0]} too to find fields Cloudflare no longer lists`
  }
  return drift
}

function hasDrift(d: DatasetDrift): boolean {
  return d.missingFromSchema.length > 0 || (d.noLongerListed?.length ?? 0) > 0
}

function render(report: DriftReport): string {
  let text = ''
  for (const d of report.datasets) {
    const where = d.checked.map(scopeLabel).join(', ')
    if (d.checked.length > 0) {
      text += hasDrift(d) ? `${d.dataset} (${where}): drift\n` : `${d.dataset} (${where}): in step with its schema\n`
      if (d.missingFromSchema.length > 0) {
        const fields = d.missingFromSchema.map((m) => (m.scopes.length < d.checked.length ? `${m.field} (${m.scopes.join(', ')})` : m.field))
        text += `  Cloudflare lists, the schema lacks: ${fields.join(', ')}\n`
      }
      if (d.noLongerListed && d.noLongerListed.length > 0) text += `  the schema has, Cloudflare no longer lists: ${d.noLongerListed.join(', ')}\n`
      if (d.note) text += `  not checked for fields no longer listed: ${d.note}\n`
    }
    for (const f of d.failures) text += `${d.dataset} on ${scopeLabel(f.scope)}: not checked: ${f.error.message}\n`
  }
  const drifted = report.datasets.filter(hasDrift).length
  const failed = report.datasets.filter((d) => d.failures.length > 0).length
  return `${text}\n${report.datasets.length} datasets compared, ${drifted} drifted, ${failed} with a field list that could not be read\n`
}

/** `drift`: live field lists against the schemas. */
export const drift: Command = {
  name: 'drift',
  summary: "compare each dataset's live field list with its schema (exit 1 on drift)",
  help,
  async run(argv) {
    const values = parseCommandOptions('drift', argv, SCOPE_OPTIONS)
    const scopes = scopesFrom('drift', values)
    const datasets = datasetsFrom('drift', values.datasets, scopes, true)
    const api = apiFromEnv()
    const targets = targetsFor(datasets, scopes)

    type Read = { target: Target; fields: string[] } | { target: Target; error: { code: string; message: string } }
    const reads = (
      await eachScope(scopes, async (scope) => {
        const out: Read[] = []
        for (const target of targets.filter((t) => t.scope === scope)) {
          try {
            out.push({ target, fields: await api.fields(scope, target.dataset) })
          } catch (err) {
            out.push({ target, error: explainApiError(err, 'read fields', scope, { dataset: target.dataset }) })
          }
        }
        return out
      })
    ).flat()

    const report: DriftReport = {
      datasets: datasets.map((dataset) => {
        const mine = reads.filter((r) => r.target.dataset === dataset)
        const lists = mine.flatMap((r) => ('fields' in r ? [{ scope: r.target.scope, fields: r.fields }] : []))
        const failures = mine.flatMap((r) => ('error' in r ? [{ scope: r.target.scope, error: r.error }] : []))
        return compare(dataset, lists, failures)
      }),
    }
    if (values.json) printJson(report)
    else printText(render(report))
    return report.datasets.some((d) => hasDrift(d) || d.failures.length > 0) ? EXIT_PROBLEM : EXIT_OK
  },
}
