#!/usr/bin/env node
// The `logpush-edge` command. The CLI is TypeScript that imports the Worker's own pipeline from
// src/ (the schema manifest included), so it is bundled with esbuild on each run,
// a fraction of a second, and never goes stale; zod loads from node_modules as it is.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const MIN_NODE_MAJOR = 22
const EXIT_USAGE = 2
const HERE = dirname(fileURLToPath(import.meta.url))
const OUT_DIR = join(HERE, 'out')
const BUNDLE = join(OUT_DIR, 'main.mjs')

// The pipeline needs JSON.rawJSON (V8 in Node 22); a machine may ship Node 20.
if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  process.stderr.write(
    `logpush-edge needs Node ${MIN_NODE_MAJOR} or later, this is ${process.version}: run it as \`npm run cli -- <command>\` or \`npx logpush-edge <command>\`, which use the project's node@22\n`,
  )
  process.exit(EXIT_USAGE)
}

const esbuild = await import('esbuild')
const { outputFiles } = await esbuild.build({
  entryPoints: [join(HERE, 'main.ts')],
  bundle: true,
  write: false,
  outfile: BUNDLE,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  logLevel: 'error',
})
// Written under a name of its own, then renamed: CLI runs side by side never import a half-written file.
mkdirSync(OUT_DIR, { recursive: true })
const partial = `${BUNDLE}.${process.pid}.tmp`
writeFileSync(partial, outputFiles[0].contents)
renameSync(partial, BUNDLE)

// A reader that stops early (`| head`) closes the pipe: stop writing, quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit()
  throw err
})
const { main } = await import(pathToFileURL(BUNDLE).href)
process.exitCode = await main(process.argv.slice(2))
