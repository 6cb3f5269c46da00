import { parseArgs } from 'node:util'
import { COMMON_OPTIONS, type Command, ConnectionError, EXIT_OK, EXIT_USAGE, UsageError, printJson } from './command'
import { check } from './commands/check'
import { ddl } from './commands/ddl'
import { drift } from './commands/drift'
import { query } from './commands/query'
import { setup } from './commands/setup'
import { status } from './commands/status'
import { teardown } from './commands/teardown'
import { redact } from './redact'

// A new command is a module under commands/ and a line here.
const COMMANDS: readonly Command[] = [check, ddl, query, setup, status, teardown, drift]

function overallHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'Usage: logpush-edge <command> [options]   (in the project: npm run cli -- <command> [options])',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --json (one JSON object on stdout) and --help.',
    'Exit status: 0 all is well, 1 a problem was found and reported, 2 usage or connection error.',
    '',
  ].join('\n')
}

function fail(message: string, json: boolean): number {
  // A message may quote an answer that echoed a token (a URL, Cloudflare's words): never print one.
  const text = redact(message)
  if (json) printJson({ error: text })
  else process.stderr.write(`logpush-edge: ${text}\n`)
  return EXIT_USAGE
}

/**
 * Routes `argv` (the arguments after the program's name) to its command; resolves to the exit status.
 * @example process.exitCode = await main(['check', 'fixtures/http_requests.unix.ndjson'])
 */
export async function main(argv: string[]): Promise<number> {
  // Only --help and --json are read here, leniently; the command parses its arguments strictly.
  const common = parseArgs({ args: argv, options: COMMON_OPTIONS, allowPositionals: true, strict: false })
  const json = common.values.json === true
  const [name, ...rest] = argv
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = COMMANDS.find((c) => c.name === rest[0])
    process.stdout.write(topic ? topic.help() : overallHelp())
    return EXIT_OK
  }
  if (name === undefined) {
    process.stderr.write(overallHelp())
    return EXIT_USAGE
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) return fail(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')} (see \`logpush-edge --help\`)`, json)
  if (common.values.help === true) {
    process.stdout.write(command.help())
    return EXIT_OK
  }
  try {
    return await command.run(rest)
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConnectionError) return fail(err.message, json)
    // A bug, not a finding: exit 1 would read as "your data has a problem".
    return fail(`unexpected error, please report it: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, json)
  }
}
