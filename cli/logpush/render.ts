import { table } from '../table'
import { type Scope, scopeLabel } from './targets'

interface Scoped {
  dataset: string
  scope: Scope
  error?: { code: string; message: string }
}

/**
 * One table per zone or account, under its name, in the order the rows come.
 * @example renderScopes(results, ['dataset', 'job'], (r) => [r.dataset, `#${r.id}`])
 */
export function renderScopes<R extends { scope: Scope }>(rows: R[], header: string[], cells: (row: R) => string[]): string {
  const groups = new Map<string, R[]>()
  for (const row of rows) {
    const label = scopeLabel(row.scope)
    groups.set(label, [...(groups.get(label) ?? []), row])
  }
  return [...groups].map(([label, group]) => `${label}:\n${table(header, group.map(cells), '  ')}`).join('\n')
}

/** The failures under the tables, each with its explanation; empty when none failed. */
export function renderFailures(rows: Scoped[]): string {
  const failed = rows.filter((r) => r.error)
  if (failed.length === 0) return ''
  return `\nfailed:\n${failed.map((r) => `  ${r.dataset} on ${scopeLabel(r.scope)}: ${r.error?.message}\n`).join('')}`
}
