#!/usr/bin/env node
// `npm start`: a local S3-compatible server and `wrangler dev`, in one command, no accounts.
// Ctrl-C stops both.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startS3Server } from './s3-server.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const S3_PORT = Number(process.env.S3_PORT ?? 9000)
const WORKER_PORT = Number(process.env.PORT ?? 8787)

/**
 * The documented local defaults, from .dev.vars.example, so the two never drift apart; a variable
 * that file names (set or commented out) and this process's environment sets wins, as in
 * `SINK=r2 npm start` or `S3_BATCH_BUDGET_MS=5000 npm start`.
 */
function localVars() {
  const vars = {}
  for (const line of readFileSync(new URL('../.dev.vars.example', import.meta.url), 'utf8').split('\n')) {
    const m = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (!m) continue
    const [, name, value] = m
    if (process.env[name] !== undefined) vars[name] = process.env[name]
    else if (!line.trim().startsWith('#')) vars[name] = value
  }
  vars.S3_ENDPOINT = process.env.S3_ENDPOINT ?? `http://127.0.0.1:${S3_PORT}`
  return vars
}

const s3 = await startS3Server({ port: S3_PORT, directory: `${root}.data/s3` })
console.log(`local S3 at ${s3.url} (bucket cloudflare-logs, keys local / local-secret, data in .data/s3)`)

const varArgs = Object.entries(localVars())
  .filter(([, v]) => v !== '')
  .flatMap(([k, v]) => ['--var', `${k}:${v}`])
// wrangler's own entry under this Node (no npx or shell between), so a signal reaches it directly.
const wranglerBin = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url))
const wrangler = spawn(process.execPath, [wranglerBin, 'dev', '--ip', '127.0.0.1', '--port', String(WORKER_PORT), ...varArgs], {
  cwd: root,
  stdio: 'inherit',
})

let stopping = false
async function stop(code) {
  if (stopping) return
  stopping = true
  wrangler.kill('SIGINT')
  await s3.close()
  process.exit(code)
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))
wrangler.on('exit', (code) => stop(code ?? 0))
