// `setup`, `status`, `teardown` and `drift` as a user runs them: the CLI as a process, against the
// fake Cloudflare API (validated against Cloudflare's OpenAPI document), which sends its
// destination checks and batches to the real Worker under `wrangler dev`, writing to a real
// S3-protocol server. The whole path: CLI -> API -> Logpush's check -> Worker -> counters.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { INGEST_TOKEN, type Stack, startStack } from '../e2e-node/harness'
import { FakeCloudflareApi } from './fake-cloudflare-api'
import { runCli } from './run-cli'

const ROOT = resolve(import.meta.dirname, '../..')
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'src/schema/manifest.generated.json'), 'utf8')) as {
  datasets: Record<string, { scope: string[]; fields: { name: string }[] }>
}
const ZONE_DATASETS = Object.keys(MANIFEST.datasets).filter((d) => MANIFEST.datasets[d]!.scope.includes('zone'))

const TOKEN = 'cf-token-logs-edit-and-pii'
const NO_PII_TOKEN = 'cf-token-logs-edit-only'
const ONE_ZONE_TOKEN = 'cf-token-for-one-zone'
const NO_LOGS_TOKEN = 'cf-token-without-logs-edit'

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353'
const ACCOUNT = '01a7362d577a6c3019a474fd6f485823'
const FULL_ZONE = '5f2a8b1c9d3e4f60718293a4b5c6d7e8'
const FREE_ZONE = '9c0d1e2f3a4b5c6d7e8f901a2b3c4d5e'
const PARTIAL_ZONE = 'b4e5f6a7b8c9d0e1f2a3b4c5d6e7f809'
const FAR_ZONE = 'c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6'
const DRIFT_ZONE = 'd0e1f2a3b4c5d6e7f8091a2b3c4d5e6f'
const DRIFT_ACCOUNT = 'e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

let stack: Stack
let fake: FakeCloudflareApi
let workerUrl: string

async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = await runCli(args, {
    env: { ...process.env, CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.baseUrl, CLOUDFLARE_MAX_RETRIES: '0', INGEST_TOKEN, ...env },
  })
  // Whatever the command and its outcome, no token is ever printed.
  for (const secret of [INGEST_TOKEN, env.CLOUDFLARE_API_TOKEN ?? TOKEN, env.INGEST_TOKEN ?? INGEST_TOKEN].filter((s) => s !== '')) {
    expect(run.stdout + run.stderr).not.toContain(secret)
  }
  return run
}

async function cliJson(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; report: any }> {
  const r = await cli([...args, '--json'], env)
  expect(r.stderr).toBe('')
  return { code: r.code, report: JSON.parse(r.stdout) }
}

function destination(dataset: string, url = workerUrl, token = INGEST_TOKEN): string {
  return `${url}/logpush/${dataset}?header_Authorization=Bearer%20${token}`
}

async function validations(datasets: string[]): Promise<number> {
  const counters = await workerCounters()
  return datasets.reduce((n, d) => n + (counters.get(d)?.validations ?? 0), 0)
}

async function workerCounters(): Promise<Map<string, { batches: number; events: number; validations: number }>> {
  const res = await fetch(`${workerUrl}/stats`, { headers: { Authorization: `Bearer ${INGEST_TOKEN}` } })
  const body = (await res.json()) as { datasets: { dataset: string; batches: number; events: number; validations: number }[] }
  return new Map(body.datasets.map((d) => [d.dataset, d]))
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as { port: number }
  await new Promise<void>((done) => server.close(() => done()))
  return port
}

beforeAll(async () => {
  stack = await startStack()
  workerUrl = stack.workerUrl.origin
  fake = await FakeCloudflareApi.start({
    [TOKEN]: { logsEdit: true, zeroTrustPii: true },
    [NO_PII_TOKEN]: { logsEdit: true },
    [ONE_ZONE_TOKEN]: { logsEdit: true, scopes: [FULL_ZONE] },
    [NO_LOGS_TOKEN]: { logsEdit: false, zeroTrustPii: true },
  })
  fake.addZone(ZONE)
  fake.addAccount(ACCOUNT)
  fake.addZone(FULL_ZONE, { jobLimit: 2 })
  fake.addZone(FREE_ZONE, { logpush: false })
  fake.addZone(PARTIAL_ZONE, { unavailable: ['spectrum_events'] })
  fake.addZone(FAR_ZONE)
  fake.addZone(DRIFT_ZONE)
  fake.addAccount(DRIFT_ACCOUNT)
}, 180_000)

