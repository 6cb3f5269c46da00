import type { Context, MiddlewareHandler } from 'hono'
import { basicAuth } from 'hono/basic-auth'
import { bearerAuth } from 'hono/bearer-auth'
import { readConfig } from '../../config'
import { timingSafeEqual } from '../../utils/timing-safe-equal'

const REALM = 'logpush-edge'

/** The tokens a route accepts, read from the config per request (a rotated secret applies at once). */
export type TokenSource = (env: object) => string[]

/** Logpush's token: INGEST_TOKEN. */
export const ingestTokens: TokenSource = (env) => [readConfig(env).INGEST_TOKEN]

/** Readers of counters: STATS_TOKEN when set, and always INGEST_TOKEN. */
export const statsTokens: TokenSource = (env) => {
  const { INGEST_TOKEN, STATS_TOKEN } = readConfig(env)
  return STATS_TOKEN ? [STATS_TOKEN, INGEST_TOKEN] : [INGEST_TOKEN]
}

/**
 * True when `candidate` is one of `tokens`, compared in constant time.
 * @example if (await matchesToken(token, statsTokens(c.env))) ...
 */
export async function matchesToken(candidate: string, tokens: string[]): Promise<boolean> {
  // Every token is compared, with no early exit, so timing does not tell which one matched.
  const matches = await Promise.all(tokens.map((token) => timingSafeEqual(token, candidate)))
  return matches.includes(true)
}

const unauthorized = (detail: string) => (c: Context) => c.json({ error: 'unauthorized', detail }, 401)

/**
 * `Authorization: Bearer <token>`: 401 with a JSON `{error, detail}` body for a missing,
 * malformed or wrong token.
 * @example app.use('*', bearerTokenAuth(ingestTokens, 'send Authorization: Bearer <INGEST_TOKEN>'))
 */
export function bearerTokenAuth(tokens: TokenSource, detail: string): MiddlewareHandler<{ Bindings: Env }> {
  const answer = { message: unauthorized(detail) }
  return bearerAuth({
    realm: REALM,
    verifyToken: (token, c) => matchesToken(token, tokens(c.env)),
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
 * @example app.get('/', basicTokenAuth(statsTokens, 'sign in with the token as password'), handler)
 */
export function basicTokenAuth(tokens: TokenSource, detail: string): MiddlewareHandler<{ Bindings: Env }> {
  return basicAuth({
    realm: REALM,
    verifyUser: (_user, password, c) => matchesToken(password, tokens(c.env)),
    invalidUserMessage: { error: 'unauthorized', detail },
  })
}
