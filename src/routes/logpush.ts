import { Hono } from 'hono'
import type { MiddlewareHandler } from 'hono'
import { bearerTokenAuth, ingestTokens } from '../middleware/token-auth'
import { errorCode, jsonError } from './errors'
import { BatchLog } from '../ingest/batch-log'
import { ingestAndCount } from '../ingest/count'

type AppEnv = { Bindings: Env; Variables: { batchLog: BatchLog } }

/**
 * `POST /logpush/:dataset`: the Logpush HTTP destination. Answers 200 only once every object of
 * the batch is stored, so a 2xx always means durable. Every POST writes its batch's log lines,
 * refused ones (401, 404, 413...) included.
 * @example app.route('/logpush', logpushRoutes())
 */
export function logpushRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  // Before auth, so that a sender with a wrong token shows in the log too.
  app.post('/:dataset', batchLogger())
  app.use('*', bearerTokenAuth(ingestTokens, 'send Authorization: Bearer <INGEST_TOKEN> (destination URL parameter header_Authorization=Bearer%20<token>)'))

  app.post('/:dataset', async (c) => {
    const receivedAt = Date.now()
    const dataset = c.req.param('dataset')
    // A declared length over the cap is refused before reading a byte; chunked bodies are counted as they stream.
    const declared = c.req.header('content-length')
    const contentLength = declared === undefined ? undefined : Number(declared)
    const body = c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })
    const result = await ingestAndCount(c.env, { dataset, body, receivedAt, contentLength, log: c.get('batchLog') })
    if (result.validation) return c.json({ validation: true })
    const { batchId, logType, events, written, quarantined, objects, keys, duplicate } = result
    return c.json({ batchId, dataset, logType, events, written, quarantined, objects, keys, duplicate })
  })

  app.all('/:dataset', () => {
    throw jsonError(405, 'method_not_allowed', 'use POST with a gzip or plain NDJSON body', undefined, { Allow: 'POST' })
  })

  return app
}

/** The request's BatchLog, written once the answer (the error boundary's, for a failure) is known. */
function batchLogger(): MiddlewareHandler<AppEnv> {
  return async function batchLogger(c, next) {
    const log = new BatchLog('logpush', c.env, c.req.raw)
    log.dataset = c.req.param('dataset') ?? null
    c.set('batchLog', log)
    await next()
    const { status } = c.res
    log.end(status, status >= 400 ? { code: errorCode(c.error, status), cause: c.error } : undefined)
  }
}
