import type { Context, MiddlewareHandler } from 'hono'
import { basicAuth } from 'hono/basic-auth'
import { bearerAuth } from 'hono/bearer-auth'
import { timingSafeEqual } from 'hono/utils/buffer'
import { readConfig } from '../../config'

const REALM = 'logpush-edge'
const BEARER_DETAIL = 'send Authorization: Bearer <token> with the stats token (STATS_TOKEN) or the ingest token'
const BASIC_DETAIL = 'sign in with any user name and the stats token (or the ingest token) as the password'

/**
 * True when `candidate` is STATS_TOKEN or INGEST_TOKEN, compared in constant time.
 * @example if (await isStatsToken(token, c.env)) ...
 */
export async function isStatsToken(candidate: string, env: object): Promise<boolean> {
  const { INGEST_TOKEN, STATS_TOKEN } = readConfig(env)
  const tokens = STATS_TOKEN ? [STATS_TOKEN, INGEST_TOKEN] : [INGEST_TOKEN]
  // Every token is compared, with no early exit, so timing does not tell which one matched.
  const matches = await Promise.all(tokens.map((token) => timingSafeEqual(token, candidate)))
  return matches.includes(true)
}

const unauthorized = (detail: string) => (c: Context) => c.json({ error: 'unauthorized', detail }, 401)

/**
 * Bearer auth for the JSON stats API: 401 with a JSON `{error, detail}` body for a missing,
 * malformed or wrong token.
 * @example app.use('*', statsBearerAuth())
 */
export function statsBearerAuth(): MiddlewareHandler<{ Bindings: Env }> {
  const answer = { message: unauthorized(BEARER_DETAIL) }
  return bearerAuth({
    realm: REALM,
    verifyToken: (token, c) => isStatsToken(token, c.env),
    noAuthenticationHeader: answer,
    // Hono answers 400 for a header that is not `Bearer <token68>`; the contract says 401
    // for anything but a valid bearer token, and the Response message sets the status.
    invalidAuthenticationHeader: answer,
    invalidToken: answer,
  })
}

/**
 * HTTP Basic auth for pages a browser opens: any user name, the token as the password.
 * A 401 carries `WWW-Authenticate: Basic realm="logpush-edge"` so the browser asks for it.
 * @example app.get('/', statsBasicAuth(), handler)
 */
export function statsBasicAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return basicAuth({
    realm: REALM,
    verifyUser: (_user, password, c) => isStatsToken(password, c.env),
    invalidUserMessage: { error: 'unauthorized', detail: BASIC_DETAIL },
  })
}
