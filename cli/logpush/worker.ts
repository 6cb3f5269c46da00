import { gzipSync } from 'node:zlib'
import type { DatasetStats } from '../../src/counters/types'
import { ConnectionError, UsageError } from '../command'
import { parseHttpDestination } from './job-spec'

const TIMEOUT_MS = 15_000
// Logpush's destination check: one gzip member holding this line. The Worker answers {validation: true}.
const CHECK_BODY = gzipSync('{"content":"tests"}')
const MAX_ANSWER_CHARS = 300

/**
 * The Worker's URL from `--worker-url`: https, as Logpush requires, or http on 127.0.0.1 or
 * localhost for local tests.
 */
export function parseWorkerUrl(raw: string | undefined): URL {
  if (raw === undefined) throw new UsageError('pass --worker-url <https://your-worker.example.workers.dev>, the URL wrangler deploy printed')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new UsageError(`--worker-url "${raw}" is not a URL: pass https://<your worker's host>`)
  }
  const local = url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost')
  if (url.protocol !== 'https:' && !local) throw new UsageError(`--worker-url must be https:// (Logpush sends only there), got ${url.protocol}//${url.host}`)
  if (url.search || url.hash || url.username || url.password)
    throw new UsageError("--worker-url takes the Worker's base URL alone: no query, fragment or credentials")
  return url
}

/** The Worker's base URL for messages: no trailing slash. */
export function workerBase(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

async function answerText(res: Response): Promise<string> {
  const text = (await res.text()).trim()
  const short = text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}…` : text
  return `${res.status}${short ? ` ${short}` : ''}`
}

function reason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } }
  return e.cause?.code ?? e.cause?.message ?? e.message
}

/**
 * `GET /healthz` must answer `{ok: true}`; resolves to the datasets the Worker serves. Unreachable
 * or not ready is a ConnectionError whose message says what to do.
 */
export async function checkHealth(workerUrl: URL): Promise<string[]> {
  const url = `${workerBase(workerUrl)}/healthz`
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch (err) {
    throw new ConnectionError(
      `cannot reach the Worker at ${url} (${reason(err)}): deploy it with \`npx wrangler deploy\` and pass the URL it printed as --worker-url`,
    )
  }
  const answer = await answerText(res.clone())
  let body: { ok?: unknown; datasets?: unknown; detail?: unknown }
  try {
    body = (await res.json()) as typeof body
  } catch {
    throw new ConnectionError(`${url} is not a logpush-edge Worker: it answered ${answer}`)
  }
  if (res.status !== 200 || body.ok !== true) {
    const detail = Array.isArray(body.detail) ? body.detail.join('; ') : answer
    throw new ConnectionError(
      `the Worker at ${workerBase(workerUrl)} is not ready (/healthz: ${detail}): set what it names (wrangler.toml [vars], \`npx wrangler secret put\`) and deploy again`,
    )
  }
  return Array.isArray(body.datasets) ? body.datasets.filter((d): d is string => typeof d === 'string') : []
}

/**
 * Sends Logpush's destination check to an HTTP destination as Logpush does (its `header_*`
 * parameters as headers) and resolves to the answer's status and body, or why there was none.
 */
export async function sendCheck(destination: string): Promise<{ ok: boolean; answer: string; status?: number }> {
  const parsed = parseHttpDestination(destination)
  if (!parsed) return { ok: false, answer: 'not an HTTP destination' }
  try {
    const res = await fetch(parsed.url, { method: 'POST', headers: parsed.headers, body: CHECK_BODY, signal: AbortSignal.timeout(TIMEOUT_MS) })
    return { ok: res.ok, status: res.status, answer: await answerText(res) }
  } catch (err) {
    return { ok: false, answer: `no answer (${reason(err)})` }
  }
}

/**
 * Checks that the Worker takes the ingest token: the destination check, sent to one of our
 * destinations as Cloudflare will send it. A refusal is a ConnectionError that says what to do.
 */
export async function checkToken(workerUrl: URL, destination: string): Promise<void> {
  const { ok, status, answer } = await sendCheck(destination)
  if (ok) return
  if (status === 401) {
    throw new ConnectionError(
      `the Worker at ${workerBase(workerUrl)} refused the ingest token (${answer}): pass its INGEST_TOKEN secret as --ingest-token or in INGEST_TOKEN (\`npx wrangler secret put INGEST_TOKEN\` sets a new one)`,
    )
  }
  throw new ConnectionError(`the Worker at ${workerBase(workerUrl)} did not accept Logpush's destination check (${answer})`)
}

/** The Worker's counters per dataset (`GET /stats`), or why they could not be read. */
export async function workerStats(base: string, token: string): Promise<{ stats: Map<string, DatasetStats> } | { error: string }> {
  let res: Response
  try {
    res = await fetch(`${base}/stats`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch (err) {
    return { error: `cannot reach ${base}/stats (${reason(err)})` }
  }
  if (!res.ok) {
    const hint = res.status === 401 ? ": the job's token is not the Worker's INGEST_TOKEN any more; run setup again" : ''
    return { error: `${base}/stats answered ${await answerText(res)}${hint}` }
  }
  const body = (await res.json()) as { datasets?: DatasetStats[] }
  return { stats: new Map((body.datasets ?? []).map((d) => [d.dataset, d])) }
}
