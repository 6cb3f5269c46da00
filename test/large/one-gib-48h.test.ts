// Issue 18's hardest realistic shape: the largest batch Logpush sends (~1 GiB decompressed, the
// bench's http_requests generator) with its events spread over 48 hours, through the real stack
// (workerd from wrangler.toml, s3rver), read back through the S3 API as a client of the bucket
// would. Too heavy for `npm test`: it runs as `npm run test:large` (its own vitest project).
import { createReadStream, statSync } from 'node:fs'
import { request } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureDataset } from '../../bench/generate.mjs'
import type { BatchResult } from '../../src/ingest/batch'
import { INGEST_TOKEN, OUTPUT_BUCKET, S3_PREFIX, type Stack, startStack } from '../e2e-node/harness'

const SPAN_HOURS = 48
const LOGS_PREFIX = `${S3_PREFIX}logs/cloudflare_httprequest/`
const OBJECT_KEY = /\/year=(\d{4})\/month=(\d\d)\/day=(\d\d)\/hour=(\d\d)\/([0-9a-f]+)(?:-([1-9]\d*))?\.json\.gz$/
// Enough to show what went wrong without printing hundreds of thousands of lines.
const MAX_PROBLEMS = 20

type Ack = Pick<BatchResult, 'batchId' | 'events' | 'written' | 'quarantined' | 'objects' | 'keys' | 'duplicate'>

interface Stored {
  key: string
  size: number
}

let stack: Stack
let batch: { file: string; lines: number; bytes: number; compressedBytes: number }
let first: { ack: Ack; stored: Stored[] } | undefined

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

beforeAll(async () => {
  let started = performance.now()
  let generated = false
  batch = await ensureDataset('http_requests', '1070MB', () => (generated = true), { spanHours: SPAN_HOURS })
  console.log(
    `1 GiB batch: ${batch.lines} lines, ${mb(batch.bytes)} -> ${mb(batch.compressedBytes)} gzip, ${generated ? `generated in ${seconds(started)}` : 'cached in bench/out/'}`,
  )
  started = performance.now()
  stack = await startStack()
  console.log(`stack started in ${seconds(started)}`)
})

afterEach((context) => {
  if (context.task.result?.state === 'fail') console.error(`worker log:\n${stack?.logs().slice(-20).join('\n')}`)
})

afterAll(async () => {
  await stack?.close()
})

/** The batch file to the Logpush route as Logpush sends it: streamed, with its Content-Length. */
function postBatch(file: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = {
      Authorization: `Bearer ${INGEST_TOKEN}`,
      'Content-Type': 'application/x-ndjson',
      'Content-Encoding': 'gzip',
      'Content-Length': String(statSync(file).size),
    }
    const req = request(new URL('/logpush/http_requests', stack.workerUrl), { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    pipeline(createReadStream(file), req, (err) => err && reject(err))
  })
}

/** Every object under `prefix` with its size, by key. */
async function listObjects(prefix: string): Promise<Stored[]> {
  const stored: Stored[] = []
  let ContinuationToken: string | undefined
  do {
    const page = await stack.store.send(new ListObjectsV2Command({ Bucket: OUTPUT_BUCKET, Prefix: prefix, ContinuationToken }))
    for (const item of page.Contents ?? []) stored.push({ key: item.Key!, size: item.Size! })
    ContinuationToken = page.NextContinuationToken
  } while (ContinuationToken)
  return stored.sort((a, b) => (a.key < b.key ? -1 : 1))
}

async function objectBody(key: string): Promise<Readable> {
  const { Body } = await stack.store.send(new GetObjectCommand({ Bucket: OUTPUT_BUCKET, Key: key }))
  if (!(Body instanceof Readable)) throw new Error(`GetObject ${key}: the body is not a Node stream`)
  return Body
}

/** The non-empty lines of a gzip stream (every member of it), one at a time. */
async function* gzipLines(source: Readable): AsyncGenerator<string> {
  // An error of either stream destroys the other, so it surfaces in the loop below.
  const text = pipeline(source, createGunzip(), () => undefined)
  text.setEncoding('utf8')
  let rest = ''
  for await (const chunk of text as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()!
    for (const line of lines) if (line !== '') yield line
  }
  if (rest !== '') yield rest
}

