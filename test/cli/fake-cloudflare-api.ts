// A local stand-in for the Logpush part of Cloudflare's API, written from its OpenAPI document
// (test/fixtures/cloudflare-api/). openapi-backend routes every request and validates it against
// the document, and every answer is validated against the document before it is sent: whatever
// either side gets wrong is a violation that the tests assert is absent. Jobs live in memory;
// field lists come from the schemas; and, as Logpush does on every create and update of a job
// with an HTTP destination, the fake really posts its gzip `{"content":"tests"}` check there,
// with the `header_*` parameters as headers. Cloudflare requires https; the fake also takes
// http://127.0.0.1, where the tests' Worker listens.
import { readFileSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import addFormats from 'ajv-formats'
import { type Context, type Document, OpenAPIBackend } from 'openapi-backend'

const ROOT = resolve(import.meta.dirname, '../..')
const SPEC_FILE = resolve(ROOT, 'test/fixtures/cloudflare-api/logpush-openapi.json')
const MANIFEST_FILE = resolve(ROOT, 'src/schema/manifest.generated.json')
const API_ROOT = '/client/v4'
const CHECK_BODY = gzipSync('{"content":"tests"}')
const CHECK_TIMEOUT_MS = 10_000

// The Zero Trust datasets (Access, Gateway, DEX) whose jobs Cloudflare shows and changes only for
// a token that also has Zero Trust: PII Read (its permissions page, and its 1004 answer).
const ZERO_TRUST = new Set(['access_requests', 'dex_application_tests', 'dex_device_state_events', 'gateway_dns', 'gateway_http', 'gateway_network'])
// Cloudflare's limit on jobs depends on the plan and the contract: by default the fake takes a
// job for every dataset, and the tests about the limit set their own.
const DEFAULT_JOB_LIMIT = 64
// Older API versions refuse any other character in a job name.
const JOB_NAME = /^[a-zA-Z0-9.-]*$/

export type Kind = 'zone' | 'account'

/** What a token may do. `scopes`: the zone and account ids it covers (all when absent). */
export interface FakeToken {
  logsEdit: boolean
  zeroTrustPii?: boolean
  scopes?: string[]
}

/** A zone or account. `logpush: false` is a plan without Logpush; `unavailable` lists datasets it has no access to. */
export interface FakeScopeOptions {
  logpush?: boolean
  jobLimit?: number
  unavailable?: string[]
}

/** A job as the fake keeps it: the document's logpush_logpush_job. */
export interface FakeJob {
  id: number
  dataset: string | null
  name: string | null
  destination_conf: string
  enabled: boolean
  kind: '' | 'edge'
  filter?: string | null
  output_options: Record<string, unknown> | null
  last_complete: string | null
  last_error: string | null
  error_message: string | null
}

/** One destination check the fake sent: where, with which headers, and what came back. */
export interface SentCheck {
  url: string
  headers: Record<string, string>
  status?: number
  error?: string
}

interface ScopeState extends Required<FakeScopeOptions> {
  jobs: FakeJob[]
}

interface Answer {
  statusCode: number
  body: unknown
}

interface ApiError extends Error {
  answer: Answer
}

function failure(statusCode: number, code: number, message: string): Answer {
  return { statusCode, body: { success: false, errors: [{ code, message }], messages: [], result: null } }
}

function ok(result: unknown): Answer {
  return { statusCode: 200, body: { success: true, errors: [], messages: [], result } }
}

function refuse(answer: Answer): never {
  throw Object.assign(new Error('refused'), { answer }) satisfies ApiError
}

/**
 * The document as the fake serves it. Two changes, both needed to use it at all: operations
 * without an operationId get one from the SDK group and method names the document gives them
 * (openapi-backend validates only named operations), and the dataset enum gains the two datasets
 * this extract lags behind (Cloudflare's field reference and the SDK's types list all 37).
 */
function loadDocument(): Document {
  const doc = JSON.parse(readFileSync(SPEC_FILE, 'utf8'))
  for (const [path, item] of Object.entries<Record<string, Record<string, unknown>>>(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== 'object' || op === null || op.operationId) continue
      op.operationId = `${op['x-fern-sdk-group-name'] ?? path}.${op['x-fern-sdk-method-name'] ?? method}`
    }
  }
  const datasets: string[] = doc.components.schemas.logpush_dataset.enum
  for (const name of ['account_abuse_protection_events', 'magic_bgp_logs']) if (!datasets.includes(name)) datasets.push(name)
  datasets.sort()
  return doc
}

type Manifest = { datasets: Record<string, { scope: Kind[]; fields: { name: string; description?: string }[] }> }

/**
 * The fake API on a free port of 127.0.0.1. Point the SDK at `baseUrl` (CLOUDFLARE_BASE_URL).
 * @example const api = await FakeCloudflareApi.start({ 'good-token': { logsEdit: true } })
 */
