import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import app from '../../src/index'
import type { BatchResult } from '../../src/ingest/batch'
import { settleEach } from '../../src/utils/settle-each'
import { bucket, keysOfBatch, stores } from '../helpers/bucket'
import { gunzip } from '../helpers/streams'
import { uniquePrefix } from '../storage/helpers'
import { type CorpusCase, corpus, type Refused, type Stored } from './cases'

const TOKEN = 'dev-token'
const HOUR_KEY = /\/year=(\d{4})\/month=(\d\d)\/day=(\d\d)\/hour=(\d\d)\//

type Ack = Pick<BatchResult, 'batchId' | 'events' | 'written' | 'quarantined' | 'objects' | 'keys' | 'duplicate'>

/**
 * Through the deployed entry (SELF) unless the case changes settings, then through the same app
 * with them. A case that must store nothing, or stores thousands of objects, gets an S3_PREFIX of its own.
 */
function post(c: CorpusCase, body: Uint8Array, prefix?: string): Promise<Response> {
  const init = { method: 'POST', body, headers: { ...c.headers, Authorization: `Bearer ${TOKEN}` } }
  const url = `http://worker/logpush/${c.dataset ?? 'http_requests'}`
  if (!c.env && prefix === undefined) return SELF.fetch(url, init)
  return Promise.resolve(app.fetch(new Request(url, init), { ...env, ...c.env, ...(prefix === undefined ? {} : { S3_PREFIX: prefix }) }))
}

/** Nothing of the batch in the bucket: no logs/, quarantine/ or staging/ object under its prefix. */
async function expectNothingStored(prefix: string): Promise<void> {
  expect(await bucket.listKeys(prefix), `objects under ${prefix}`).toEqual([])
}

/** The lines of a stored object as text (JSON.parse would round the digits some cases check). */
async function objectLines(key: string): Promise<string[]> {
  const res = await bucket.getObject(key)
  if (!res) throw new Error(`no object ${key}`)
  const text = new TextDecoder().decode(await gunzip(new Uint8Array(await res.arrayBuffer())))
  return text.split('\n').filter((l) => l !== '')
}

/** A stored event, with `__raw` holding every top-level number as its source text. */
function parseEvent(text: string): Record<string, unknown> {
  const event = JSON.parse(text) as Record<string, unknown>
  let raw: Record<string, unknown> = {}
  try {
    raw = JSON.parse(text, (_k, v, ctx: JSONReviverContext) => (typeof v === 'number' ? ctx.source : v)) as Record<string, unknown>
  } catch (err) {
    // A reviver recurses: the deeply nested cases are stored as they came, beyond its reach.
    if (!(err instanceof RangeError)) throw err
  }
  return { ...event, __raw: raw }
}

function expectRefused(answer: Refused, status: number, text: string): void {
  expect(status).toBe(answer.status)
  const body = JSON.parse(text) as { error: string; detail: string }
  expect(Object.keys(body).sort()).toEqual(['detail', 'error'])
  expect(body.error).toBe(answer.error)
  if (answer.detail) expect(body.detail).toMatch(answer.detail)
  expect(text).not.toContain(TOKEN)
}

/** The acknowledgement, then what is in the bucket: every event written once, every bad line quarantined. */
async function expectStored(answer: Stored, ack: Ack, duplicate = false, prefix = ''): Promise<void> {
  expect(ack).toMatchObject({ events: answer.events, written: answer.written, quarantined: answer.quarantined, duplicate })
  expect(ack.events).toBe(ack.written + ack.quarantined)
  expect(ack.objects).toBe(ack.keys.length)
  expect(await keysOfBatch(ack.batchId, stores.s3, prefix)).toEqual(ack.keys)

  const events: Record<string, unknown>[] = []
  const quarantined: { reason: string; line: number; raw: string }[] = []
  // Read 16 at a time: the cases of thousands of objects would otherwise spend most of their time here.
  const read = await settleEach(ack.keys, 16, objectLines)
  for (const [i, key] of ack.keys.entries()) {
    const result = read[i]!
    if (result.status === 'rejected') throw result.reason
    const lines = result.value
    if (key.startsWith(`${prefix}quarantine/`)) {
      for (const l of lines) {
        const q = JSON.parse(l) as { reason: string; line: number; raw: string }
        expect(Object.keys(q)).toEqual(['reason', 'line', 'raw'])
        expect(typeof q.raw).toBe('string')
        quarantined.push(q)
      }
      continue
    }
    const [, y, mo, d, h] = HOUR_KEY.exec(key)!
    for (const l of lines) {
      const e = parseEvent(l)
      expect(e.p_event_time).toMatch(new RegExp(`^${y}-${mo}-${d} ${h}:\\d\\d:\\d\\d\\.\\d{9}$`))
      expect(e.p_row_id).toMatch(new RegExp(`^${ack.batchId.slice(0, 24)}[0-9a-f]{8}$`))
      events.push(e)
    }
  }
  expectObjectNames(answer, ack, prefix)
  // Conservation, read back from S3: events in = lines written + lines quarantined.
  expect(events.length).toBe(answer.written)
  expect(quarantined.length).toBe(answer.quarantined)
  expect(new Set(events.map((e) => e.p_row_id)).size).toBe(events.length)
  quarantined.sort((a, b) => a.line - b.line)
  if (answer.reasons) {
    expect(quarantined.length).toBe(answer.reasons.length)
    quarantined.forEach((q, i) => expect(q.reason, `quarantined line ${q.line}`).toMatch(answer.reasons![i]!))
  }
  answer.check?.(events)
}

