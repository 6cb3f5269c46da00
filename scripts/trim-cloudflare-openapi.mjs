#!/usr/bin/env node
// Writes the part of Cloudflare's Logpush OpenAPI document that the tests' fake serves: the paths
// the CLI calls and the components they reference, unchanged, and nothing else (see
// test/fixtures/cloudflare-api/README.md).
//   node scripts/trim-cloudflare-openapi.mjs <full document> <trimmed copy>
import { readFileSync, writeFileSync } from 'node:fs'

const KEEP = [
  '/{accounts_or_zones}/{account_or_zone_id}/logpush/jobs',
  '/{accounts_or_zones}/{account_or_zone_id}/logpush/jobs/{job_id}',
  '/{accounts_or_zones}/{account_or_zone_id}/logpush/datasets/{dataset_id}/fields',
]

const [source, target] = process.argv.slice(2)
if (!source || !target) {
  console.error('usage: node scripts/trim-cloudflare-openapi.mjs <full document> <trimmed copy>')
  process.exit(2)
}
const doc = JSON.parse(readFileSync(source, 'utf8'))
const paths = Object.fromEntries(KEEP.map((p) => [p, doc.paths[p]]))

const referenced = new Set()
function collect(value) {
  if (Array.isArray(value)) return value.forEach(collect)
  if (!value || typeof value !== 'object') return
  for (const [key, v] of Object.entries(value)) {
    if (key !== '$ref' || typeof v !== 'string') collect(v)
    else {
      const name = v.split('/').pop()
      if (referenced.has(name)) continue
      referenced.add(name)
      collect(doc.components.schemas[name])
    }
  }
}
collect(paths)

const schemas = Object.fromEntries(Object.entries(doc.components.schemas).filter(([name]) => referenced.has(name)))
writeFileSync(target, `${JSON.stringify({ ...doc, paths, components: { ...doc.components, schemas } }, null, 2)}\n`)
