import { Hono } from 'hono'
import { type Config, readConfig } from '../config'
import { readOverview } from '../counters/client'
import { knownDatasets } from '../schema/registry'
import { basicTokenAuth, statsTokens } from '../middleware/token-auth'
import { StatusPage } from '../status/page'

// Counters change by the second and sit behind a password: no cache keeps them. The security
// headers, the page's CSP among them, come from the app (src/index.ts).
const PAGE_HEADERS = { 'Cache-Control': 'no-store' }
/** The store each SINK writes to, as the page names it. */
const SINK_NAMES: Record<Config['SINK'], string> = { s3: 'S3', r2: 'R2' }

/**
 * `GET /`: the status page, server-rendered from the summary object (one call per view): a card
 * per dataset with traffic in the last 48 h, the others in one folded list. Browsers sign in with
 * HTTP Basic (any user name, the stats or ingest token as the password).
 * @example app.route('/', statusPage)
 */
export const statusPage = new Hono<{ Bindings: Env }>().get(
  '/',
  basicTokenAuth(statsTokens, 'sign in with any user name and the stats token (or the ingest token) as the password'),
  async (c) => {
    const datasets = await readOverview(c.env, knownDatasets())
    return c.html(<StatusPage now={Date.now()} sink={SINK_NAMES[readConfig(c.env).SINK]} datasets={datasets} />, 200, PAGE_HEADERS)
  },
)
