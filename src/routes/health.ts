import { Hono } from 'hono'
import { ConfigError, readConfig } from '../config'
import { knownDatasets } from '../schema/registry'

type AppEnv = { Bindings: Env }

/**
 * `GET /healthz`: liveness without auth. Says whether the configuration is usable and names bad
 * variables (never their values), so a misconfigured deploy is visible without crashing requests.
 */
export function healthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.get('/', (c) => {
    try {
      const config = readConfig(c.env)
      const warnings: string[] = []
      // The ingest token sits in every Logpush job's destination URL, where anyone who can read
      // the job (or its error log) sees it: the page and /stats deserve a token of their own.
      if (!config.STATS_TOKEN)
        warnings.push(
          'STATS_TOKEN is not set: the status page and /stats accept the ingest token, which every Logpush job URL carries; set a separate STATS_TOKEN with wrangler secret put',
        )
      return c.json(warnings.length ? { ok: true, datasets: knownDatasets(), warnings } : { ok: true, datasets: knownDatasets() })
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      return c.json({ ok: false, error: 'misconfigured', detail: err.problems }, 503)
    }
  })
  return app
}
