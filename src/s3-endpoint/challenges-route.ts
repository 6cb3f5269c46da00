import { Hono } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { readConfig } from '../config'
import type { ChallengeStore } from './challenges'
import { timingSafeEqual } from '../utils/timing-safe-equal'

const UNAUTHORIZED = { error: 'unauthorized', detail: 'send Authorization: Bearer <INGEST_TOKEN>' }
const MALFORMED = { error: 'bad_request', detail: 'the Authorization header must be "Bearer <token>"' }

export interface OwnershipChallengesDeps {
  challenges: (env: Env) => ChallengeStore
}

/**
 * `GET /ownership-challenges`: the ownership-challenge tokens written through the S3 endpoint,
 * newest first, for the user to paste back into Cloudflare. Bearer INGEST_TOKEN.
 * @example app.route('/ownership-challenges', ownershipChallenges({ challenges }))
 */
export function ownershipChallenges(deps: OwnershipChallengesDeps): Hono<{ Bindings: Env }> {
  if (typeof deps?.challenges !== 'function') throw new Error('ownershipChallenges: challenges is required')
  const app = new Hono<{ Bindings: Env }>()
  app.use(
    '*',
    bearerAuth<{ Bindings: Env }>({
      verifyToken: (token, c) => timingSafeEqual(token, readConfig(c.env).INGEST_TOKEN),
      noAuthenticationHeader: { message: UNAUTHORIZED },
      invalidToken: { message: UNAUTHORIZED },
      invalidAuthenticationHeader: { message: MALFORMED },
    }),
  )
  app.get('/', async (c) => c.json({ challenges: await deps.challenges(c.env).list() }))
  return app
}
