import { Hono } from 'hono'
import { statsRoutes } from './routes/stats'
import { statusPage } from './routes/status-page'

const app = new Hono<{ Bindings: Env }>()
app.get('/healthz', (c) => c.json({ ok: true }))
app.route('/stats', statsRoutes)
app.route('/', statusPage)

export default app
export { DatasetCounters } from './counters/dataset-counters'
