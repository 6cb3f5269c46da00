import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { readConfig } from './config'
import { healthRoutes } from './routes/health'
import { onError } from './routes/errors'
import { ingestAndCount } from './ingest/count'
import { logpushRoutes } from './routes/logpush'
import { ownershipChallenges } from './s3-endpoint/challenges-route'
import { s3Proxy, s3VirtualHost } from './s3-endpoint'
import { bucketChallengeStore } from './s3-endpoint/challenges'
import { objectStoreFrom } from './s3-endpoint/object-store'
import { statsRoutes } from './routes/stats'
import { statusPage } from './routes/status-page'
import { storageFor } from './storage'

type AppEnv = { Bindings: Env }

const bucket = (env: Env) => objectStoreFrom(storageFor(env, readConfig(env)).storage)
const challenges = (env: Env) => bucketChallengeStore(bucket(env), readConfig(env).S3_PREFIX)
const s3 = s3Proxy({ ingest: ingestAndCount, staging: bucket, challenges })

// Every answer (JSON, S3 XML, the status page) carries them. The CSP is the status page's, the only
// HTML: self-contained (inline CSS, inline SVG, no script), so it allows nothing else. HSTS is left
// to the zone's SSL/TLS settings: the Worker cannot know whether every subdomain serves HTTPS.
const securityHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
  strictTransportSecurity: false,
  xFrameOptions: 'DENY',
})

const app = new Hono<AppEnv>()

app.use('*', securityHeaders)
app.use('*', s3VirtualHost(s3))
app.route('/healthz', healthRoutes())
app.route('/logpush', logpushRoutes())
app.route('/s3', s3)
app.route('/ownership-challenges', ownershipChallenges({ challenges }))
app.route('/stats', statsRoutes)
app.route('/', statusPage)

app.notFound((c) => c.json({ error: 'not_found', detail: `no route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 128)}` }, 404))
app.onError(onError)

export default app
export { CountersSummary } from './counters/counters-summary'
export { DatasetCounters } from './counters/dataset-counters'
