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
      readConfig(c.env)
      return c.json({ ok: true, datasets: knownDatasets() })
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      return c.json({ ok: false, error: 'misconfigured', detail: err.problems }, 503)
    }
  })
  return app
}