/** A unixnano timestamp (its digits, exact) as the output writes it: `YYYY-MM-DD HH:MM:SS.fffffffff` UTC. */
function outputTime(unixnano: string): string {
  const iso = new Date(Number(unixnano.slice(0, -9)) * 1000).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${unixnano.slice(-9)}`
}

/**
 * The input's events: RayID -> the event time of each event with that RayID (the multiset the
 * output must equal), and the hours they fall in (`YYYY-MM-DD HH`).
 */
async function inputEvents(file: string): Promise<{ times: Map<string, string[]>; hours: Set<string> }> {
  const times = new Map<string, string[]>()
  const hours = new Set<string>()
  for await (const line of gzipLines(createReadStream(file))) {
    const { RayID } = JSON.parse(line) as { RayID: string }
    // The digits themselves: a JSON number this large is rounded, and an hour's edge with it.
    const time = outputTime(/"EdgeStartTimestamp":(\d+)/.exec(line)![1]!)
    hours.add(time.slice(0, 13))
    const same = times.get(RayID)
    if (same) same.push(time)
    else times.set(RayID, [time])
  }
  return { times, hours }
}

describe('a 1 GiB batch over 48 hours through POST /logpush/http_requests', () => {
  it('answers 200 once every event is stored, each exactly once, in its hour', async () => {
    let started = performance.now()
    const res = await postBatch(batch.file)
    console.log(`POST: ${res.status} in ${seconds(started)}`)
    expect(res.status, res.text.slice(0, 500)).toBe(200)
    const ack = JSON.parse(res.text) as Ack
    expect(ack).toMatchObject({ events: batch.lines, written: batch.lines, quarantined: 0, duplicate: false })
    expect(ack.objects).toBe(ack.keys.length)

    // No quarantine object, no staged body left: everything under the prefix is the batch's events.
    const stored = await listObjects(S3_PREFIX)
    expect(stored.map((o) => o.key)).toEqual(ack.keys)
    expect(stored.filter((o) => !o.key.startsWith(LOGS_PREFIX) || !o.key.includes(ack.batchId))).toEqual([])

    started = performance.now()
    const { times: expected, hours } = await inputEvents(batch.file)
    console.log(`input read in ${seconds(started)}`)
    started = performance.now()
    const problems: string[] = []
    const problem = (text: string) => problems.length < MAX_PROBLEMS && problems.push(text)
    const rowIds = new Set<string>()
    const rowId = new RegExp(`^${ack.batchId.slice(0, 24)}[0-9a-f]{8}$`)
    const byHour = new Map<string, number[]>()
    let lines = 0
    let suffixed = 0
    for (const { key } of stored) {
      const [, year, month, day, hour, batchId, n] = OBJECT_KEY.exec(key) ?? []
      if (batchId !== ack.batchId) throw new Error(`${key} is not named as the layout says`)
      const folder = `${year}-${month}-${day} ${hour}`
      byHour.set(folder, [...(byHour.get(folder) ?? []), Number(n ?? 0)])
      if (n !== undefined) suffixed++
      let line = 0
      for await (const text of gzipLines(await objectBody(key))) {
        lines++
        line++
        const event = JSON.parse(text) as { RayID: string; EdgeStartTimestamp: string; p_event_time: string; p_row_id: string }
        const at = `${key} line ${line}`
        if (!event.p_event_time.startsWith(`${folder}:`)) problem(`${at}: p_event_time ${event.p_event_time} outside its folder`)
        if (event.EdgeStartTimestamp !== event.p_event_time)
          problem(`${at}: p_event_time ${event.p_event_time}, EdgeStartTimestamp ${event.EdgeStartTimestamp}`)
        if (!rowId.test(event.p_row_id)) problem(`${at}: p_row_id ${event.p_row_id}`)
        if (rowIds.has(event.p_row_id)) problem(`${at}: p_row_id ${event.p_row_id} twice`)
        rowIds.add(event.p_row_id)
        const times = expected.get(event.RayID)
        const i = times?.indexOf(event.p_event_time) ?? -1
        if (i < 0) {
          problem(`${at}: RayID ${event.RayID} at ${event.p_event_time} is not in the input, or was stored before`)
          continue
        }
        times!.splice(i, 1)
        if (times!.length === 0) expected.delete(event.RayID)
      }
    }
    const bytes = stored.reduce((sum, o) => sum + o.size, 0)
    console.log(
      `read back ${stored.length} objects (${mb(bytes)} gzip, ${lines} lines) in ${seconds(started)}: ${byHour.size} hours, ${suffixed} objects with a -<n> suffix`,
    )
    expect(problems).toEqual([])
    expect(lines).toBe(batch.lines)
    expect([...expected.keys()].slice(0, MAX_PROBLEMS), 'input RayIDs never stored').toEqual([])

    // One folder per hour the input's events fall in. The generator spreads its estimate of the
    // line count over the span and writes a few more lines than it estimated for a byte target,
    // so the events run a little past 48 hours: 48 to 50 hours.
    expect(hours.size).toBeGreaterThanOrEqual(SPAN_HOURS)
    expect(hours.size).toBeLessThanOrEqual(SPAN_HOURS + 2)
    expect([...byHour.keys()].sort()).toEqual([...hours].sort())
    for (const [folder, ns] of byHour)
      expect(
        ns.sort((a, b) => a - b),
        `${folder}: -<n> from 1 without a gap`,
      ).toEqual(ns.map((_, i) => i))
    // An hour goes on in a `-<n>` object only if its object is stored while the hour still takes
    // events: as the open object holding most, once they all hold more than the budget
    // (partitioned-output.ts). Each counts at most two parts, so a finished hour of this size
    // counts as much as the one being written, and ties go to the earlier hour: a batch in time
    // order splits no hour.
    expect(suffixed, 'objects with a -<n> suffix').toBe(0)
    expect(stored.length).toBe(byHour.size)
    first = { ack, stored }
  })

  it('posted again, is a duplicate and writes no new object', async () => {
    expect(first, 'the first post succeeded').toBeDefined()
    const started = performance.now()
    const res = await postBatch(batch.file)
    console.log(`second POST: ${res.status} in ${seconds(started)}`)
    expect(res.status, res.text.slice(0, 500)).toBe(200)
    const ack = JSON.parse(res.text) as Ack
    expect(ack).toMatchObject({ batchId: first!.ack.batchId, events: batch.lines, written: batch.lines, quarantined: 0, duplicate: true })
    expect(ack.keys).toEqual(first!.ack.keys)
    expect((await listObjects(S3_PREFIX)).map((o) => o.key)).toEqual(first!.stored.map((o) => o.key))
  })
})
