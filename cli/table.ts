/**
 * Rows under a header, each column as wide as its widest cell, two spaces apart; lines indented by `indent`.
 * @example table(['dataset', 'job'], [['dns_logs', '#12']]) // 'dataset   job\ndns_logs  #12\n'
 */
export function table(header: string[], rows: string[][], indent = ''): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => `${indent}${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd()
  return `${[header, ...rows].map(line).join('\n')}\n`
}
