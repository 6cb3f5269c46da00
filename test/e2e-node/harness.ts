// Starts what a real deployment talks to: an S3-protocol server (s3rver, data in a temp folder)
// and the Worker from wrangler.toml and src/index.ts, on ports of their own, for Node-side clients.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import { createTestHarness } from 'wrangler'

export const OUTPUT_BUCKET = 'cloudflare-logs'
export const S3_PREFIX = 'edge/'
export const PROXY_KEY = { accessKeyId: 'logpush', secretAccessKey: 'logpush-secret' }
export const INGEST_TOKEN = 'dev-token'
const STORE_KEY = { accessKeyId: 'local', secretAccessKey: 'local-secret' }
const ROOT = resolve(import.meta.dirname, '../..')

export interface Stack {
  workerUrl: URL
  s3Url: string
  /** The S3 server's folder: the bucket's objects are files under `<directory>/<bucket>/`. */
  directory: string
  /** Reads what landed in the real bucket. */
  store: S3Client
  /** The Worker's console output since start, for a failing test to print. */
  logs(): string[]
  close(): Promise<void>
}

/** The stack, with Worker variables and secrets set over the local defaults (another INGEST_TOKEN, say). */
export async function startStack(vars: Record<string, string> = {}, secrets: Record<string, string> = {}): Promise<Stack> {
  const require = createRequire(import.meta.url)
  // s3rver knows only S3RVER/S3RVER until a key pair is added to its dummy account.
  const account = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } }
  account.DUMMY_ACCOUNT.createKeyPair(STORE_KEY.accessKeyId, STORE_KEY.secretAccessKey)
  const directory = mkdtempSync(join(tmpdir(), 'logpush-edge-s3-'))
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: OUTPUT_BUCKET, configs: [] }] })
  const { port } = (await s3rver.run()) as { port: number }
  const s3Url = `http://127.0.0.1:${port}`

  const harness = createTestHarness({
    root: ROOT,
    workers: [
      {
        configPath: './wrangler.toml',
        vars: { S3_ENDPOINT: s3Url, S3_REGION: 'us-east-1', S3_BUCKET: OUTPUT_BUCKET, S3_PREFIX, ...vars },
        secrets: {
          AWS_ACCESS_KEY_ID: STORE_KEY.accessKeyId,
          AWS_SECRET_ACCESS_KEY: STORE_KEY.secretAccessKey,
          INGEST_TOKEN,
          PROXY_ACCESS_KEY_ID: PROXY_KEY.accessKeyId,
          PROXY_SECRET_ACCESS_KEY: PROXY_KEY.secretAccessKey,
          ...secrets,
        },
      },
    ],
  })
  const { url: workerUrl } = await harness.listen()
  const store = new S3Client({ endpoint: s3Url, forcePathStyle: true, region: 'us-east-1', credentials: STORE_KEY })
  return {
    workerUrl,
    s3Url,
    directory,
    store,
    logs: () => harness.getLogs().map((log) => JSON.stringify(log)),
    async close() {
      store.destroy()
      await harness.close()
      await s3rver.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
