import type { LogpushJob } from './api'

/** Every job we make is named this plus the dataset with `-` for `_` (older API versions refuse `_`). */
const JOB_NAME_PREFIX = 'logpush-edge-'

/**
 * Nanosecond RFC 3339 strings: full precision like the API's default `unixnano`, but as strings,
 * so nothing between Cloudflare and us (a proxy, a log of a quarantined line, jq) rounds the
 * nanoseconds past 2^53; they carry their offset, and the Worker reads them without deciding an
 * integer's unit by its magnitude.
 */
export const TIMESTAMP_FORMAT = 'rfc3339ns'
const OUTPUT_TYPE = 'ndjson'

/** The name of our job for a dataset: `logpush-edge-http-requests`. */
export function jobName(dataset: string): string {
  return `${JOB_NAME_PREFIX}${dataset.replaceAll('_', '-')}`
}

/** True for a job we made: named by our rule for its own dataset. */
export function isOurs(job: LogpushJob): boolean {
  return typeof job.dataset === 'string' && job.name === jobName(job.dataset)
}

/**
 * The Logpush destination of a dataset: the Worker's route with the token as a header parameter,
 * percent-encoded (Logpush decodes `%20`; a form-encoded `+` would reach the Worker as a `+`).
 * @example destinationConf(new URL('https://edge.example.com'), 'dns_logs', 't0ken-t0ken') // 'https://edge.example.com/logpush/dns_logs?header_Authorization=Bearer%20t0ken-t0ken'
 */
export function destinationConf(workerUrl: URL, dataset: string, token: string): string {
  const base = `${workerUrl.origin}${workerUrl.pathname.replace(/\/+$/, '')}`
  return `${base}/logpush/${dataset}?header_Authorization=${encodeURIComponent(`Bearer ${token}`)}`
}

/** An HTTP destination as Logpush reads it: the URL it posts to, and the headers its `header_*` parameters ask for. */
export interface HttpDestination {
  url: string
  headers: Record<string, string>
}

/**
 * Reads an HTTP(S) `destination_conf` the way Logpush does: each `header_<Name>=<value>` parameter
 * (percent-decoded) becomes a header and leaves the URL. Undefined for any other destination.
 * @example parseHttpDestination('https://w.example/logpush/dns_logs?header_Authorization=Bearer%20t') // { url: 'https://w.example/logpush/dns_logs', headers: { Authorization: 'Bearer t' } }
 */
export function parseHttpDestination(conf: string): HttpDestination | undefined {
  if (!/^https?:\/\//i.test(conf)) return undefined
  const [base = '', query = ''] = conf.split(/\?(.*)/s, 2)
  const headers: Record<string, string> = {}
  const kept: string[] = []
  for (const pair of query.split('&').filter((p) => p !== '')) {
    const eq = pair.indexOf('=')
    const key = eq === -1 ? pair : pair.slice(0, eq)
    const value = eq === -1 ? '' : pair.slice(eq + 1)
    if (key.startsWith('header_')) headers[key.slice('header_'.length)] = safeDecode(value)
    else kept.push(pair)
  }
  return { url: kept.length > 0 ? `${base}?${kept.join('&')}` : base, headers }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** What our job for a dataset must be. */
export interface DesiredJob {
  dataset: string
  name: string
  destination_conf: string
  enabled: true
  fields: string[]
}

/**
 * What differs between a job and what it must be, in words for the table; empty when it is in place.
 * Only what setup sets counts: other output options (a sample rate, say) are the user's.
 */
export function changesTo(job: LogpushJob, want: DesiredJob): string[] {
  const changes: string[] = []
  if (job.destination_conf !== want.destination_conf) changes.push('destination')
  if (job.enabled !== true) changes.push('enabled')
  const have = new Set(job.output_options?.field_names ?? [])
  const wanted = new Set(want.fields)
  const added = want.fields.filter((f) => !have.has(f)).length
  const removed = [...have].filter((f) => !wanted.has(f)).length
  if (added > 0 || removed > 0) changes.push(`fields${added > 0 ? ` +${added}` : ''}${removed > 0 ? ` -${removed}` : ''}`)
  if (job.output_options?.output_type !== OUTPUT_TYPE) changes.push(`output ${OUTPUT_TYPE}`)
  if (job.output_options?.timestamp_format !== TIMESTAMP_FORMAT) changes.push(`timestamps ${TIMESTAMP_FORMAT}`)
  return changes
}

/** The output options we set, over a job's own (which an update keeps). */
export function outputOptions(want: DesiredJob, current: LogpushJob['output_options'] = {}) {
  return { ...(current ?? {}), field_names: want.fields, output_type: OUTPUT_TYPE, timestamp_format: TIMESTAMP_FORMAT } as const
}
