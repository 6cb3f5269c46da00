import { Hono } from 'hono'
import { countersFor } from '../counters/client'
import { knownDatasets } from '../schema/registry'
import { basicTokenAuth, statsTokens } from '../middleware/token-auth'
import { StatusPage } from '../status/page'

// Counters change by the second and sit behind a password: no cache keeps them. The security
// headers, the page's CSP among them, come from the app (src/index.ts).
const PAGE_HEADERS = { 'Cache-Control': 'no-store' }

/**
 * `GET /`: the status page, server-rendered, one card per dataset. Browsers sign in with
 * HTTP Basic (any user name, the stats or ingest token as the password).
 * @example app.route('/', statusPage)
 */
export const statusPage = new Hono<{ Bindings: Env }>().get(
  '/',
  basicTokenAuth(statsTokens, 'sign in with any user name and the stats token (or the ingest token) as the password'),
  async (c) => {
    const datasets = await Promise.all(
      knownDatasets().map(async (name) => {
        const counters = countersFor(c.env, name)
        const [stats, series] = await Promise.all([counters.stats(), counters.series()])
        return { stats, series }
      }),
    )
    return c.html(<StatusPage now={Date.now()} datasets={datasets} />, 200, PAGE_HEADERS)
  },
)
