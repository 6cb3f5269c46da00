import { Hono } from 'hono'
import { countersFor } from '../counters/client'
import { DATASETS, isKnownDataset } from '../counters/datasets'
import { statsBearerAuth } from '../middleware/stats-auth'

/**
 * `GET /stats`: every dataset's totals. `GET /stats/:dataset`: one dataset's totals and
 * hourly series (7 days, hours without activity omitted). Times are ms epoch.
 * @example app.route('/stats', statsRoutes)
 */
export const statsRoutes = new Hono<{ Bindings: Env }>()
  .use('*', statsBearerAuth())
  .get('/', async (c) => {
    const datasets = await Promise.all(DATASETS.map((name) => countersFor(c.env, name).stats()))
    return c.json({ generatedAt: Date.now(), datasets })
  })
  .get('/:dataset', async (c) => {
    const name = c.req.param('dataset')
    if (!isKnownDataset(name)) {
      return c.json({ error: 'unknown_dataset', detail: `no dataset "${name.slice(0, 100)}"; known: ${DATASETS.join(', ')}` }, 404)
    }
    const counters = countersFor(c.env, name)
    const [stats, series] = await Promise.all([counters.stats(), counters.series()])
    return c.json({ generatedAt: Date.now(), ...stats, series })
  })