afterAll(async () => {
  await fake?.close()
  await stack?.close()
})

// Every request the CLI sent and every answer the fake gave fit Cloudflare's OpenAPI document.
afterEach(() => expect(fake.takeViolations()).toEqual([]))

describe('setup -> status -> teardown through the real Worker', () => {
  it('setup creates one job per zone dataset: every live field, NDJSON, rfc3339ns, enabled, the token percent-encoded; Logpush checks each destination at the Worker', async () => {
    const before = await validations(ZONE_DATASETS)
    const r = await cli(['setup', '--worker-url', workerUrl, '--zone', ZONE, '--datasets', 'all'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Worker ${workerUrl}: healthy, takes the ingest token\n`)
    expect(r.stdout).toContain(`zone ${ZONE}:\n`)
    expect(r.stdout).toMatch(/\n {2}dns_logs +#\d+ +created +9 fields\n/)
    expect(r.stdout).toContain(`\n${ZONE_DATASETS.length} created, 0 updated, 0 unchanged, 0 failed\n`)

    const jobs = fake.jobsOf('zone', ZONE)
    expect(jobs.map((j) => j.dataset).sort()).toEqual([...ZONE_DATASETS].sort())
    for (const job of jobs) {
      const dataset = job.dataset!
      expect(job).toMatchObject({ name: `logpush-edge-${dataset.replaceAll('_', '-')}`, enabled: true, destination_conf: destination(dataset) })
      expect(job.name).not.toContain('_')
      expect(job.output_options).toEqual({ field_names: fake.fieldsOf('zone', dataset), output_type: 'ndjson', timestamp_format: 'rfc3339ns' })
    }
    // Each create made the fake send Logpush's check to the Worker, which took the decoded header.
    const checks = fake.checks.filter((c) => c.url.startsWith(`${workerUrl}/logpush/`))
    expect(checks.length).toBeGreaterThanOrEqual(ZONE_DATASETS.length)
    for (const check of checks) expect(check).toMatchObject({ status: 200, headers: { Authorization: `Bearer ${INGEST_TOKEN}` } })
    // Logpush's check of every job, and setup's own check of the token: each answered as validation.
    expect(await validations(ZONE_DATASETS)).toBe(before + ZONE_DATASETS.length + 1)
  })

  it('a second run is a no-op: every job unchanged, nothing created or written', async () => {
    const writes = fake.requests.length
    const { code, report } = await cliJson(['setup', '--worker-url', workerUrl, '--zone', ZONE, '--datasets', 'all'])
    expect(code).toBe(0)
    expect(report.jobs.map((j: { action: string }) => j.action)).toEqual(ZONE_DATASETS.map(() => 'unchanged'))
    expect(report).toMatchObject({ workerUrl, dryRun: false, timestampFormat: 'rfc3339ns' })
    const since = fake.requests.slice(writes)
    expect(since.filter((r) => !r.startsWith('GET '))).toEqual([])
    expect(fake.jobsOf('zone', ZONE)).toHaveLength(ZONE_DATASETS.length)
  })

  it('updates a job that drifted from what it must be in place (same id), and says what changed', async () => {
    const dns = fake.jobsOf('zone', ZONE).find((j) => j.dataset === 'dns_logs')!
    fake.editJob('zone', ZONE, dns.id, (job) => {
      job.enabled = false
      job.destination_conf = destination('dns_logs', workerUrl, 'an-old-token-value')
      job.output_options = { ...job.output_options, sample_rate: 0.5 }
    })
    const live = fake.fieldsOf('zone', 'dns_logs')
    fake.setFields('zone', 'dns_logs', [...live, 'QueryLatencyMs'])
    onTestFinished(() => fake.setFields('zone', 'dns_logs', live))

    const dry = await cli(['setup', '--worker-url', workerUrl, '--zone', ZONE, '--datasets', 'dns_logs', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(new RegExp(`dns_logs +#${dns.id} +update +destination, enabled, fields \\+1\\n`))
    expect(dry.stdout).toContain('dry run: 0 to create, 1 to update, 0 unchanged, 0 failed; nothing was changed\n')
    expect(fake.jobsOf('zone', ZONE).find((j) => j.id === dns.id)?.enabled).toBe(false)

    const r = await cli(['setup', '--worker-url', workerUrl, '--zone', ZONE, '--datasets', 'dns_logs'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`dns_logs +#${dns.id} +updated +destination, enabled, fields \\+1\\n`))
    const after = fake.jobsOf('zone', ZONE).filter((j) => j.dataset === 'dns_logs')
    expect(after).toHaveLength(1)
    expect(after[0]).toMatchObject({ id: dns.id, enabled: true, destination_conf: destination('dns_logs') })
    // The user's own output option stays; ours are set.
    expect(after[0]?.output_options).toMatchObject({ sample_rate: 0.5, output_type: 'ndjson', timestamp_format: 'rfc3339ns' })
    expect(after[0]?.output_options?.field_names).toContain('QueryLatencyMs')
  })

  it('status shows each job beside the Worker counters for its dataset once Logpush pushed a batch', async () => {
    const http = fake.jobsOf('zone', ZONE).find((j) => j.dataset === 'http_requests')!
    const batch = readFileSync(join(ROOT, 'fixtures/http_requests.rfc3339ns.ndjson'), 'utf8')
    expect(await fake.deliver('zone', ZONE, http.id, batch)).toBe(200)

    const r = await cli(['status', '--zone', ZONE])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`\\n {2}http_requests +#${http.id} +yes +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z +- +1 +20 +0 +\\d{4}-`))
    expect(r.stdout).toContain(`\n${ZONE_DATASETS.length} jobs, 0 need a look\n`)

    const { report } = await cliJson(['status', '--zone', ZONE, '--datasets', 'http_requests'])
    expect(report.jobs).toEqual([
      expect.objectContaining({
        dataset: 'http_requests',
        scope: { kind: 'zone', id: ZONE },
        id: http.id,
        enabled: true,
        last_error: null,
        error_message: null,
        destination: `${workerUrl}/logpush/http_requests`,
        worker: expect.objectContaining({ batches: 1, events: 20, written: 20, quarantined: 0 }),
      }),
    ])
  })

  it('status exits 1 and says why when a job is failing or disabled', async () => {
    const spectrum = fake.jobsOf('zone', ZONE).find((j) => j.dataset === 'spectrum_events')!
    fake.editJob('zone', ZONE, spectrum.id, (job) => {
      job.last_error = '2026-12-07T10:00:00Z'
      job.error_message = 'upload failed: status 503'
    })
    const r = await cli(['status', '--zone', ZONE])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(`\nneeds a look:\n  spectrum_events on zone ${ZONE} (job #${spectrum.id}): Cloudflare: upload failed: status 503\n`)
    fake.editJob('zone', ZONE, spectrum.id, (job) => Object.assign(job, { last_error: null, error_message: null }))

    // A job of ours whose Worker is gone: its counters cannot be read.
    const port = await closedPort()
    const nel = fake.jobsOf('zone', ZONE).find((j) => j.dataset === 'nel_reports')!
    fake.editJob('zone', ZONE, nel.id, (job) => {
      job.destination_conf = destination('nel_reports', `http://127.0.0.1:${port}`)
    })
    const gone = await cli(['status', '--zone', ZONE, '--datasets', 'nel_reports'])
    expect(gone.code).toBe(1)
    expect(gone.stdout).toContain(`  nel_reports on zone ${ZONE} (job #${nel.id}): Worker: cannot reach http://127.0.0.1:${port}/stats (ECONNREFUSED)\n`)
    fake.editJob('zone', ZONE, nel.id, (job) => {
      job.destination_conf = destination('nel_reports')
    })
  })

  it("teardown deletes our jobs and only ours: someone else's job is listed as left alone", async () => {
    const theirs = fake.plantJob('zone', ZONE, {
      dataset: 'http_requests',
      name: 'siem-http',
      destination_conf: 's3://their-bucket/http?region=us-east-1',
      enabled: true,
    })
    const dry = await cli(['teardown', '--zone', ZONE, '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`dry run: ${ZONE_DATASETS.length} to delete, 1 left alone, 0 failed\n`)
    expect(fake.jobsOf('zone', ZONE)).toHaveLength(ZONE_DATASETS.length + 1)

    const r = await cli(['teardown', '--zone', ZONE])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`\\n {2}http_requests +#${theirs.id} +siem-http +left alone \\(not ours\\)\\n`))
    expect(r.stdout).toMatch(/\n {2}dns_logs +#\d+ +logpush-edge-dns-logs +deleted\n/)
    expect(r.stdout).toContain(`\n${ZONE_DATASETS.length} deleted, 1 left alone, 0 failed\n`)
    expect(fake.jobsOf('zone', ZONE)).toEqual([expect.objectContaining({ id: theirs.id, name: 'siem-http' })])

    const after = await cli(['status', '--zone', ZONE])
    expect(after.code).toBe(1)
    expect(after.stdout).toContain('no logpush-edge jobs here: run `logpush-edge setup` to create them\n')
    expect(after.stdout).toContain(`left out, not ours: 1 on zone ${ZONE}\n`)
  })

  it('account datasets at --account, zone datasets at --zone, in one run', async () => {
    const { code, report } = await cliJson([
      'setup',
      '--worker-url',
      workerUrl,
      '--zone',
      ZONE,
      '--account',
      ACCOUNT,
      '--datasets',
      'dns_logs,gateway_dns,firewall_events',
    ])
    expect(code).toBe(0)
    expect(report.jobs.map((j: { dataset: string; scope: { kind: string }; action: string }) => `${j.scope.kind} ${j.dataset} ${j.action}`)).toEqual([
      'zone dns_logs created',
      'zone firewall_events created',
      'account firewall_events created',
      'account gateway_dns created',
    ])
    expect((await cli(['teardown', '--zone', ZONE, '--account', ACCOUNT, '--datasets', 'dns_logs,gateway_dns,firewall_events'])).code).toBe(0)
  })
})

describe('errors, in words a user can act on', () => {
  it('a token Cloudflare does not know: names the permission to give it', async () => {
    const r = await cli(['setup', '--worker-url', workerUrl, '--zone', ZONE, '--datasets', 'dns_logs'], {
      CLOUDFLARE_API_TOKEN: 'not-a-token-cloudflare-knows',
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(
      `dns_logs on zone ${ZONE}: Cloudflare refused the API token for zone ${ZONE} (Cloudflare: 401 1000: Invalid API Token): it is invalid or expired, or lacks Logs Edit on zone ${ZONE}; create one with that permission under My Profile -> API Tokens and set CLOUDFLARE_API_TOKEN\n`,
    )
  })

  it('a token without Logs Edit, or not covering the zone: names Logs Edit on that zone', async () => {
    const none = await cli(['setup', '--worker-url', workerUrl, '--zone', ZONE, '--datasets', 'dns_logs'], { CLOUDFLARE_API_TOKEN: NO_LOGS_TOKEN })
    expect(none.code).toBe(1)
    expect(none.stdout).toContain(`(Cloudflare: 403 10000: Authentication error): it is invalid or expired, or lacks Logs Edit on zone ${ZONE};`)

    const other = await cli(['setup', '--worker-url', workerUrl, '--zone', FULL_ZONE, '--zone', ZONE, '--datasets', 'dns_logs'], {
      CLOUDFLARE_API_TOKEN: ONE_ZONE_TOKEN,
    })
    expect(other.code).toBe(1)
    expect(other.stdout).toMatch(new RegExp(`zone ${FULL_ZONE}:\\n.*\\n {2}dns_logs +#\\d+ +created`))
    expect(other.stdout).toContain(`dns_logs on zone ${ZONE}: Cloudflare refused the API token for zone ${ZONE} (Cloudflare: 403 10000: Authentication error)`)
    expect((await cli(['teardown', '--zone', FULL_ZONE], { CLOUDFLARE_API_TOKEN: ONE_ZONE_TOKEN })).code).toBe(0)
  })

  it('a Zero Trust dataset with a token lacking Zero Trust: PII Read: says to add it; the other datasets are still set up', async () => {
    const r = await cli(['setup', '--worker-url', workerUrl, '--account', ACCOUNT, '--datasets', 'audit_logs,gateway_http'], {
      CLOUDFLARE_API_TOKEN: NO_PII_TOKEN,
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/\n {2}audit_logs +#\d+ +created/)
    expect(r.stdout).toContain(
      `gateway_http on account ${ACCOUNT}: read fields refused for gateway_http on account ${ACCOUNT} (Cloudflare: 403 1004: reading fields for product 'gateway_http' is not allowed): Zero Trust datasets need both Logs Edit and Zero Trust: PII Read on the API token; add Zero Trust: PII Read to it\n`,
    )
    expect(r.stdout).toContain('\n1 created, 0 updated, 0 unchanged, 1 failed\n')
    expect((await cli(['teardown', '--account', ACCOUNT])).code).toBe(0)
  })

  it("the zone's job limit (1004): the jobs that fit are made, the rest say to delete jobs or raise the limit", async () => {
    const r = await cli(['setup', '--worker-url', workerUrl, '--zone', FULL_ZONE, '--datasets', 'dns_logs,http_requests,nel_reports'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('\n2 created, 0 updated, 0 unchanged, 1 failed\n')
    expect(r.stdout).toContain(
      `nel_reports on zone ${FULL_ZONE}: zone ${FULL_ZONE} has reached its limit of Logpush jobs (Cloudflare: 400 1004: creating a new job is not allowed: exceeded max jobs allowed): delete jobs it no longer needs (Analytics & Logs -> Logpush in the dashboard lists them all) or ask Cloudflare to raise the limit, then run setup again\n`,
    )
    expect(fake.jobsOf('zone', FULL_ZONE).map((j) => j.dataset)).toEqual(['dns_logs', 'http_requests'])
    expect((await cli(['teardown', '--zone', FULL_ZONE])).code).toBe(0)
  })

  it('a plan without Logpush (1004): says so', async () => {
    const r = await cli(['setup', '--worker-url', workerUrl, '--zone', FREE_ZONE, '--datasets', 'http_requests'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(
      `http_requests on zone ${FREE_ZONE}: zone ${FREE_ZONE} has no Logpush on its plan (Cloudflare: 400 1004: creating a new job is not allowed: Logpush is not entitled on this plan): Logpush comes with Cloudflare's Enterprise plans; upgrade it or leave it out\n`,
    )
    expect(fake.jobsOf('zone', FREE_ZONE)).toEqual([])
  })

  it('a dataset the zone has no access to: says which, and the others are still set up', async () => {
    const r = await cli(['setup', '--worker-url', workerUrl, '--zone', PARTIAL_ZONE, '--datasets', 'dns_logs,spectrum_events'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/\n {2}dns_logs +#\d+ +created/)
    expect(r.stdout).toContain(
      `spectrum_events on zone ${PARTIAL_ZONE}: spectrum_events is not available to zone ${PARTIAL_ZONE} (Cloudflare: 400 1003: dataset spectrum_events is not available for this zone): its plan or products do not include this dataset; leave it out of --datasets\n`,
    )
    expect((await cli(['teardown', '--zone', PARTIAL_ZONE])).code).toBe(0)
  })

  describe("Cloudflare's destination check failing (1002)", () => {
    let other: Stack

    beforeAll(async () => {
      other = await startStack({}, { INGEST_TOKEN: 'the-other-deploys-token' })
    }, 180_000)

    afterAll(async () => {
      fake.reroutes.clear()
      await other?.close()
    })

    it("the Worker URL reaches another Worker from Cloudflare: shows the URL, that Worker's answer, and what it answers from here", async () => {
      // From Cloudflare, the Worker's address reaches another deploy, which has another token.
      fake.reroutes.set(workerUrl, other.workerUrl.origin)
      const r = await cli(['setup', '--worker-url', workerUrl, '--zone', FAR_ZONE, '--datasets', 'dns_logs'])
      expect(r.code).toBe(1)
      expect(r.stdout).toContain(
        `dns_logs on zone ${FAR_ZONE}: Cloudflare's check of the destination failed for dns_logs on zone ${FAR_ZONE}: it sent its test batch to ${workerUrl}/logpush/dns_logs and did not get a 2xx (Cloudflare: 400 1002: error validating destination: POST ${workerUrl}/logpush/dns_logs: status 401: {"error":"unauthorized"`,
      )
      expect(r.stdout).toContain('; from here the Worker answers the same check with 200 {"validation":true}. The URL must reach the Worker from the internet')
      expect(fake.jobsOf('zone', FAR_ZONE)).toEqual([])
    })

    it('nothing answers at that address from Cloudflare: says there was no answer', async () => {
      fake.reroutes.set(workerUrl, `http://127.0.0.1:${await closedPort()}`)
      const r = await cli(['setup', '--worker-url', workerUrl, '--zone', FAR_ZONE, '--datasets', 'dns_logs'])
      expect(r.code).toBe(1)
      expect(r.stdout).toContain(
        `(Cloudflare: 400 1002: error validating destination: POST ${workerUrl}/logpush/dns_logs: dial tcp ${stack.workerUrl.host}: ECONNREFUSED)`,
      )
    })
  })

  it('the Worker refuses the ingest token: exit 2 before any job, naming INGEST_TOKEN', async () => {
    const requests = fake.requests.length
    const r = await cli(['setup', '--worker-url', workerUrl, '--zone', ZONE, '--datasets', 'dns_logs'], { INGEST_TOKEN: 'not-the-workers-token' })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`logpush-edge: the Worker at ${workerUrl} refused the ingest token (401 {"error":"unauthorized"`)
    expect(r.stderr).toContain('pass its INGEST_TOKEN secret as --ingest-token or in INGEST_TOKEN')
    expect(fake.requests.length).toBe(requests)
  })

  it('a Worker that does not answer, and an API that does not: exit 2 with what to do', async () => {
    const port = await closedPort()
    const worker = await cli(['setup', '--worker-url', `http://127.0.0.1:${port}`, '--zone', ZONE, '--datasets', 'dns_logs'])
    expect(worker.code).toBe(2)
    expect(worker.stderr).toContain(
      `logpush-edge: cannot reach the Worker at http://127.0.0.1:${port}/healthz (ECONNREFUSED): deploy it with \`npx wrangler deploy\``,
    )

    const api = await cli(['status', '--zone', ZONE], { CLOUDFLARE_BASE_URL: `http://127.0.0.1:${port}/client/v4` })
    expect(api.code).toBe(2)
    expect(api.stderr).toContain(`logpush-edge: cannot reach the Cloudflare API at http://127.0.0.1:${port}/client/v4 (Connection error.`)
  })

  it('usage: a dataset without its scope flag names the flag; the Worker URL must be https; the API token must be set', async () => {
    const zoneOnly = await cli(['setup', '--worker-url', workerUrl, '--account', ACCOUNT, '--datasets', 'http_requests'])
    expect(zoneOnly).toMatchObject({ code: 2, stderr: 'logpush-edge: http_requests is a zone dataset: pass --zone <zone id>\n' })
    const accountOnly = await cli(['drift', '--zone', ZONE, '--datasets', 'gateway_dns'])
    expect(accountOnly).toMatchObject({ code: 2, stderr: 'logpush-edge: gateway_dns is an account dataset: pass --account <account id>\n' })
    const plain = await cli(['setup', '--worker-url', 'http://edge.example.com', '--zone', ZONE, '--datasets', 'all'])
    expect(plain).toMatchObject({ code: 2, stderr: 'logpush-edge: --worker-url must be https:// (Logpush sends only there), got http://edge.example.com\n' })
    const noToken = await cli(['status', '--zone', ZONE], { CLOUDFLARE_API_TOKEN: '' })
    expect(noToken.code).toBe(2)
    expect(noToken.stderr).toContain('logpush-edge: set CLOUDFLARE_API_TOKEN to an API token with Logs Edit')
    const nowhere = await cli(['teardown'])
    expect(nowhere.code).toBe(2)
    expect(nowhere.stderr).toContain('say where: --zone <zone id>')
  })

  it('--help: each command says its flags, environment and exit status; the overall help lists them', async () => {
    for (const command of ['setup', 'status', 'teardown', 'drift']) {
      const help = await cli([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(new RegExp(`^Usage: logpush-edge ${command} `))
      expect(help.stdout).toContain('CLOUDFLARE_API_TOKEN')
      expect(help.stdout).toContain('Exit status: 0 ')
    }
    const overall = await cli(['--help'])
    for (const command of ['setup', 'status', 'teardown', 'drift']) expect(overall.stdout).toMatch(new RegExp(`\\n {2}${command} +\\w`))
  })
})

describe('drift', () => {
  it('finds a field Cloudflare added and one it dropped: exit 1; in step: exit 0', async () => {
    const inStep = await cli(['drift', '--zone', DRIFT_ZONE, '--datasets', 'dns_logs,http_requests'])
    expect(inStep.code).toBe(0)
    expect(inStep.stdout).toContain(`dns_logs (zone ${DRIFT_ZONE}): in step with its schema\n`)

    const live = fake.fieldsOf('zone', 'dns_logs')
    fake.setFields('zone', 'dns_logs', [...live.filter((f) => f !== 'EDNSSubnet'), 'ResolverLatencyMs'])
    try {
      const r = await cli(['drift', '--zone', DRIFT_ZONE, '--datasets', 'dns_logs,http_requests'])
      expect(r.code).toBe(1)
      expect(r.stdout).toContain(
        `dns_logs (zone ${DRIFT_ZONE}): drift\n  Cloudflare lists, the schema lacks: ResolverLatencyMs\n  the schema has, Cloudflare no longer lists: EDNSSubnet\nhttp_requests (zone ${DRIFT_ZONE}): in step with its schema\n`,
      )
      const { report } = await cliJson(['drift', '--zone', DRIFT_ZONE, '--datasets', 'dns_logs'])
      expect(report.datasets).toEqual([
        {
          dataset: 'dns_logs',
          checked: [{ kind: 'zone', id: DRIFT_ZONE }],
          missingFromSchema: [{ field: 'ResolverLatencyMs', scopes: [`zone ${DRIFT_ZONE}`] }],
          noLongerListed: ['EDNSSubnet'],
          failures: [],
        },
      ])
    } finally {
      fake.setFields('zone', 'dns_logs', live)
    }
  })

  it('a dataset whose zone and account jobs have different fields: judged on both lists together', async () => {
    const schema = MANIFEST.datasets.websocket_analytics!.fields.map((f) => f.name)
    const zoneFields = schema.filter((f) => /^[A-Z]/.test(f))
    const accountFields = schema.filter((f) => /^[a-z]/.test(f))
    fake.setFields('zone', 'websocket_analytics', zoneFields)
    fake.setFields('account', 'websocket_analytics', accountFields)

    const both = await cli(['drift', '--zone', DRIFT_ZONE, '--account', DRIFT_ACCOUNT, '--datasets', 'websocket_analytics'])
    expect(both.code).toBe(0)
    expect(both.stdout).toContain(`websocket_analytics (zone ${DRIFT_ZONE}, account ${DRIFT_ACCOUNT}): in step with its schema\n`)

    const zoneOnly = await cli(['drift', '--zone', DRIFT_ZONE, '--datasets', 'websocket_analytics'])
    expect(zoneOnly.code).toBe(0)
    expect(zoneOnly.stdout).toContain(
      `  not checked for fields no longer listed: its schema also covers account-level jobs, whose fields differ: pass --account too to find fields Cloudflare no longer lists\n`,
    )
  })
})
