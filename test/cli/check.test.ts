// `logpush-edge check` as a user runs it: the CLI as a process (cli/bin.mjs, as the bin and
// `npm run cli` start it) on files written to a temp dir from the repository's fixtures.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import manifest from '../../src/schema/manifest.generated.json'
import { ROOT, runCli } from './run-cli'

const FIXTURES = join(ROOT, 'fixtures')
// What the CLI serves is what the manifest lists.
const SERVED = Object.keys(manifest.datasets).sort().join(', ')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

let dir: string

function run(args: string[], options: { command?: string; cwd?: string } = {}): Promise<Run> {
  return runCli(args, { cwd: options.cwd ?? dir, npm: options.command === 'npm' })
}

async function runJson(args: string[]): Promise<{ code: number | null; report: any }> {
  const r = await run([...args, '--json'])
  expect(r.stderr).toBe('')
  return { code: r.code, report: JSON.parse(r.stdout) }
}

function fixture(name: string, as: string): void {
  mkdirSync(join(dir, as, '..'), { recursive: true })
  copyFileSync(join(FIXTURES, name), join(dir, as))
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logpush-edge-cli-'))
  fixture('http_requests.unix.ndjson', 'http_requests.ndjson')
  fixture('firewall_events.unixnano.ndjson.gz', 'firewall_events.unixnano.ndjson.gz')
  fixture('audit_logs.rfc3339.ndjson', 'audit_logs/batch-1.ndjson')
  fixture('spectrum_events.unix.ndjson', 'spectrum_events/firewall_events.ndjson')
  fixture('http_requests.rfc3339.ndjson', 'firewall_events.http.ndjson')
  fixture('bad-lines.ndjson', 'bad-lines.ndjson')
  fixture('bad-lines.ndjson', 'http_requests.bad.ndjson')
  fixture('validation.json.gz', 'http_requests.validation.json.gz')
  fixture('http_requests.unix.ndjson', 'vendor_events.ndjson')
  const gz = readFileSync(join(FIXTURES, 'http_requests.unixnano.ndjson.gz'))
  writeFileSync(join(dir, 'http_requests.truncated.gz'), gz.subarray(0, gz.byteLength >> 1))
  writeFileSync(join(dir, 'http_requests.csv'), 'EdgeStartTimestamp,ClientIP\n1653483720,192.0.2.1\n')
  mkdirSync(join(dir, 'http_requests'))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('check', () => {
  it('writes every line of good files, plain and gzip, with the dataset from the file or folder name: exit 0', async () => {
    const r = await run(['check', 'http_requests.ndjson', 'firewall_events.unixnano.ndjson.gz', 'audit_logs/batch-1.ndjson'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(
      [
        'http_requests.ndjson (http_requests, plain): 20 events, 20 written, 0 quarantined',
        'firewall_events.unixnano.ndjson.gz (firewall_events, gzip): 20 events, 20 written, 0 quarantined',
        'audit_logs/batch-1.ndjson (audit_logs, plain): 20 events, 20 written, 0 quarantined',
        '3 files: 60 events, 60 written, 0 quarantined',
        '',
      ].join('\n'),
    )
    expect(r.code).toBe(0)
  })

  it('--json: one object, {files:[{file,dataset,events,written,quarantined,reasons}]}', async () => {
    const { code, report } = await runJson(['check', 'http_requests.ndjson', 'firewall_events.unixnano.ndjson.gz'])
    expect(code).toBe(0)
    expect(report).toEqual({
      files: [
        {
          file: 'http_requests.ndjson',
          dataset: 'http_requests',
          gzip: false,
          events: 20,
          written: 20,
          quarantined: 0,
          reasons: {},
          firstQuarantined: [],
          validation: false,
        },
        {
          file: 'firewall_events.unixnano.ndjson.gz',
          dataset: 'firewall_events',
          gzip: true,
          events: 20,
          written: 20,
          quarantined: 0,
          reasons: {},
          firstQuarantined: [],
          validation: false,
        },
      ],
      skipped: [],
    })
  })

  it('counts quarantined lines by reason without the bad value, shows the first ones whole: exit 1', async () => {
    const r = await run(['check', 'http_requests.bad.ndjson'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('http_requests.bad.ndjson (http_requests, plain): 19 events, 3 written, 16 quarantined\n')
    expect(r.stdout).toContain('\n  3  EdgeStartTimestamp: expected timestamp\n')
    expect(r.stdout).toContain('\n  2  ClientSrcPort: expected int\n')
    expect(r.stdout).toContain('\n  1  not valid JSON\n')
    const lines = r.stdout.split('\n')
    const first = lines.indexOf('  first quarantined lines:')
    expect(lines[first + 1]).toMatch(/^ {4}line 2: not valid JSON: \S/)
    expect(lines.slice(first + 2)).toEqual([
      '    line 3: expected a JSON object, got an array',
      '    line 4: EdgeStartTimestamp: required field is missing',
      '    line 5: EdgeStartTimestamp: expected timestamp, got "yesterday"',
      '    line 6: ClientSrcPort: expected int, got "443/tcp"',
      '',
    ])

    const { code, report } = await runJson(['check', 'http_requests.bad.ndjson'])
    expect(code).toBe(1)
    const [file] = report.files
    expect(file).toMatchObject({ dataset: 'http_requests', events: 19, written: 3, quarantined: 16 })
    expect(file.reasons).toEqual({
      'EdgeStartTimestamp: expected timestamp': 3,
      'ClientSrcPort: expected int': 2,
      'ZoneID: expected bigint': 2,
      'BotTags[1]: bad element of [string]': 1,
      'CacheTieredFill: expected boolean': 1,
      'ClientIP: expected string': 1,
      'EdgeResponseCompressionRatio: expected float': 1,
      'EdgeResponseStatus: expected smallint': 1,
      'EdgeStartTimestamp: required field is empty': 1,
      'EdgeStartTimestamp: required field is missing': 1,
      'expected a JSON object, got an array': 1,
      'not valid JSON': 1,
    })
    expect(file.firstQuarantined.map((q: { line: number }) => q.line)).toEqual([2, 3, 4, 5, 6])
  })

  it('--dataset wins over the file and folder names', async () => {
    const named = await runJson(['check', 'firewall_events.http.ndjson'])
    expect(named.report.files[0]).toMatchObject({ dataset: 'firewall_events', events: 20, quarantined: 20 })
    expect(named.code).toBe(1)
    const flagged = await runJson(['check', '--dataset', 'http_requests', 'firewall_events.http.ndjson', 'bad-lines.ndjson'])
    expect(flagged.report.files.map((f: { dataset: string; written: number }) => [f.dataset, f.written])).toEqual([
      ['http_requests', 20],
      ['http_requests', 3],
    ])
  })

  it('the file name before the folder name', async () => {
    const { code, report } = await runJson(['check', 'spectrum_events/firewall_events.ndjson'])
    expect(report.files[0]).toMatchObject({ dataset: 'firewall_events', quarantined: 20 })
    expect(code).toBe(1)
  })

  it('a file whose dataset is not served: reported with what to do, exit 2; --served-only skips it, exit 0', async () => {
    const r = await run(['check', 'vendor_events.ndjson', 'http_requests.ndjson'])
    expect(r.stdout).toBe(
      [
        'vendor_events.ndjson: not checked, unknown_dataset: no served dataset in its name ("vendor_events") or its folder\'s ("' +
          dir.split('/').pop() +
          '"): pass --dataset <name>, or --served-only to skip it',
        'http_requests.ndjson (http_requests, plain): 20 events, 20 written, 0 quarantined',
        '2 files: 20 events, 20 written, 0 quarantined; 1 not checked or refused',
        `served datasets: ${SERVED}`,
        '',
      ].join('\n'),
    )
    expect(r.code).toBe(2)
    const json = await runJson(['check', 'vendor_events.ndjson'])
    expect(json.report.files).toEqual([
      { file: 'vendor_events.ndjson', dataset: null, error: { code: 'unknown_dataset', message: expect.stringContaining('--dataset <name>') } },
    ])
    expect(json.code).toBe(2)

    const skipped = await run(['check', '--served-only', 'vendor_events.ndjson', 'http_requests.ndjson'])
    expect(skipped.stdout).toContain('skipped 1 file whose dataset is not served: vendor_events.ndjson\n')
    expect(skipped.code).toBe(0)
    const skippedJson = await runJson(['check', '--served-only', 'vendor_events.ndjson', 'http_requests.ndjson'])
    expect(skippedJson.report.skipped).toEqual([{ file: 'vendor_events.ndjson' }])
    expect(skippedJson.report.files.map((f: { file: string }) => f.file)).toEqual(['http_requests.ndjson'])
    expect(skippedJson.code).toBe(0)
  })

  it("Logpush's destination check is validation, not a quarantine: exit 0", async () => {
    const r = await run(['check', 'http_requests.validation.json.gz'])
    expect(r.stdout).toContain(
      'http_requests.validation.json.gz (http_requests, gzip): Logpush\'s destination check {"content":"tests"}, answered as validation',
    )
    expect(r.code).toBe(0)
    const { report } = await runJson(['check', 'http_requests.validation.json.gz'])
    expect(report.files[0]).toMatchObject({ validation: true, events: 0, written: 0, quarantined: 0 })
  })

  it("a body the Worker would refuse is an error of that file, with the Worker's code: exit 1", async () => {
    const { code, report } = await runJson(['check', 'http_requests.truncated.gz', 'http_requests.csv', 'http_requests.ndjson'])
    expect(report.files.map((f: { error?: { code: string } }) => f.error?.code)).toEqual(['undecodable_body', 'ndjson_required', undefined])
    expect(report.files[1].error.message).toContain('NDJSON is required')
    expect(code).toBe(1)

    const r = await run(['check', '--max-decompressed-bytes', '1000', 'firewall_events.unixnano.ndjson.gz'])
    expect(r.stdout).toContain(
      'firewall_events.unixnano.ndjson.gz (firewall_events): refused, body_too_large: body exceeds MAX_DECOMPRESSED_BYTES (1000 bytes)\n',
    )
    expect(r.code).toBe(1)
  })

  it('lines over --max-line-bytes are quarantined, counted under one reason', async () => {
    const { code, report } = await runJson(['check', '--max-line-bytes', '100', 'http_requests.ndjson'])
    expect(report.files[0]).toMatchObject({ events: 20, written: 0, quarantined: 20, reasons: { 'line over MAX_LINE_BYTES (100)': 20 } })
    expect(report.files[0].firstQuarantined[0].reason).toMatch(/^line is \d+ bytes, over MAX_LINE_BYTES \(100\)/)
    expect(code).toBe(1)
  })

  it('a file that cannot be read, or a folder: not checked, exit 2', async () => {
    const { code, report } = await runJson(['check', 'http_requests.missing.ndjson', 'http_requests', 'http_requests.ndjson'])
    expect(report.files.map((f: { error?: { code: string } }) => f.error?.code)).toEqual(['unreadable', 'unreadable', undefined])
    expect(report.files[0].error.message).toContain('ENOENT')
    expect(report.files[1].error.message).toBe('http_requests is a directory: pass the files in it (http_requests/*.ndjson)')
    expect(code).toBe(2)
  })

  it('usage errors: exit 2 with what to do, as {error} with --json', async () => {
    const unknownDataset = await run(['check', '--dataset', 'nope', 'http_requests.ndjson'])
    expect(unknownDataset).toEqual({ code: 2, stdout: '', stderr: `logpush-edge: --dataset "nope" is not a served dataset: use one of ${SERVED}\n` })
    const noFiles = await run(['check', '--json'])
    expect(JSON.parse(noFiles.stdout)).toEqual({ error: expect.stringContaining('no files given') })
    expect(noFiles.code).toBe(2)
    const badOption = await run(['check', '--bogus', 'http_requests.ndjson'])
    expect(badOption.stderr).toContain("Unknown option '--bogus'")
    expect(badOption.stderr).toContain('see `logpush-edge check --help`')
    expect(badOption.code).toBe(2)
    const badLimit = await run(['check', '--max-line-bytes', '0', 'http_requests.ndjson'])
    expect(badLimit.stderr).toBe('logpush-edge: --max-line-bytes must be a positive whole number of bytes, got "0"\n')
    expect(badLimit.code).toBe(2)
    const unknownCommand = await run(['chekc'])
    expect(unknownCommand.stderr).toBe(
      'logpush-edge: unknown command "chekc"; commands: check, ddl, query, setup, status, teardown, drift (see `logpush-edge --help`)\n',
    )
    expect(unknownCommand.code).toBe(2)
  })

  it('--help: per command and overall, exit 0; no command at all: the overall help on stderr, exit 2', async () => {
    const help = await run(['check', '--help'])
    expect(help.stdout).toMatch(/^Usage: logpush-edge check <file>\.\.\. /)
    expect(help.stdout).toContain(`Served datasets: ${SERVED}.`)
    expect(help.code).toBe(0)
    expect((await run(['help', 'check'])).stdout).toBe(help.stdout)
    const overall = await run(['--help'])
    expect(overall.stdout).toMatch(/^Usage: logpush-edge <command>/)
    expect(overall.stdout).toMatch(/\n {2}check {2,}run local Logpush files/)
    expect(overall.code).toBe(0)
    const none = await run([])
    expect(none).toEqual({ code: 2, stdout: '', stderr: overall.stdout })
  })

  it('npm run cli -- check works from the project', async () => {
    const r = await run(['check', '--json', join(dir, 'http_requests.ndjson')], { command: 'npm', cwd: ROOT })
    expect(JSON.parse(r.stdout).files[0]).toMatchObject({ dataset: 'http_requests', written: 20 })
    expect(r.code).toBe(0)
  })
})
