import { Hono } from 'hono'
import { readConfig } from './config'
import { ingestBatch } from './ingest'
import { ownershipChallenges } from './routes/ownership-challenges'
import { s3Proxy, s3VirtualHost } from './routes/s3'
import { bucketChallengeStore } from './routes/s3/challenges'
import { interimS3Client } from './routes/s3/interim-s3-client'
import { objectStoreFromClient } from './routes/s3/object-store'

// TODO(lead): swap interimS3Client for the sink's S3Client once it is merged.
const bucket = (env: Env) => objectStoreFromClient(interimS3Client(readConfig(env)))
const challenges = (env: Env) => bucketChallengeStore(bucket(env), readConfig(env).S3_PREFIX)
const s3 = s3Proxy({ ingest: ingestBatch, staging: bucket, challenges })

const app = new Hono<{ Bindings: Env }>()
app.use('*', s3VirtualHost(s3))
app.get('/healthz', (c) => c.json({ ok: true }))
app.route('/s3', s3)
app.route('/ownership-challenges', ownershipChallenges({ challenges }))

export default app
