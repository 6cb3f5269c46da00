import Cloudflare, { APIConnectionError } from 'cloudflare'
import type { JobCreateParams, JobUpdateParams, LogpushJob } from 'cloudflare/resources/logpush/jobs'
import { ConnectionError, UsageError } from '../command'
import { addSecret } from '../redact'
import type { Scope } from './targets'

export type { LogpushJob }

/** A dataset name as the SDK types it (the schema files are our list; Cloudflare's API checks it). */
type DatasetId = Parameters<Cloudflare['logpush']['datasets']['fields']['get']>[0]

const DEFAULT_BASE_URL = 'https://api.cloudflare.com/client/v4'

/** The Cloudflare API, through the official SDK, for one scope at a time. */
export class LogpushApi {
  readonly baseUrl: string
  readonly #client: Cloudflare

  constructor(client: Cloudflare, baseUrl: string) {
    this.#client = client
    this.baseUrl = baseUrl
  }

  /** Every Logpush job of the zone or account, ours and others'. */
  async listJobs(scope: Scope): Promise<LogpushJob[]> {
    return this.#call(async () => {
      const jobs: LogpushJob[] = []
      for await (const job of this.#client.logpush.jobs.list(scopeParams(scope))) if (job) jobs.push(job)
      return jobs
    })
  }

  /** The dataset's live field names, as the fields endpoint lists them. */
  async fields(scope: Scope, dataset: string): Promise<string[]> {
    return this.#call(async () => Object.keys(await this.#client.logpush.datasets.fields.get(dataset as DatasetId, scopeParams(scope))))
  }

  async createJob(scope: Scope, job: Omit<JobCreateParams, 'account_id' | 'zone_id'>): Promise<LogpushJob | null> {
    return this.#call(() => this.#client.logpush.jobs.create({ ...job, ...scopeParams(scope) }))
  }

  async updateJob(scope: Scope, id: number, job: Omit<JobUpdateParams, 'account_id' | 'zone_id'>): Promise<LogpushJob | null> {
    return this.#call(() => this.#client.logpush.jobs.update(id, { ...job, ...scopeParams(scope) }))
  }

  async deleteJob(scope: Scope, id: number): Promise<void> {
    await this.#call(() => this.#client.logpush.jobs.delete(id, scopeParams(scope)))
  }

  // No answer at all is no finding about a job: every later call would fail the same way.
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof APIConnectionError) {
        const cause = err.cause instanceof Error ? `: ${err.cause.message}` : ''
        throw new ConnectionError(
          `cannot reach the Cloudflare API at ${this.baseUrl} (${err.message}${cause}); check the network, or CLOUDFLARE_BASE_URL if set`,
        )
      }
      throw err
    }
  }
}

function scopeParams(scope: Scope): { zone_id: string } | { account_id: string } {
  return scope.kind === 'zone' ? { zone_id: scope.id } : { account_id: scope.id }
}

/**
 * The API client from the environment: `CLOUDFLARE_API_TOKEN`, `CLOUDFLARE_BASE_URL` (another API
 * base, such as the tests' fake) and `CLOUDFLARE_MAX_RETRIES` (the SDK's retries of a failed
 * call; 2 unless set, 0 in the tests).
 */
export function apiFromEnv(env: NodeJS.ProcessEnv = process.env): LogpushApi {
  const token = env.CLOUDFLARE_API_TOKEN?.trim()
  if (!token) {
    throw new UsageError(
      'set CLOUDFLARE_API_TOKEN to an API token with Logs Edit on the zones and accounts (and Zero Trust: PII Read for Zero Trust datasets); create one under My Profile -> API Tokens',
    )
  }
  addSecret(token)
  const baseUrl = env.CLOUDFLARE_BASE_URL?.trim() || DEFAULT_BASE_URL
  const retries = env.CLOUDFLARE_MAX_RETRIES
  const maxRetries = retries === undefined || retries === '' ? undefined : Number(retries)
  if (maxRetries !== undefined && !(Number.isInteger(maxRetries) && maxRetries >= 0)) {
    throw new UsageError(`CLOUDFLARE_MAX_RETRIES must be a whole number (0 for none), got "${retries}"`)
  }
  // The token alone: a Global API key in the environment (CLOUDFLARE_API_KEY, which the SDK would
  // read too) is not sent beside it. The SDK's logging stays off: the commands explain every failure.
  const client = new Cloudflare({ apiToken: token, apiKey: null, apiEmail: null, userServiceKey: null, baseURL: baseUrl, maxRetries, logLevel: 'off' })
  return new LogpushApi(client, baseUrl)
}
