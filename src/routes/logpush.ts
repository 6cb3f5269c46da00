import { Hono } from 'hono'
import { readConfig } from '../config'
import { countFailure, countStoredBatch, countValidation } from '../counters/record'
import { type BatchStores, ingestBatch } from '../ingest'
import { bearerTokenAuth, ingestTokens } from '../middleware/token-auth'
import { knownDatasets, schemas } from '../schema/registry'
import { failureReason, jsonError } from './errors'

type AppEnv = { Bindings: Env }

/**
 * `POST /logpush/:dataset`: the Logpush HTTP destination. Answers 200 only once every object of
 * the batch is stored, so a 2xx always means durable.
 * @example app.route('/logpush', logpushRoutes({ stores: s3Stores }))
 */
export function logpushRoutes(deps: { stores: (config: ReturnType<typeof readConfig>) => BatchStores }): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.use('*', bearerTokenAuth(ingestTokens, 'send Authorization: Bearer <INGEST_TOKEN> (destination URL parameter header_Authorization=Bearer%20<token>)'))

  app.post('/:dataset', async (c) => {
    const receivedAt = Date.now()
    const config = readConfig(c.env)
    const dataset = c.req.param('dataset')
    if (!schemas().has(dataset)) {
      throw jsonError(404, 'unknown_dataset', `unknown dataset "${dataset.slice(0, 64)}"`, { datasets: knownDatasets() })
    }
    // A declared length over the cap is refused before reading a byte; chunked bodies are counted as they stream.
    const declared = Number(c.req.header('content-length') ?? '0')
    if (declared > config.MAX_BODY_BYTES) {
      throw jsonError(413, 'body_too_large', `body exceeds MAX_BODY_BYTES (${config.MAX_BODY_BYTES} bytes)`)
    }
    const body = c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })
    let result: Awaited<ReturnType<typeof ingestBatch>>
    try {
      result = await ingestBatch(config, deps.stores(config), { dataset, body, receivedAt })
    } catch (err) {
      await countFailure(c.env, dataset, failureReason(err))
      throw err
    }
    if ('validation' in result && result.validation) {
      await countValidation(c.env, dataset)
      return c.json({ validation: true })
    }
    const duplicate = await countStoredBatch(c.env, result, receivedAt)
    const { batchId, logType, events, written, quarantined, objects, keys } = result
    return c.json({ batchId, dataset, logType, events, written, quarantined, objects, keys, duplicate })
  })

  app.all('/:dataset', (c) => {
    throw jsonError(405, 'method_not_allowed', 'use POST with a gzip or plain NDJSON body', undefined, { Allow: 'POST' })
  })

  return app
}
