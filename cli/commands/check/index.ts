import { type FileHandle, open } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { commonSettings } from '../../../src/config'
import { ingestFailure } from '../../../src/ingest/errors'
import { SourceReadError } from '../../../src/pipeline/errors'
import { type BatchLimits, runPipeline } from '../../../src/pipeline/run'
import type { CompiledSchema } from '../../../src/schema/compile'
import { knownDatasets, schemas } from '../../../src/schema/registry'
import { formatMillis } from '../../../src/schema/timestamp'
import { type Command, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, UsageError, parseCommandArgs, printJson } from '../../command'
import { datasetFromPath, namesInPath } from './dataset'
import { FIRST_LINES, type QuarantinedLine, TallyOutput } from './tally-output'

const OPTIONS = {
  dataset: { type: 'string' },
  'served-only': { type: 'boolean' },
  'max-decompressed-bytes': { type: 'string' },
  'max-line-bytes': { type: 'string' },
} as const

// The batch id only seeds p_row_id, which check computes and drops.
const BATCH_ID = 'check'

// Error codes that kept check from reading a file: exit 2. Any other code is the Worker's own
// for a body it refuses (src/ingest/errors.ts): exit 1, a problem found in the file.
const NOT_CHECKED = new Set(['unreadable', 'unknown_dataset'])

export interface CheckedFile {
  file: string
  dataset: string
  gzip: boolean
  events: number
  written: number
  quarantined: number
  /** Quarantined lines by reason, the bad value left out (see reasonKind); most frequent first. */
  reasons: Record<string, number>
  firstQuarantined: QuarantinedLine[]
  /** The file is Logpush's destination check, `{"content":"tests"}`: the Worker answers `{validation: true}`. */
  validation: boolean
}

export interface FailedFile {
  file: string
  dataset: string | null
  error: { code: string; message: string }
}

export type FileReport = CheckedFile | FailedFile

/** `check --json`: one entry per file checked or failed, in the order given; skipped with --served-only. */
export interface CheckReport {
  files: FileReport[]
  skipped: { file: string }[]
}

function help(): string {
  return `Usage: logpush-edge check <file>... [--dataset <name>] [--served-only] [--json]

Runs local Logpush files (NDJSON, gzip or plain) through the Worker's own pipeline and
prints per file: events, written, quarantined, and the reasons with counts (the bad value
left out of each reason; the first ${FIRST_LINES} quarantined lines are shown whole). Writes nothing.

A file's dataset: --dataset, else the file's name up to its first dot
(http_requests.ndjson, http_requests.unixnano.ndjson.gz), else its folder's name
(http_requests/batch-1.ndjson.gz), when that is a served dataset.
Served datasets: ${knownDatasets().join(', ')}.

Options:
  --dataset <name>               the dataset of every file given
  --served-only                  skip files whose dataset is not served (listed as skipped)
                                 instead of failing on them
  --max-decompressed-bytes <n>   the Worker's MAX_DECOMPRESSED_BYTES (default ${defaultOf('MAX_DECOMPRESSED_BYTES')})
  --max-line-bytes <n>           the Worker's MAX_LINE_BYTES (default ${defaultOf('MAX_LINE_BYTES')})
  --json                         one JSON object on stdout:
                                 {files:[{file,dataset,events,written,quarantined,reasons,...}],skipped}
  -h, --help                     this text

Exit status: 0 every line of every file written (or a destination check);
1 a line quarantined, or a file the Worker would refuse (not gzip or UTF-8, over a limit,
not NDJSON); 2 bad usage, a file that cannot be read, or a file whose dataset is not
served (without --served-only).
`
}

function defaultOf(name: 'MAX_DECOMPRESSED_BYTES' | 'MAX_LINE_BYTES' | 'SOURCE_ID' | 'SOURCE_LABEL'): string {
  return String(commonSettings.shape[name].parse(undefined))
}

/** A limit flag, checked as the Worker checks its variable; the Worker's default when absent. */
function limit(flag: string, name: 'MAX_DECOMPRESSED_BYTES' | 'MAX_LINE_BYTES', value: string | undefined): number {
  const parsed = commonSettings.shape[name].safeParse(value)
  if (!parsed.success) throw new UsageError(`--${flag} must be a positive whole number of bytes, got "${value}"`)
  return parsed.data
}

function failed(file: string, dataset: string | null, code: string, message: string): FailedFile {
  return { file, dataset, error: { code, message } }
}

async function openFile(file: string): Promise<FileHandle> {
  const handle = await open(file)
  if ((await handle.stat()).isDirectory()) {
    await handle.close()
    throw new Error(`${file} is a directory: pass the files in it (${file.replace(/\/$/, '')}/*.ndjson)`)
  }
  return handle
}

