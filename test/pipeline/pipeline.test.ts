import { describe, expect, it } from 'vitest'
import { BodyTooLargeError, NotNdjsonError, UndecodableBodyError } from '../../src/pipeline/errors'
import { MINIMAL, type Run, run } from '../helpers/pipeline'
import { bytes, concatBytes, gzip } from '../helpers/streams'

const ev = (extra: Record<string, unknown>) => JSON.stringify({ ...MINIMAL.http_requests, ...extra })

/** What a run produced, as one comparable value. */
function outcome(r: Run): string {
  const { gzip: _g, decompressedBytes: _d, ...counts } = r.counts
  return JSON.stringify({ counts, events: [...r.out.events], quarantined: r.out.quarantined })
}

// Multi-byte characters, a BOM, CRLF, blank and whitespace-only lines, a bad line, no final newline.
const BATCH =
  '\uFEFF' +
  [
    ev({ ClientRequestPath: '/café', ClientIP: '2001:DB8::1' }),
    '',
    '  \t ',
    ev({ ClientRequestUserAgent: '日本 🎉 ünïcödé', EdgeStartTimestamp: '2022-05-25T14:00:00.5Z' }),
    '{"EdgeStartTimestamp":"not a time","Note":"é"}',
    ev({ RayID: '710e98d9367f357d', Emoji: '👩‍👩‍👧' }),
  ].join('\r\n')

