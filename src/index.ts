import { Hono } from 'hono'
import { statsRoutes } from './routes/stats'

const app = new Hono<{ Bindings: Env }>()
app.get('/healthz', (c) => c.json({ ok: true }))
app.route('/stats', statsRoutes)

export default app
export { DatasetCounters } from './counters/dataset-counters'