async function checkFile(file: string, schema: CompiledSchema, limits: BatchLimits): Promise<FileReport> {
  const { dataset } = schema
  let handle: FileHandle
  try {
    handle = await openFile(file)
  } catch (err) {
    return failed(file, dataset, 'unreadable', (err as Error).message)
  }
  const out = new TallyOutput()
  const batch = {
    batchId: BATCH_ID,
    logType: schema.logType,
    parseTime: formatMillis(Date.now()),
    sourceId: defaultOf('SOURCE_ID'),
    sourceLabel: defaultOf('SOURCE_LABEL'),
  }
  try {
    // Node's web ReadableStream and the Workers types' global one are the same thing, typed twice.
    const body = Readable.toWeb(handle.createReadStream({ autoClose: false })) as ReadableStream<Uint8Array>
    const counts = await runPipeline(body, schema, batch, limits, out)
    return {
      file,
      dataset,
      gzip: counts.gzip,
      events: counts.events,
      written: counts.written,
      quarantined: counts.quarantined,
      reasons: out.reasonCounts(),
      firstQuarantined: out.first,
      validation: counts.validation,
    }
  } catch (err) {
    if (err instanceof SourceReadError) return failed(file, dataset, 'unreadable', `${file}: ${err.message}`)
    // The Worker's own answer to the body: the same code, the same words.
    const failure = ingestFailure(err)
    if (failure === undefined) throw err
    return failed(file, dataset, failure.code, failure.detail)
  } finally {
    await handle.close()
  }
}

function notServed(file: string): FailedFile {
  const { fileName, folder } = namesInPath(file)
  return failed(
    file,
    null,
    'unknown_dataset',
    `no served dataset in its name ("${fileName}") or its folder's ("${folder}"): pass --dataset <name>, or --served-only to skip it`,
  )
}

function isFailed(report: FileReport): report is FailedFile {
  return 'error' in report
}

function exitStatus(files: FileReport[]): number {
  let status = EXIT_OK
  for (const f of files) {
    if (isFailed(f)) {
      if (NOT_CHECKED.has(f.error.code)) return EXIT_USAGE
      status = EXIT_PROBLEM
    } else if (f.quarantined > 0) {
      status = EXIT_PROBLEM
    }
  }
  return status
}

function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

function renderFile(f: FileReport): string {
  if (isFailed(f)) {
    const what = NOT_CHECKED.has(f.error.code) ? 'not checked' : 'refused'
    return `${f.file}${f.dataset ? ` (${f.dataset})` : ''}: ${what}, ${f.error.code}: ${f.error.message}\n`
  }
  const head = `${f.file} (${f.dataset}, ${f.gzip ? 'gzip' : 'plain'})`
  if (f.validation) return `${head}: Logpush's destination check {"content":"tests"}, answered as validation; nothing to write\n`
  let text = `${head}: ${counted(f.events, 'event')}, ${f.written} written, ${f.quarantined} quarantined\n`
  if (f.quarantined === 0) return text
  const width = String(Object.values(f.reasons)[0]).length
  for (const [reason, count] of Object.entries(f.reasons)) text += `  ${String(count).padStart(width)}  ${reason}\n`
  text += `  first quarantined lines:\n`
  for (const q of f.firstQuarantined) text += `    line ${q.line}: ${q.reason}\n`
  return text
}

function renderSummary(report: CheckReport): string {
  const checked = report.files.filter((f): f is CheckedFile => !isFailed(f))
  const sum = (key: 'events' | 'written' | 'quarantined') => checked.reduce((n, f) => n + f[key], 0)
  let text = ''
  if (report.files.length > 1) {
    const failures = report.files.length - checked.length
    text += `${report.files.length} files: ${counted(sum('events'), 'event')}, ${sum('written')} written, ${sum('quarantined')} quarantined${failures ? `; ${failures} not checked or refused` : ''}\n`
  }
  if (report.skipped.length > 0)
    text += `skipped ${counted(report.skipped.length, 'file')} whose dataset is not served: ${report.skipped.map((s) => s.file).join(', ')}\n`
  if (report.skipped.length > 0 || report.files.some((f) => isFailed(f) && f.error.code === 'unknown_dataset')) {
    text += `served datasets: ${knownDatasets().join(', ')}\n`
  }
  return text
}

/** `check <file>...`: local Logpush files through the Worker's pipeline, into nothing but counts. */
export const check: Command = {
  name: 'check',
  summary: 'run local Logpush files through the pipeline: events, written, quarantined, reasons',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('check', argv, OPTIONS)
    if (positionals.length === 0) throw new UsageError('no files given: logpush-edge check <file>... (see `logpush-edge check --help`)')
    const served = schemas()
    if (values.dataset !== undefined && !served.has(values.dataset)) {
      throw new UsageError(`--dataset "${values.dataset}" is not a served dataset: use one of ${knownDatasets().join(', ')}`)
    }
    const limits: BatchLimits = {
      maxDecompressedBytes: limit('max-decompressed-bytes', 'MAX_DECOMPRESSED_BYTES', values['max-decompressed-bytes']),
      maxLineBytes: limit('max-line-bytes', 'MAX_LINE_BYTES', values['max-line-bytes']),
    }
    const report: CheckReport = { files: [], skipped: [] }
    for (const file of positionals) {
      const name = values.dataset ?? datasetFromPath(file, served)
      const schema = name === undefined ? undefined : served.get(name)
      let entry: FileReport
      if (schema === undefined) {
        if (values['served-only']) {
          report.skipped.push({ file })
          continue
        }
        entry = notServed(file)
      } else {
        entry = await checkFile(file, schema, limits)
      }
      report.files.push(entry)
      // Each file as it is done: a run over large files shows progress.
      if (!values.json) process.stdout.write(renderFile(entry))
    }
    if (values.json) printJson(report)
    else process.stdout.write(renderSummary(report))
    return exitStatus(report.files)
  },
}
