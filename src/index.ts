import { Hono } from 'hono'
import { healthRoutes } from './routes/health'
import { onError } from './routes/errors'
import { logpushRoutes } from './routes/logpush'
import { statsRoutes } from './routes/stats'
import { statusPage } from './routes/status-page'
import { s3Stores } from './sink/s3-stores'

type AppEnv = { Bindings: Env }

const app = new Hono<AppEnv>()

app.route('/healthz', healthRoutes())
app.route('/logpush', logpushRoutes({ stores: s3Stores }))
app.route('/stats', statsRoutes)
app.route('/', statusPage)

app.notFound((c) => c.json({ error: 'not_found', detail: `no route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 128)}` }, 404))
app.onError(onError)

export default app
export { DatasetCounters } from './counters/dataset-counters'
