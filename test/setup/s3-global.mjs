// Vitest globalSetup: one local S3 server (s3rver, in a temp directory) for the whole run,
// and the fault proxy in front of it. Their URLs reach vitest.config.ts through provide().
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startS3Server } from '../../scripts/s3-server.mjs'
import { startFaultProxy } from './fault-proxy.mjs'
import { freePort } from '../../scripts/free-port.mjs'

const HOST = '127.0.0.1'

/** @param {import('vitest/node').TestProject} project */
export default async function setup(project) {
  const directory = await mkdtemp(path.join(tmpdir(), 'logpush-edge-s3-'))
  const s3 = await startS3Server({ host: HOST, port: await freePort(), directory, silent: true })
  const proxy = await startFaultProxy({ host: HOST, port: await freePort(), target: s3.url }).catch(async (err) => {
    await s3.close()
    throw err
  })
  project.provide('s3Url', s3.url)
  project.provide('faultProxyUrl', proxy.url)
  return async () => {
    await proxy.close()
    await s3.close()
    await rm(directory, { recursive: true, force: true })
  }
}