describe('splitting a batch into lines', () => {
  it('gives the same output wherever the chunks are cut', async () => {
    const data = bytes(BATCH)
    const whole = await run('http_requests', data)
    expect(whole.counts).toMatchObject({ events: 4, written: 3, quarantined: 1 })
    expect(whole.reasons).toEqual([
      { reason: 'EdgeStartTimestamp: expected timestamp, got "not a time"', line: 5, raw: '{"EdgeStartTimestamp":"not a time","Note":"é"}' },
    ])
    expect(whole.events.map((e) => e.ClientRequestUserAgent ?? e.ClientRequestPath ?? e.Emoji).sort()).toEqual(['/café', '日本 🎉 ünïcödé', '👩‍👩‍👧'].sort())
    const want = outcome(whole)
    for (let cut = 1; cut < data.byteLength; cut++) expect(outcome(await run('http_requests', data, { cuts: [cut] })), `cut at ${cut}`).toBe(want)
    expect(outcome(await run('http_requests', data, { cuts: Array.from({ length: data.byteLength }, (_, i) => i) })), 'one byte per chunk').toBe(want)
  })

  it('gives the same output for every pair of cuts in a tiny batch', async () => {
    const data = bytes(`{"EdgeStartTimestamp":1,"X":"é🎉"}\r\n\n{"EdgeStartTimestamp":2}`)
    const want = outcome(await run('http_requests', data))
    for (let a = 1; a < data.byteLength; a++) {
      for (let b = a + 1; b < data.byteLength; b++) expect(outcome(await run('http_requests', data, { cuts: [a, b] })), `cuts at ${a}, ${b}`).toBe(want)
    }
  })

  it('counts blank lines in line numbers but not as events', async () => {
    const r = await run('http_requests', `\n\n${ev({})}\n \n\t\n{}\n\n`)
    expect(r.counts).toMatchObject({ events: 2, written: 1, quarantined: 1 })
    expect(r.reasons[0]).toMatchObject({ line: 6, reason: 'EdgeStartTimestamp: required field is missing' })
  })

  it('reads a body with nothing in it, or only blank lines, as an empty batch', async () => {
    for (const body of ['', '\n', '\r\n\r\n', '  \n\t\n', '\uFEFF']) {
      const r = await run('http_requests', body)
      expect(r.counts, JSON.stringify(body)).toMatchObject({ events: 0, written: 0, quarantined: 0, validation: false })
    }
  })

  it('keeps a BOM only at the start of the body out', async () => {
    const r = await run('http_requests', `\uFEFF${ev({})}\n\uFEFF${ev({})}\n`)
    expect(r.counts.written).toBe(1)
    expect(r.reasons[0]!.reason).toMatch(/^not valid JSON/)
  })

  it('rejects invalid UTF-8 as undecodable, plain or gzip, wherever it is cut', async () => {
    const good = bytes(`${ev({})}\n`)
    for (const bad of [[0xff], [0xc3], [0xe6, 0x97], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      const data = concatBytes(good, bytes('{"EdgeStartTimestamp":1,"X":"'), new Uint8Array(bad), bytes('"}\n'), good)
      for (const cut of [0, good.byteLength + 30, good.byteLength + 31]) {
        await expect(run('http_requests', data, { cuts: [cut] }), `${bad} cut at ${cut}`).rejects.toBeInstanceOf(UndecodableBodyError)
      }
      await expect(run('http_requests', data, { gzip: true })).rejects.toBeInstanceOf(UndecodableBodyError)
    }
  })

  it('names the line that holds the bad bytes, however the lines came in chunks (was: the first of the chunk)', async () => {
    const good = bytes(`${ev({})}\n`)
    const data = concatBytes(good, bytes('\n'), good, bytes('{"X":"'), new Uint8Array([0xe9]), bytes('"}\n'), good)
    for (const opts of [
      {},
      { gzip: true },
      { cuts: [good.byteLength] },
      { cuts: [good.byteLength * 2 + 3] },
      { cuts: Array.from({ length: data.byteLength }, (_, i) => i) },
    ]) {
      await expect(run('http_requests', data, opts), JSON.stringify(opts).slice(0, 40)).rejects.toThrow('body is not valid UTF-8 (near line 4)')
    }
  })
})

describe('gzip', () => {
  it('gives the same output as plain text', async () => {
    const plain = await run('http_requests', BATCH)
    const gz = await gzip(bytes(BATCH))
    for (const cuts of [[], [1], [2], [10, 11, 40], Array.from({ length: gz.byteLength }, (_, i) => i)]) {
      const r = await run('http_requests', gz, { cuts })
      expect(r.counts.gzip).toBe(true)
      expect(r.counts.decompressedBytes).toBe(bytes(BATCH).byteLength)
      expect(outcome(r)).toBe(outcome(plain))
    }
    expect(plain.counts.gzip).toBe(false)
  })

  it('reads every member of concatenated gzip streams, a member boundary inside a line', async () => {
    const text = `${ev({ A: 1 })}\n${ev({ B: 2 })}\n${ev({ C: 3 })}\n`
    const cut = text.indexOf('"B"')
    const body = concatBytes(await gzip(bytes(text.slice(0, cut))), await gzip(bytes(text.slice(cut))))
    const r = await run('http_requests', body)
    expect(outcome(r)).toBe(outcome(await run('http_requests', text)))
    expect(r.counts.written).toBe(3)
  })

  it('rejects a truncated gzip body as undecodable', async () => {
    const gz = await gzip(bytes(`${ev({})}\n`.repeat(20)))
    await expect(run('http_requests', gz.slice(0, gz.byteLength - 10))).rejects.toBeInstanceOf(UndecodableBodyError)
    await expect(run('http_requests', gz.slice(0, 15))).rejects.toBeInstanceOf(UndecodableBodyError)
  })

  it('stops a gzip bomb with BodyTooLargeError', async () => {
    const bomb = await gzip(new Uint8Array(50 * 1024 * 1024))
    const limits = { maxDecompressedBytes: 1024 * 1024, maxLineBytes: 1024 * 1024 }
    const err = await run('http_requests', bomb, { limits }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BodyTooLargeError)
    expect(err).toMatchObject({ limit: 'MAX_DECOMPRESSED_BYTES', maxBytes: 1024 * 1024 })
  })
})

describe('MAX_LINE_BYTES', () => {
  const limits = { maxDecompressedBytes: 64 * 1024 * 1024, maxLineBytes: 2048 }
  const long = ev({ ClientRequestUserAgent: `${'é'.repeat(2000)}🎉` })
  const longBytes = bytes(long).byteLength
  const body = [ev({ N: 1 }), long, ev({ N: 3 })].join('\n')

  it('quarantines an over-long line with its head only, and writes the lines around it', async () => {
    const r = await run('http_requests', body, { limits })
    expect(r.counts).toMatchObject({ events: 3, written: 2, quarantined: 1 })
    expect(r.events.map((e) => e.N)).toEqual([1, 3])
    const q = r.reasons[0]!
    expect(q.line).toBe(2)
    expect(q.reason).toBe(`line is ${longBytes} bytes, over MAX_LINE_BYTES (2048); raw holds its head`)
    expect(long.startsWith(q.raw)).toBe(true)
    expect(bytes(q.raw).byteLength).toBeLessThanOrEqual(1024)
    expect(bytes(q.raw).byteLength).toBeGreaterThan(1020)
  })

  it('gives the same output wherever the chunks are cut, with LF or CRLF', async () => {
    for (const text of [body, body.replaceAll('\n', '\r\n')]) {
      const data = bytes(text)
      const want = outcome(await run('http_requests', data, { limits }))
      for (let cut = 1; cut < data.byteLength; cut += 7) expect(outcome(await run('http_requests', data, { cuts: [cut], limits })), `cut at ${cut}`).toBe(want)
      for (const size of [1000, 4096]) {
        const cuts = Array.from({ length: Math.ceil(data.byteLength / size) }, (_, i) => i * size)
        expect(outcome(await run('http_requests', data, { cuts, limits })), `chunks of ${size}`).toBe(want)
      }
    }
  })

  it('counts the same line the same way whether it ends in LF, CRLF or the end of the body', async () => {
    // A line of exactly the cap, then one byte more.
    const at = (n: number) => `{"EdgeStartTimestamp":1,"Pad":"${'x'.repeat(n - 33)}"}`
    expect(bytes(at(2048)).byteLength).toBe(2048)
    for (const eol of ['\n', '\r\n']) {
      for (const cuts of [[], [100], [2040]]) {
        const r = await run('http_requests', `${at(2048)}${eol}${at(2049)}${eol}`, { limits, cuts })
        expect(r.counts, `${JSON.stringify(eol)} ${cuts}`).toMatchObject({ written: 1, quarantined: 1 })
        expect(r.reasons[0]!.reason).toMatch(/^line is 2049 bytes/)
      }
    }
  })

  it('rejects invalid UTF-8 inside an over-long line wherever the chunks are cut', async () => {
    const before = bytes(`${ev({})}\n{"X":"${'a'.repeat(3000)}`)
    for (const bad of [[0xff], [0xe6, 0x97]]) {
      const data = concatBytes(before, new Uint8Array(bad), bytes(`"}\n${ev({})}\n`))
      for (const cuts of [[], [100], [500, 2000], [before.byteLength], [before.byteLength + 1], [data.byteLength - 80]]) {
        await expect(run('http_requests', data, { limits, cuts }), `${bad} ${cuts}`).rejects.toBeInstanceOf(UndecodableBodyError)
      }
    }
  })

  it('quarantines an over-long whitespace line like any other, wherever the chunks are cut', async () => {
    const data = bytes(`${ev({})}\n${' '.repeat(3000)}\n${ev({})}`)
    for (const cuts of [[], [200], [200, 1000, 3000]]) {
      const r = await run('http_requests', data, { limits, cuts })
      expect(r.counts, `${cuts}`).toMatchObject({ events: 3, written: 2, quarantined: 1 })
      expect(r.reasons[0]).toMatchObject({ line: 2, reason: 'line is 3000 bytes, over MAX_LINE_BYTES (2048); raw holds its head', raw: ' '.repeat(1024) })
    }
  })

  it('quarantines an over-long first line and still writes the rest', async () => {
    const r = await run('http_requests', `${long}\n${ev({ N: 2 })}\n`, { limits })
    expect(r.counts).toMatchObject({ events: 2, written: 1, quarantined: 1 })
  })

  it('keeps a head of whole characters when the cap is smaller than the head', async () => {
    const small = { maxDecompressedBytes: 1 << 20, maxLineBytes: 100 }
    const line = `{"EdgeStartTimestamp":1,"X":"${'日'.repeat(200)}"}`
    for (const cuts of [[], [50], [110], [3, 60, 61, 62]]) {
      const r = await run('http_requests', `${line}\n${ev({})}`, { limits: small, cuts })
      expect(r.counts.written).toBe(1)
      const q = r.reasons[0]!
      expect(q.raw.includes('\uFFFD'), `cuts ${cuts}`).toBe(false)
      expect(line.startsWith(q.raw)).toBe(true)
    }
  })
})

describe('the body as a whole', () => {
  it('refuses CSV (a first line that is no JSON object) with NotNdjsonError', async () => {
    for (const body of [
      '2022-05-25T13:25:26Z,1.2.3.4,example.com\n2022-05-25T13:25:27Z,1.2.3.5,example.com\n',
      '\n\n"a","b"\n',
      'EdgeStartTimestamp,ClientIP\n1,2\n',
      '[{"EdgeStartTimestamp":1}]\n',
    ]) {
      await expect(run('http_requests', body), body).rejects.toBeInstanceOf(NotNdjsonError)
      await expect(run('http_requests', body, { gzip: true })).rejects.toBeInstanceOf(NotNdjsonError)
    }
    await expect(run('http_requests', 'a,b\n')).rejects.toThrow(/NDJSON is required/)
  })

  it('quarantines a broken first line that is still an object', async () => {
    const r = await run('http_requests', `  {"EdgeStartTimestamp": \n${ev({})}\n`)
    expect(r.counts).toMatchObject({ events: 2, written: 1, quarantined: 1 })
  })

  it('answers the destination check, {"content":"tests"} alone, writing nothing', async () => {
    for (const body of ['{"content":"tests"}', '{"content":"tests"}\n', '\uFEFF{"content":"tests"}\r\n\r\n', '\n{ "content" : "tests" }\n  \n']) {
      for (const gz of [false, true]) {
        const r = await run('http_requests', body, { gzip: gz })
        expect(r.counts, JSON.stringify(body)).toMatchObject({ validation: true, events: 0, written: 0, quarantined: 0 })
        expect(r.out.events.size + r.out.quarantined.length).toBe(0)
      }
    }
  })

  it('processes {"content":"tests"} followed by real lines as a normal batch', async () => {
    const r = await run('http_requests', `{"content":"tests"}\n${ev({ N: 1 })}\n${ev({ N: 2 })}\n`)
    expect(r.counts).toMatchObject({ validation: false, events: 3, written: 2, quarantined: 1 })
    expect(r.reasons).toEqual([{ reason: 'EdgeStartTimestamp: required field is missing', line: 1, raw: '{"content":"tests"}' }])
    const after = await run('http_requests', `{"content":"tests"}\n{"oops"\n`)
    expect(after.counts).toMatchObject({ validation: false, events: 2, quarantined: 2 })
    for (const other of ['{"content":"tests","x":1}', '{"content":"test"}', '{"content":["tests"]}']) {
      expect((await run('http_requests', other)).counts, other).toMatchObject({ validation: false, events: 1, quarantined: 1 })
    }
  })

  it('writes a line nested deeper than any recursion as it came, and quarantines one that must be re-encoded', async () => {
    // JSON.parse takes 100k levels; JSON.stringify and a reviver recurse and overflow the stack.
    // A line is copied, not re-encoded, unless a check changed something inside a nested value.
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`
    const lines = [
      ev({ N: 1 }),
      ev({ N: 2 }).replace(/}$/, `,"Deep":${deep}}`),
      ev({ N: 3 }).replace(/}$/, `,"Huge":12345678901234567890,"Deep":${deep}}`),
      ev({ N: 4 }).replace(/}$/, `,"BotTags":${deep}}`),
      // A number in a [string] column is changed in place: this line is re-encoded.
      ev({ N: 5 }).replace(/}$/, `,"FirewallMatchesRuleIDs":[7],"Deep":${deep}}`),
      ev({ N: 6 }),
    ]
    const r = await run('http_requests', `${lines.join('\n')}\n`)
    expect(r.counts).toMatchObject({ events: 6, written: 4, quarantined: 2 })
    expect(r.events.map((e) => e.N)).toEqual([1, 2, 3, 6])
    expect(r.lines[1]).toContain(`"Deep":${deep},"p_log_type"`)
    expect(r.lines[2]).toContain(`"Huge":12345678901234567890,"Deep":${deep}`)
    expect(r.reasons.map((q) => q.line)).toEqual([4, 5])
    // Shown as its head, or, where the stack runs out first, as 'a value nested too deeply to show'.
    expect(r.reasons[0]!.reason).toMatch(/^BotTags\[0\]: bad element of \[string\], got (\[{61}\.\.\.|a value nested too deeply to show)$/)
    expect(r.reasons[1]!.reason).toMatch(/^nested too deeply to process \(/)
  })

  it('partitions by event hour and reports the latest event time', async () => {
    const r = await run(
      'http_requests',
      [
        ev({ EdgeStartTimestamp: '2022-05-25T13:59:59.999999999Z' }),
        ev({ EdgeStartTimestamp: '2022-05-25T14:00:00Z' }),
        ev({ EdgeStartTimestamp: '2022-05-25T13:00:00Z' }),
      ].join('\n'),
    )
    expect([...r.out.events.keys()]).toEqual(['2022-05-25 13', '2022-05-25 14'])
    expect(r.out.events.get('2022-05-25 13')).toHaveLength(2)
    expect(r.counts.maxEventTime).toBe('2022-05-25 14:00:00.000000000')
  })
})
