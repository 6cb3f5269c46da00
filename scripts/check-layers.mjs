#!/usr/bin/env node
// Fails when a module under src/ imports from a layer it must not depend on. Dependencies point
// one way: the HTTP edges (routes/, s3-endpoint/) -> ingest/ -> pipeline/ -> schema/, and
// ingest/ -> formats/ -> storage/, meeting at ports.ts. Lower layers never import higher ones,
// and nothing but the wiring in src/index.ts imports an edge.
//   node scripts/check-layers.mjs        prints every offending import, exits 1 if any
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

// Each layer and the layers it may import (itself always allowed).
const ALLOWED = {
  utils: [],
  's3-protocol': ['utils'],
  'ports.ts': [],
  'config.ts': ['schema'],
  schema: ['utils'],
  pipeline: ['schema', 'ports.ts', 'utils'],
  storage: ['ports.ts', 's3-protocol', 'config.ts', 'utils'],
  formats: ['ports.ts', 'storage', 'utils'],
  counters: ['schema', 'utils'],
  ingest: ['pipeline', 'schema', 'formats', 'storage', 'counters', 'ports.ts', 'config.ts', 'utils'],
  status: ['counters', 'schema', 'utils'],
  middleware: ['config.ts', 'utils'],
  routes: ['ingest', 'counters', 'status', 'middleware', 'schema', 'ports.ts', 'config.ts', 'utils'],
  's3-endpoint': ['ingest', 's3-protocol', 'middleware', 'schema', 'ports.ts', 'config.ts', 'utils'],
  // The wiring: it may import every layer.
  'index.ts': ['*'],
}

function layerOf(file) {
  const rel = path.relative(SRC, file).split(path.sep)
  return rel.length === 1 ? rel[0].replace(/\.tsx?$/, '.ts') : rel[0]
}

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) yield* sources(full)
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) yield full
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g
const problems = []
let checked = 0
for (const file of sources(SRC)) {
  const from = layerOf(file)
  const allowed = ALLOWED[from]
  if (!allowed) {
    problems.push(`${path.relative(SRC, file)}: layer "${from}" is not in scripts/check-layers.mjs; add it with what it may import`)
    continue
  }
  const text = readFileSync(file, 'utf8')
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2]
    const target = path.resolve(path.dirname(file), spec)
    if (!target.startsWith(SRC)) continue
    checked++
    const isFolder = statSync(target, { throwIfNoEntry: false })?.isDirectory()
    const to = layerOf(isFolder ? path.join(target, 'index.ts') : /\.tsx?$/.test(target) ? target : `${target}.ts`)
    if (to === from || allowed.includes('*') || allowed.includes(to)) continue
    problems.push(
      `src/${path.relative(SRC, file)}: imports ${spec} (${from} -> ${to} is not allowed; ${from} may import ${allowed.join(', ') || 'nothing in src'})`,
    )
  }
}
if (problems.length) {
  console.error(`layer check: ${problems.length} import(s) against the direction of the flow:\n${problems.join('\n')}`)
  process.exit(1)
}
console.log(`layer check: ${checked} imports inside src/ point the right way`)
