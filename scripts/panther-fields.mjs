#!/usr/bin/env node
// The columns and types of Panther's four Cloudflare log types, as facts the tests can read
// (test/schema/panther-fields.json): taken from Panther's reference page, which lives outside the
// repository (../shared/reference/), so that a clone of the project alone runs `npm test`.
//
//   node scripts/panther-fields.mjs [--reference <file>]           writes the fact file
//   node scripts/panther-fields.mjs --check [--reference <file>]   fails when it differs (CI)
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const FACTS = path.join(ROOT, 'test/schema/panther-fields.json')
const DEFAULT_REFERENCE = path.join(ROOT, '../shared/reference/panther-cloudflare-logs.txt')
// The tables after "make sure you include the "<event time>" field", by that field.
const LOG_TYPE_OF_EVENT_TIME = { Datetime: 'Cloudflare.Firewall', EdgeStartTimestamp: 'Cloudflare.HttpRequest', Timestamp: 'Cloudflare.Spectrum' }

/** Columns and types per log type, read from Panther's reference page. */
export function pantherColumns(reference) {
  const out = {}
  // Audit is given as Panther's YAML, flattened: "- name: X" ... "type: Y".
  const auditText = reference.slice(
    reference.indexOf('schema: Cloudflare.Audit'),
    reference.indexOf('When selecting event fields on the Cloudflare UI, make sure you include the "Datetime"'),
  )
  const audit = {}
  let name = ''
  for (const line of auditText.split('\n')) {
    const n = /^- name: (\w+)$/.exec(line)
    if (n) name = n[1]
    const t = /^type: (\w+)$/.exec(line)
    if (t && name) audit[name] = t[1]
  }
  out['Cloudflare.Audit'] = audit
  // The others as tables: "Column | Type | Description".
  const sections = reference.split(/make sure you include the "(\w+)" field/)
  for (let i = 1; i < sections.length; i += 2) {
    const columns = {}
    for (const row of sections[i + 1].split('\n')) {
      const m = /^(\w+) \| ([^|]+) \|/.exec(row)
      if (!m || m[1] === 'Column' || m[1].startsWith('p_')) continue
      columns[m[1]] = m[2].replace(/\s+/g, '')
    }
    out[LOG_TYPE_OF_EVENT_TIME[sections[i]]] = columns
  }
  for (const logType of ['Cloudflare.Audit', ...Object.values(LOG_TYPE_OF_EVENT_TIME)]) {
    if (Object.keys(out[logType] ?? {}).length < 10) throw new Error(`${logType}: fewer than 10 columns found; has the reference page changed shape?`)
  }
  return out
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const check = args.includes('--check')
  const at = args.indexOf('--reference')
  const referenceFile = at >= 0 ? path.resolve(args[at + 1]) : DEFAULT_REFERENCE
  let reference
  try {
    reference = readFileSync(referenceFile, 'utf8')
  } catch {
    console.error(`panther-fields: cannot read Panther's reference page at ${referenceFile} (give --reference <file>)`)
    process.exit(2)
  }
  const text = `${JSON.stringify(pantherColumns(reference), null, 2)}\n`
  if (check) {
    let onDisk
    try {
      onDisk = readFileSync(FACTS, 'utf8')
    } catch {}
    if (onDisk !== text) {
      console.error(`stale: ${path.relative(process.cwd(), FACTS)} differs from ${referenceFile}: run node scripts/panther-fields.mjs`)
      process.exit(1)
    }
    console.log('Panther field facts are up to date')
  } else {
    writeFileSync(FACTS, text)
    console.log(`wrote ${path.relative(process.cwd(), FACTS)}`)
  }
}
