import { APIError } from 'cloudflare'
import { type Scope, scopeLabel } from './targets'

/** What one failed call means, in words a user can act on; `code` is stable for scripts. */
export interface Failure {
  code:
    | 'token'
    | 'zero_trust_permission'
    | 'job_limit'
    | 'no_logpush'
    | 'not_allowed'
    | 'destination_check'
    | 'dataset_unavailable'
    | 'rate_limited'
    | 'api_error'
  message: string
}

/** Which call failed: the words depend on it (a refused field list means the dataset is not there). */
export type Step = 'list jobs' | 'read fields' | 'create job' | 'update job' | 'delete job'

// Cloudflare's permissions page: jobs of the Zero Trust datasets (Access, Gateway, DEX) need
// Zero Trust: PII Read beside Logs Edit, to read them as well as to change them.
const ZERO_TRUST_DATASETS = new Set(['access_requests', 'dex_application_tests', 'dex_device_state_events', 'gateway_dns', 'gateway_http', 'gateway_network'])

// Cloudflare answers a call it does not allow with code 1004 whatever the reason; its words tell
// which, and the patterns below cover the answers documented or seen. Anything else gets all three.
const PRODUCT_NOT_ALLOWED = /product\b.*\bnot allowed/i
const JOB_LIMIT = /max(imum)? (number of )?jobs|job limit|too many jobs|exceeded/i
const NO_LOGPUSH = /plan|entitle|not available|subscription/i

// Codes Cloudflare uses for a token it does not take (invalid, expired, malformed header) or one
// without the permission the call needs.
const TOKEN_CODES = new Set([1000, 6003, 6111, 9106, 9109, 10000])

const CODE_NOT_ALLOWED = 1004
const CODE_DESTINATION = 1002

/** True for a dataset whose jobs need Zero Trust: PII Read on the token as well as Logs Edit. */
function isZeroTrust(dataset: string): boolean {
  return ZERO_TRUST_DATASETS.has(dataset)
}

/** The permissions a token needs for a dataset at a scope, in the dashboard's words. */
export function permissionsFor(scope: Scope, dataset?: string): string {
  const logs = `Logs Edit on ${scopeLabel(scope)}`
  return dataset !== undefined && isZeroTrust(dataset) ? `${logs} and Zero Trust: PII Read (${dataset} is a Zero Trust dataset)` : logs
}

/** True when Cloudflare refused a job because its check of the destination failed (code 1002). */
export function isDestinationCheckFailure(err: unknown): boolean {
  return err instanceof APIError && err.errors.some((e) => e.code === CODE_DESTINATION)
}

/** Cloudflare's own words of an API error: each `code: message`, or the status alone. */
function cloudflareWords(err: APIError): string {
  const parts = err.errors.map((e) => `${e.code}: ${e.message}`)
  return parts.length > 0 ? `${err.status} ${parts.join('; ')}` : err.message
}

/**
 * Turns a failed API call into plain words that say what to do. `context` names the dataset and,
 * for a create or update, the destination Cloudflare checked (`checked` is what the Worker
 * answers that check from here, when known).
 * @example explainApiError(err, 'create job', scope, { dataset: 'dns_logs', destination })
 */
export function explainApiError(err: unknown, step: Step, scope: Scope, context: { dataset?: string; destination?: string; checked?: string } = {}): Failure {
  if (!(err instanceof APIError)) throw err
  const where = scopeLabel(scope)
  const what = context.dataset ? `${context.dataset} on ${where}` : where
  const words = `Cloudflare: ${cloudflareWords(err)}`
  const codes = new Set(err.errors.map((e) => e.code).filter((c): c is number => c !== undefined))
  const text = err.errors.map((e) => e.message).join(' ')

  if (codes.has(CODE_NOT_ALLOWED)) {
    if (PRODUCT_NOT_ALLOWED.test(text)) {
      return {
        code: 'zero_trust_permission',
        message: `${step} refused for ${what} (${words}): Zero Trust datasets need both Logs Edit and Zero Trust: PII Read on the API token; add Zero Trust: PII Read to it`,
      }
    }
    if (JOB_LIMIT.test(text)) {
      return {
        code: 'job_limit',
        message: `${where} has reached its limit of Logpush jobs (${words}): delete jobs it no longer needs (Analytics & Logs -> Logpush in the dashboard lists them all) or ask Cloudflare to raise the limit, then run setup again`,
      }
    }
    if (NO_LOGPUSH.test(text)) {
      return {
        code: 'no_logpush',
        message: `${where} has no Logpush on its plan (${words}): Logpush comes with Cloudflare's Enterprise plans; upgrade it or leave it out`,
      }
    }
    return {
      code: 'not_allowed',
      message: `${step} not allowed for ${what} (${words}): either ${where} has reached its limit of Logpush jobs, or its plan has no Logpush, or the token lacks ${permissionsFor(scope, context.dataset)}`,
    }
  }
  if (codes.has(CODE_DESTINATION)) {
    const answer = context.checked ? `; from here the Worker answers the same check with ${context.checked}` : ''
    return {
      code: 'destination_check',
      message: `Cloudflare's check of the destination failed for ${what}: it sent its test batch to ${context.destination ?? 'the Worker'} and did not get a 2xx (${words})${answer}. The URL must reach the Worker from the internet (no Access policy or firewall rule in front of it), and the token must be the Worker's INGEST_TOKEN`,
    }
  }
  if (err.status === 401 || err.status === 403 || [...codes].some((c) => TOKEN_CODES.has(c))) {
    return {
      code: 'token',
      message: `Cloudflare refused the API token for ${what} (${words}): it is invalid or expired, or lacks ${permissionsFor(scope, context.dataset)}; create one with that permission under My Profile -> API Tokens and set CLOUDFLARE_API_TOKEN`,
    }
  }
  if (err.status === 429) {
    return {
      code: 'rate_limited',
      message: `Cloudflare's rate limit stopped ${step} for ${what} (${words}): wait a few minutes and run it again; a re-run picks up where this one stopped`,
    }
  }
  if (step === 'read fields' && err.status !== undefined && err.status >= 400 && err.status < 500) {
    return {
      code: 'dataset_unavailable',
      message: `${context.dataset} is not available to ${where} (${words}): its plan or products do not include this dataset; leave it out of --datasets`,
    }
  }
  return { code: 'api_error', message: `${step} failed for ${what} (${words})${err.status !== undefined && err.status >= 500 ? ': run it again later' : ''}` }
}
