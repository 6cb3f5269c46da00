import { knownDatasets, schemaFiles } from '../../src/schema/registry'
import type { Scope as ScopeKind } from '../../src/schema/spec'
import { UsageError } from '../command'

export type { ScopeKind }

/** A zone or an account, by its Cloudflare id. */
export interface Scope {
  kind: ScopeKind
  id: string
}

/** One job's place: a dataset at a zone or an account. */
export interface Target {
  dataset: string
  scope: Scope
}

/** The flags every Logpush command takes to say where and what. */
export const SCOPE_OPTIONS = {
  zone: { type: 'string', multiple: true },
  account: { type: 'string', multiple: true },
  datasets: { type: 'string' },
} as const

export const SCOPE_HELP = `  --zone <id>                    a zone (its 32-hex-digit id, on the zone's Overview page); repeat for more
  --account <id>                 an account (its id, in the dashboard's URL); repeat for more`

// Cloudflare's zone and account ids are 32 hex digits (the API document caps identifiers at 32).
const ID = /^[0-9a-f]{32}$/

const FLAG: Record<ScopeKind, string> = { zone: '--zone <zone id>', account: '--account <account id>' }

/** `zone 023e…` or `account 01a7…`, as the commands print a scope. */
export function scopeLabel(scope: Scope): string {
  return `${scope.kind} ${scope.id}`
}

/**
 * The zones and accounts of `--zone` and `--account`, zones first, each once, in the order given.
 * @example scopesFrom('setup', { zone: ['023e105f4ecef8ad9ca31a8372d0c353'] }) // [{ kind: 'zone', id: '023e…' }]
 */
export function scopesFrom(command: string, values: { zone?: string[]; account?: string[] }): Scope[] {
  const scopes: Scope[] = []
  for (const kind of ['zone', 'account'] as const) {
    for (const raw of values[kind] ?? []) {
      const id = raw.trim().toLowerCase()
      if (!ID.test(id)) throw new UsageError(`--${kind} "${raw}" is not a ${kind} id: Cloudflare's ids are 32 hex digits`)
      if (!scopes.some((s) => s.kind === kind && s.id === id)) scopes.push({ kind, id })
    }
  }
  if (scopes.length === 0) {
    throw new UsageError(
      `say where: --zone <zone id> (repeatable) for zone datasets, --account <account id> for account datasets; see \`logpush-edge ${command} --help\``,
    )
  }
  return scopes
}

/** The scopes a dataset's schema says Cloudflare offers it at. */
export function scopesOf(dataset: string): readonly ScopeKind[] {
  return schemaFiles()[dataset]?.scope ?? []
}

function describeScopes(kinds: readonly ScopeKind[]): string {
  if (kinds.length > 1) return `a ${kinds.join(' and ')} dataset`
  return kinds[0] === 'account' ? 'an account dataset' : 'a zone dataset'
}

/**
 * The datasets of `--datasets a,b` or `all`. `all` is every served dataset offered at a scope
 * given; a named dataset must be offered at one of them, else the error names the missing flag.
 * Without the flag: all, or a UsageError when the command needs it.
 * @example datasetsFrom('setup', 'dns_logs,http_requests', scopes, true) // ['dns_logs', 'http_requests']
 */
export function datasetsFrom(command: string, value: string | undefined, scopes: Scope[], required: boolean): string[] {
  const kinds = new Set(scopes.map((s) => s.kind))
  if (value === undefined && required) {
    throw new UsageError(`say which datasets: --datasets <a,b> or --datasets all; see \`logpush-edge ${command} --help\``)
  }
  if (value === undefined || value.trim() === 'all') return knownDatasets().filter((d) => scopesOf(d).some((k) => kinds.has(k)))
  const names = [...new Set(value.split(',').map((d) => d.trim()))].filter((d) => d !== '')
  if (names.length === 0) throw new UsageError('--datasets is empty: name datasets (a,b) or say all')
  const served = new Set(knownDatasets())
  const unknown = names.filter((d) => !served.has(d))
  if (unknown.length > 0) {
    throw new UsageError(`not a served dataset: ${unknown.join(', ')}; served datasets: ${knownDatasets().join(', ')}`)
  }
  for (const dataset of names) {
    const offered = scopesOf(dataset)
    if (!offered.some((k) => kinds.has(k))) {
      throw new UsageError(`${dataset} is ${describeScopes(offered)}: pass ${offered.map((k) => FLAG[k]).join(' or ')}`)
    }
  }
  return names.sort()
}

/**
 * Every dataset at every given scope that offers it: scope by scope in the order given, datasets
 * sorted within one.
 */
export function targetsFor(datasets: string[], scopes: Scope[]): Target[] {
  return scopes.flatMap((scope) => datasets.filter((d) => scopesOf(d).includes(scope.kind)).map((dataset) => ({ dataset, scope })))
}
