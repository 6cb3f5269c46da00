#!/usr/bin/env node
// Local S3-compatible server for `npm start` and the tests: s3rver 3.7 with the project's bucket
// and key pair, plus the one S3 call it lacks (AbortMultipartUpload) and S3's refusal of a PUT
// without Content-Length.
//
//   node scripts/s3-server.mjs [--host 127.0.0.1] [--port 9000] [--directory ./.data/s3]
//
// s3rver runs in a child process started with --openssl-legacy-provider: it makes ListObjectsV2
// continuation tokens with DES, which OpenSSL 3 (Node >= 17) refuses, so without the flag every
// truncated listing answers 500.
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 9000
export const DEFAULT_DIRECTORY = './.data/s3'
export const BUCKET = 'cloudflare-logs'
export const ACCESS_KEY_ID = 'local'
export const SECRET_ACCESS_KEY = 'local-secret'

const SELF = fileURLToPath(import.meta.url)
const SERVE_FLAG = '--serve'
const READY_PREFIX = 's3-server ready '
const START_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 5_000
// s3rver keeps in-progress multipart uploads under <bucket>/._S3rver_uploads/<uploadId>/.
const UPLOADS_DIR = '._S3rver_uploads'
const UPLOAD_ID = /^[0-9a-f]{1,64}$/

/**
 * Starts the local S3 server (bucket `cloudflare-logs`, keys `local` / `local-secret`) and
 * resolves once it accepts requests. It does not verify SigV4 signatures, only the key id.
 *
 * @example
 * const s3 = await startS3Server({ port: 9100, directory: tmp, silent: true })
 * // s3.url === 'http://127.0.0.1:9100'
 * await s3.close()
 */
export async function startS3Server({ host = DEFAULT_HOST, port = DEFAULT_PORT, directory = DEFAULT_DIRECTORY, silent = false } = {}) {
  const args = ['--openssl-legacy-provider', SELF, SERVE_FLAG, '--host', host, '--port', String(port), '--directory', path.resolve(directory)]
  if (silent) args.push('--silent')
  // stdin stays open as a lifeline: the child exits when this process goes away.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)))

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`s3 server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS)
    const lines = createInterface({ input: child.stdout })
    const fail = (err) => {
      clearTimeout(timer)
      child.kill()
      reject(err)
    }
    child.once('error', fail)
    exited.then((status) => fail(new Error(`s3 server exited (${status}) before it was ready`)))
    lines.on('line', (line) => {
      if (line.startsWith(READY_PREFIX)) {
        clearTimeout(timer)
        resolve(line.slice(READY_PREFIX.length))
      } else if (!silent) {
        console.log(line)
      }
    })
  })

  let closing
  return {
    url,
    close() {
      closing ??= (async () => {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
        await exited
        clearTimeout(timer)
      })()
      return closing
    },
  }
}

// Runs s3rver in this process; only under --openssl-legacy-provider (see the top of the file).
async function serve({ host, port, directory, silent }) {
  const require = createRequire(import.meta.url)
  const S3rver = require('s3rver')
  // The same module instance that s3rver's authentication middleware reads its key registry from.
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account')
  DUMMY_ACCOUNT.createKeyPair(ACCESS_KEY_ID, SECRET_ACCESS_KEY)

  await fs.mkdir(directory, { recursive: true })
  const s3rver = new S3rver({
    silent,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  })
  await s3rver.configureBuckets()
  const s3rverHandler = s3rver.callback()

  const server = http.createServer((req, res) => {
    if (req.method === 'DELETE' && /[?&]uploadId=/.test(req.url ?? '')) {
      abortMultipartUpload(directory, req, res).catch((err) => {
        s3rver.logger.error('abort multipart upload failed: %s', err.message)
        sendError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.')
      })
      return
    }
    // S3 stores only what it can size up front; s3rver would take a chunked body too.
    if (req.method === 'PUT' && req.headers['content-length'] === undefined) {
      req.resume()
      return sendError(res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.')
    }
    s3rverHandler(req, res)
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  console.log(`${READY_PREFIX}http://${host}:${server.address().port}`)

  const stop = () => {
    server.close(() => process.exit(0))
    // Workers and undici keep connections alive; without this close() waits for them.
    server.closeAllConnections()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  process.stdin.on('end', stop).resume()
}

// AbortMultipartUpload, which s3rver 3.7 answers with 405 MethodNotAllowed: drop the stored
// parts so that the upload can never complete, as S3 does.
async function abortMultipartUpload(root, req, res) {
  req.resume()
  const url = new URL(req.url, 'http://localhost')
  const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '')
  const uploadId = url.searchParams.get('uploadId') ?? ''
  if (!bucket || bucket.includes('..') || !(await isDirectory(path.join(root, bucket)))) {
    return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist')
  }
  const uploadDir = path.join(root, bucket, UPLOADS_DIR, uploadId)
  if (!UPLOAD_ID.test(uploadId) || !(await isDirectory(uploadDir))) {
    return sendError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.')
  }
  await fs.rm(uploadDir, { recursive: true, force: true })
  res.writeHead(204).end()
}

async function isDirectory(p) {
  try {
    return (await fs.stat(p)).isDirectory()
  } catch {
    return false
  }
}

function sendError(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`
  res.writeHead(status, { 'Content-Type': 'application/xml' }).end(body)
}

function parseArgs(argv) {
  const options = { host: DEFAULT_HOST, port: DEFAULT_PORT, directory: DEFAULT_DIRECTORY, silent: false }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === SERVE_FLAG) continue
    if (flag === '--silent') {
      options.silent = true
      continue
    }
    const value = argv[++i]
    if (value === undefined) throw new Error(`missing value for ${flag}`)
    if (flag === '--host') options.host = value
    else if (flag === '--port') options.port = Number(value)
    else if (flag === '--directory') options.directory = path.resolve(value)
    else throw new Error(`unknown option ${flag} (known: --host, --port, --directory, --silent)`)
  }
  return options
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  const options = parseArgs(process.argv.slice(2))
  if (process.argv.includes(SERVE_FLAG)) {
    await serve(options)
  } else {
    const server = await startS3Server(options)
    console.log(`s3: ${server.url}/${BUCKET} (keys ${ACCESS_KEY_ID} / ${SECRET_ACCESS_KEY})`)
    const stop = () => server.close().then(() => process.exit(0))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }
}