export class FakeCloudflareApi {
  /** Requests or answers the document does not allow, and requests for paths it lacks. */
  readonly violations: string[] = []
  /** Every destination check sent, in order. */
  readonly checks: SentCheck[] = []
  /** Every request, as `METHOD /path`, in order. */
  readonly requests: string[] = []
  /**
   * Cloudflare's view of the network: an origin here is reached at another (a name that resolves
   * elsewhere from Cloudflare than from the user's machine).
   */
  readonly reroutes = new Map<string, string>()
  baseUrl = ''

  readonly #tokens: Map<string, FakeToken>
  readonly #scopes = new Map<string, ScopeState>()
  readonly #fields = new Map<string, Map<string, string>>()
  readonly #manifest: Manifest
  readonly #api: OpenAPIBackend
  #server?: Server
  #nextId = 1

  private constructor(tokens: Record<string, FakeToken>) {
    this.#tokens = new Map(Object.entries(tokens))
    this.#manifest = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8'))
    for (const [dataset, entry] of Object.entries(this.#manifest.datasets)) {
      for (const kind of entry.scope) this.#fields.set(`${kind}/${dataset}`, new Map(entry.fields.map((f) => [f.name, f.description ?? f.name])))
    }
    this.#api = new OpenAPIBackend({
      definition: loadDocument(),
      apiRoot: API_ROOT,
      // Unmatched, unauthorized or invalid requests go to the handlers below, never through.
      strict: true,
      // No check of the document itself: Cloudflare's puts keywords beside some $refs, which
      // OpenAPI 3.0 ignores and its own schema forbids, so the check refuses it. Requests and
      // answers are still validated.
      quick: true,
      coerceTypes: true,
      customizeAjv: (ajv) => {
        addFormats(ajv)
        return ajv
      },
    })
    this.#register()
  }

  /** Starts the fake; `tokens` are the API tokens it knows. */
  static async start(tokens: Record<string, FakeToken>): Promise<FakeCloudflareApi> {
    const fake = new FakeCloudflareApi(tokens)
    await fake.#api.init()
    const server = createServer((req, res) => void fake.#serve(req, res))
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    fake.#server = server
    fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${API_ROOT}`
    return fake
  }

  async close(): Promise<void> {
    await new Promise<void>((done) => this.#server?.close(() => done()))
  }

  addZone(id: string, options: FakeScopeOptions = {}): void {
    this.#addScope('zone', id, options)
  }

  addAccount(id: string, options: FakeScopeOptions = {}): void {
    this.#addScope('account', id, options)
  }

  /** The jobs of a zone or account, as kept (copies). */
  jobsOf(kind: Kind, id: string): FakeJob[] {
    return structuredClone(this.#scope(kind, id).jobs)
  }

  /** Puts a job in place as if made elsewhere (the dashboard, another tool); no check is sent. */
  plantJob(kind: Kind, id: string, job: Partial<FakeJob> & { destination_conf: string }): FakeJob {
    const made: FakeJob = { ...this.#newJob(), ...job, id: this.#nextId++ }
    this.#scope(kind, id).jobs.push(made)
    return structuredClone(made)
  }

  /** Changes a kept job behind the API's back (someone editing it in the dashboard). */
  editJob(kind: Kind, id: string, jobId: number, edit: (job: FakeJob) => void): void {
    const job = this.#scope(kind, id).jobs.find((j) => j.id === jobId)
    if (!job) throw new Error(`no job ${jobId} in ${kind} ${id}`)
    edit(job)
  }

  /** The live field list of a dataset at a level: a field Cloudflare adds or drops. */
  setFields(kind: Kind, dataset: string, names: string[]): void {
    this.#fields.set(`${kind}/${dataset}`, new Map(names.map((n) => [n, n])))
  }

  fieldsOf(kind: Kind, dataset: string): string[] {
    return [...(this.#fields.get(`${kind}/${dataset}`)?.keys() ?? [])]
  }

  /**
   * Pushes a batch as Logpush does for a job: gzip NDJSON to its destination with its headers.
   * The job records the outcome: last_complete on a 2xx, else last_error and error_message.
   */
  async deliver(kind: Kind, id: string, jobId: number, ndjson: string): Promise<number | undefined> {
    const job = this.#scope(kind, id).jobs.find((j) => j.id === jobId)
    if (!job) throw new Error(`no job ${jobId} in ${kind} ${id}`)
    const sent = await this.#post(job.destination_conf, gzipSync(ndjson))
    const now = new Date().toISOString()
    if (sent.status !== undefined && sent.status < 300) Object.assign(job, { last_complete: now, last_error: null, error_message: null })
    else Object.assign(job, { last_error: now, error_message: `upload failed: ${sent.error ?? `status ${sent.status}`}` })
    return sent.status
  }

  /** Takes the violations seen so far, leaving none. */
  takeViolations(): string[] {
    return this.violations.splice(0)
  }

  #addScope(kind: Kind, id: string, options: FakeScopeOptions): void {
    this.#scopes.set(`${kind}/${id}`, { logpush: true, jobLimit: DEFAULT_JOB_LIMIT, unavailable: [], ...options, jobs: [] })
  }

  #scope(kind: Kind, id: string): ScopeState {
    const scope = this.#scopes.get(`${kind}/${id}`)
    if (!scope) throw new Error(`no ${kind} ${id} in the fake`)
    return scope
  }

  #newJob(): Omit<FakeJob, 'id'> {
    return {
      dataset: null,
      name: null,
      destination_conf: '',
      enabled: false,
      kind: '',
      output_options: null,
      last_complete: null,
      last_error: null,
      error_message: null,
    }
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://fake')
    this.requests.push(`${req.method} ${url.pathname}`)
    let answer: Answer
    try {
      let body: unknown
      if (raw !== '') body = JSON.parse(raw)
      answer = await this.#api.handleRequest({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers as Record<string, string | string[]>,
        body,
      })
    } catch (err) {
      this.violations.push(`${req.method} ${url.pathname}: the fake failed: ${(err as Error).stack}`)
      answer = failure(500, 1000, 'internal error in the fake')
    }
    res.writeHead(answer.statusCode, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer.body))
  }

  #register(): void {
    const api = this.#api
    const operation = (handler: (c: Context, state: ScopeState, kind: Kind, id: string) => Answer | Promise<Answer>) => async (c: Context) => {
      let answer: Answer
      try {
        const { kind, id } = this.#authorize(c)
        answer = await handler(c, this.#scope(kind, id), kind, id)
      } catch (err) {
        if (!(err instanceof Error && 'answer' in err)) throw err
        answer = (err as ApiError).answer
      }
      const check = api.validateResponse(answer.body, c.operation, answer.statusCode)
      if (check.errors) this.violations.push(`answer to ${c.operation.operationId} (${answer.statusCode}) breaks the document: ${JSON.stringify(check.errors)}`)
      return answer
    }

    api.registerSecurityHandler('api_token', (c) => {
      const auth = c.request.headers.authorization
      const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined
      return token !== undefined && this.#tokens.has(token) ? { token } : false
    })
    api.register({
      unauthorizedHandler: () => failure(401, 1000, 'Invalid API Token'),
      validationFail: (c) => {
        this.violations.push(`request to ${c.operation.operationId} breaks the document: ${JSON.stringify(c.validation.errors)}`)
        return failure(400, 1001, `invalid request: ${c.validation.errors?.map((e) => `${e.instancePath} ${e.message}`).join('; ')}`)
      },
      notFound: (c) => {
        this.violations.push(`no such path in the document: ${c.request.method.toUpperCase()} ${c.request.path}`)
        return failure(404, 7003, 'No route for the URI')
      },
      methodNotAllowed: () => failure(405, 7000, 'No route for that URI'),

      'logpush.account-jobs.list': operation((c, state) => ok(state.jobs.filter((j) => this.#visible(c, j.dataset)))),
      'logpush.account-jobs.get': operation((c, state) => ok(this.#job(c, state))),
      'logpush.account-jobs.delete': operation((c, state) => {
        const job = this.#job(c, state)
        state.jobs.splice(state.jobs.indexOf(job), 1)
        return ok({ id: job.id })
      }),
      'logpush.account-jobs.create': operation(async (c, state, kind) => {
        const body = c.request.requestBody as Partial<FakeJob> & { destination_conf: string }
        const dataset = body.dataset ?? null
        if (dataset !== null) this.#allowDataset(c, state, kind, dataset, 'creating job')
        if (!state.logpush) refuse(failure(400, 1004, 'creating a new job is not allowed: Logpush is not entitled on this plan'))
        if (state.jobs.length >= state.jobLimit) refuse(failure(400, 1004, 'creating a new job is not allowed: exceeded max jobs allowed'))
        this.#checkName(body.name)
        await this.#checkDestination(body.destination_conf)
        const job: FakeJob = { ...this.#newJob(), ...pick(body), dataset, id: this.#nextId++ }
        state.jobs.push(job)
        return ok(job)
      }),
      'logpush.account-jobs.update': operation(async (c, state, kind) => {
        const job = this.#job(c, state)
        if (job.dataset !== null) this.#allowDataset(c, state, kind, job.dataset, 'updating job')
        const body = c.request.requestBody as Partial<FakeJob>
        this.#checkName(body.name)
        await this.#checkDestination(body.destination_conf ?? job.destination_conf)
        Object.assign(job, pick(body))
        return ok(job)
      }),
      'logpush.account-datasets.fields.get': operation((c, state, kind) => {
        const dataset = String(c.request.params.dataset_id)
        this.#allowDataset(c, state, kind, dataset, 'reading fields')
        return ok(Object.fromEntries(this.#fields.get(`${kind}/${dataset}`) ?? []))
      }),
    })
  }

  #tokenOf(c: Context): FakeToken {
    return this.#tokens.get(String((c.security.api_token as { token: string }).token)) as FakeToken
  }

  /** The scope of the path, if the token may use Logpush there: 403 otherwise, as for an unknown zone. */
  #authorize(c: Context): { kind: Kind; id: string } {
    const { accounts_or_zones: where, account_or_zone_id: id } = c.request.params as Record<string, string>
    const kind = where === 'zones' ? 'zone' : where === 'accounts' ? 'account' : undefined
    if (kind === undefined || id === undefined) refuse(failure(404, 7003, 'No route for the URI'))
    const token = this.#tokenOf(c)
    const known = this.#scopes.has(`${kind}/${id}`)
    if (!known || !token.logsEdit || (token.scopes !== undefined && !token.scopes.includes(id))) refuse(failure(403, 10000, 'Authentication error'))
    return { kind, id }
  }

  #visible(c: Context, dataset: string | null): boolean {
    return dataset === null || !ZERO_TRUST.has(dataset) || this.#tokenOf(c).zeroTrustPii === true
  }

  #allowDataset(c: Context, state: ScopeState, kind: Kind, dataset: string, doing: string): void {
    if (!this.#visible(c, dataset)) refuse(failure(403, 1004, `${doing} for product '${dataset}' is not allowed`))
    // Cloudflare does not document its answer for a dataset the zone or account lacks: this one is ours.
    if (!this.#fields.has(`${kind}/${dataset}`) || state.unavailable.includes(dataset)) {
      refuse(failure(400, 1003, `dataset ${dataset} is not available for this ${kind}`))
    }
  }

  #job(c: Context, state: ScopeState): FakeJob {
    const id = Number(c.request.params.job_id)
    const job = state.jobs.find((j) => j.id === id && this.#visible(c, j.dataset))
    if (!job) refuse(failure(404, 1003, `job ${id} not found`))
    return job
  }

  #checkName(name: string | null | undefined): void {
    if (typeof name === 'string' && !JOB_NAME.test(name)) refuse(failure(400, 1001, `job name "${name}" is invalid: use letters, digits, - and . only`))
  }

  /** Logpush's destination check: for an HTTP destination, a 2xx to the test batch or 1002. */
  async #checkDestination(conf: string): Promise<void> {
    if (!/^https?:\/\//i.test(conf)) return
    const url = new URL(conf)
    if (url.protocol === 'http:' && url.hostname !== '127.0.0.1') refuse(failure(400, 1002, 'error validating destination: the destination must be https'))
    const sent = await this.#post(conf, CHECK_BODY)
    if (sent.status !== undefined && sent.status < 300) return
    const what = sent.error ?? `status ${sent.status}: ${sent.answer}`
    refuse(failure(400, 1002, `error validating destination: POST ${sent.url}: ${what}`))
  }

  /** Posts gzip bytes as Logpush does: `header_*` parameters, percent-decoded, as headers and out of the URL. */
  async #post(conf: string, body: Buffer): Promise<SentCheck & { answer?: string }> {
    const [base = '', query = ''] = conf.split(/\?(.*)/s, 2)
    const headers: Record<string, string> = {}
    const kept: string[] = []
    for (const pair of query.split('&').filter((p) => p !== '')) {
      const [key = '', value = ''] = pair.split(/=(.*)/s, 2)
      if (key.startsWith('header_')) headers[key.slice('header_'.length)] = decodeURIComponent(value)
      else kept.push(pair)
    }
    const target = new URL(kept.length > 0 ? `${base}?${kept.join('&')}` : base)
    const sent: SentCheck & { answer?: string } = { url: target.href, headers }
    const reroute = this.reroutes.get(target.origin)
    const reached = reroute ? new URL(`${reroute}${target.pathname}${target.search}`) : target
    try {
      const res = await fetch(reached, { method: 'POST', headers, body, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) })
      sent.status = res.status
      sent.answer = (await res.text()).slice(0, 300)
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string } }).cause
      sent.error = `dial tcp ${target.host}: ${cause?.code ?? (err as Error).message}`
    }
    this.checks.push({ url: sent.url, headers: sent.headers, status: sent.status, error: sent.error })
    return sent
  }
}

/** The job properties a create or update sets. */
function pick(body: Partial<FakeJob>): Partial<FakeJob> {
  const out: Partial<FakeJob> = {}
  for (const key of ['name', 'destination_conf', 'enabled', 'kind', 'filter', 'output_options'] as const) {
    if (body[key] !== undefined) Object.assign(out, { [key]: body[key] })
  }
  return out
}
