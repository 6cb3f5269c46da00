import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { redact } from './redact'

/** Exit statuses, the same for every command (DESIGN.md, "The command line"). */
export const EXIT_OK = 0
/** The command ran and found a problem it reports: a quarantined line, a drifted field. */
export const EXIT_PROBLEM = 1
/** The command could not do its job: bad usage, a file it cannot read, no connection. */
export const EXIT_USAGE = 2

/** One command of `logpush-edge`, each in its own module under cli/commands/. */
export interface Command {
  name: string
  /** One line, for the overall help. */
  summary: string
  /** The text of `logpush-edge <name> --help`. */
  help(): string
  /** Runs with the arguments after the command's name; resolves to the exit status. */
  run(argv: string[]): Promise<number>
}

/** Bad usage: the router prints the message (it says what to do) and exits with EXIT_USAGE. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/**
 * A peer the command needs cannot be reached or is not ready (the Cloudflare API, the Worker):
 * nothing was checked or changed past it, so the router prints the message and exits with EXIT_USAGE.
 */
export class ConnectionError extends Error {
  override name = 'ConnectionError'
}

/** The options every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig

/**
 * A command's arguments, strictly: an unknown option or a missing value is a UsageError.
 * @example const { values, positionals } = parseCommandArgs('check', argv, { dataset: { type: 'string' } })
 */
export function parseCommandArgs<O extends ParseArgsOptionsConfig>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true })
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(`${err.message}; see \`logpush-edge ${command} --help\``)
    }
    throw err
  }
}

/**
 * The options of a command that takes no positional argument: one is a UsageError, as an unknown
 * option is.
 * @example const values = parseCommandOptions('status', argv, SCOPE_OPTIONS)
 */
export function parseCommandOptions<O extends ParseArgsOptionsConfig>(command: string, argv: string[], options: O) {
  const { values, positionals } = parseCommandArgs(command, argv, options)
  if (positionals.length > 0) throw new UsageError(`${command} takes no arguments, got "${positionals[0]}"; see \`logpush-edge ${command} --help\``)
  return values
}

/** Writes `value` to stdout as the one JSON object of a `--json` run, with this run's secrets masked. */
export function printJson(value: unknown): void {
  process.stdout.write(`${redact(JSON.stringify(value))}\n`)
}

/** Writes `text` to stdout with this run's secrets masked. */
export function printText(text: string): void {
  process.stdout.write(redact(text))
}
