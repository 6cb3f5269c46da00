import { Hono } from 'hono'
import { countersFor, readOverview } from '../counters/client'
import { knownDatasets, schemas } from '../schema/registry'
import { bearerTokenAuth, statsTokens } from '../middleware/token-auth'

/**
 * `GET /stats`: every dataset's totals, from the summary object in one call. `GET
 * /stats/:dataset`: one dataset's totals and hourly series (7 days, hours without activity
 * omitted), from the dataset's own object. Times are ms epoch.
 * @example app.route('/stats', statsRoutes)
 */
export const statsRoutes = new Hono<{ Bindings: Env }>()
  .use('*', bearerTokenAuth(statsTokens, 'send Authorization: Bearer <token> with the stats token (STATS_TOKEN) or the ingest token'))
  .get('/', async (c) => {
    const datasets = (await readOverview(c.env, knownDatasets())).map((d) => d.stats)
    return c.json({ generatedAt: Date.now(), datasets })
  })
  .get('/:dataset', async (c) => {
    const name = c.req.param('dataset')
    if (!schemas().has(name)) {
      return c.json({ error: 'unknown_dataset', detail: `no dataset "${name.slice(0, 100)}"; known: ${knownDatasets().join(', ')}` }, 404)
    }
    const counters = countersFor(c.env, name)
    const [stats, series] = await Promise.all([counters.stats(), counters.series()])
    return c.json({ generatedAt: Date.now(), ...stats, series })
  })
