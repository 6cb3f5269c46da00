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

/**
 * The failures under the tables, each explanation once with the datasets it applies to (a job
 * limit or a refused token fails every dataset of a scope alike); empty when none failed.
 */
export function renderFailures(rows: Scoped[]): string {
  const byCause = new Map<string, { datasets: string[]; scope: Scope; message: string }>()
  for (const { dataset, scope, error } of rows) {
    if (!error) continue
    const key = `${scopeLabel(scope)}\n${error.message}`
    const entry = byCause.get(key) ?? { datasets: [], scope, message: error.message }
    entry.datasets.push(dataset)
    byCause.set(key, entry)
  }
  if (byCause.size === 0) return ''
  const lines = [...byCause.values()].map((c) => `  ${c.datasets.join(', ')} on ${scopeLabel(c.scope)}: ${c.message}\n`)
  return `\nfailed:\n${lines.join('')}`
}
