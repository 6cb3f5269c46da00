// The CLI as a user runs it: a process (cli/bin.mjs, as the bin starts it, or `npm run cli`), its
// exit code and both output streams whole.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'cli', 'bin.mjs')

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI with `args` in `cwd` (the project by default); `npm` starts it the way `npm run cli` does. */
export function runCli(args: string[], options: { cwd?: string; npm?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const [command, prefix] = options.npm ? ['npm', ['run', '--silent', 'cli', '--']] : [process.execPath, [BIN]]
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