/**
 * The batch's event objects as the layout names them: per hour `<batchId>.json.gz`, then, only
 * when the hour was written as several objects, `-1`, `-2`, … without a gap.
 */
function expectObjectNames(answer: Stored, ack: Ack, prefix: string): void {
  const name = new RegExp(`/hour=\\d\\d/${ack.batchId}(?:-([1-9]\\d*))?\\.json\\.gz$`)
  const byHour = new Map<string, number[]>()
  const logs = ack.keys.filter((k) => k.startsWith(`${prefix}logs/`))
  for (const key of logs) {
    const m = name.exec(key)
    if (!m) throw new Error(`${key} is not named as the layout says`)
    const hour = key.slice(0, key.lastIndexOf('/'))
    byHour.set(hour, [...(byHour.get(hour) ?? []), Number(m[1] ?? 0)])
  }
  for (const [hour, ns] of byHour)
    expect(
      ns.sort((a, b) => a - b),
      hour,
    ).toEqual(ns.map((_, i) => i))
  if (answer.objects !== undefined) expect(logs.length).toBe(answer.objects)
  if (answer.split !== undefined) expect(logs.length > byHour.size).toBe(answer.split)
}

/**
 * Every object of the batch, key by key, as its lines without p_parse_time: the time a request
 * came in is the one thing a retry of the same batch writes differently.
 */
async function storedLines(keys: string[]): Promise<Record<string, string[]>> {
  const stored: Record<string, string[]> = {}
  for (const key of keys) stored[key] = (await objectLines(key)).map((l) => l.replace(/"p_parse_time":"[^"]*"/, ''))
  return stored
}

describe('the hostile-input corpus through POST /logpush/:dataset', () => {
  for (const c of corpus) {
    it(c.name, async () => {
      // A refusal and the destination check store nothing: the case's own prefix shows it.
      const prefix = 'events' in c.answer && !c.ownPrefix ? undefined : uniquePrefix('corpus')
      const res = await post(c, await c.body(), prefix)
      const text = await res.text()
      if (res.status !== c.answer.status) throw new Error(`status ${res.status}, want ${c.answer.status}: ${text.slice(0, 500)}`)
      if ('error' in c.answer) {
        expectRefused(c.answer, res.status, text)
        return expectNothingStored(prefix!)
      }
      if ('validation' in c.answer) {
        expect(JSON.parse(text)).toEqual({ validation: true })
        return expectNothingStored(prefix!)
      }
      const ack = JSON.parse(text) as Ack
      await expectStored(c.answer, ack, false, prefix)
      if (!c.answer.retried) return
      // Logpush retries a batch whose answer it did not get: the same keys, each object with the
      // same lines (so nothing of the first attempt is left beside the second).
      const first = await storedLines(ack.keys)
      const again = await post(c, await c.body(), prefix)
      expect(again.status).toBe(200)
      const retried = (await again.json()) as Ack
      expect(retried.keys).toEqual(ack.keys)
      // Stored again, and counted once: the counters know the batch id.
      await expectStored(c.answer, retried, true, prefix)
      const second = await storedLines(retried.keys)
      for (const key of ack.keys) expect(second[key], key).toEqual(first[key])
    }, 120_000)
  }
})
