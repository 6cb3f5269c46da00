// The hostile-input corpus: each case is a body (built here, so no multi-MB file is committed),
// the settings it is posted with, and its defined answer. README.md beside this file tabulates them.
import httpTwoHours from '../../fixtures/http_requests.two-hours.ndjson?raw'
import { bytes, concatBytes, gzip } from '../helpers/streams'

/** A 200 acknowledgement: the counts, and one pattern per quarantined line (in line order). */
export interface Stored {
  status: 200
  events: number
  written: number
  quarantined: number
  reasons?: (string | RegExp)[]
  /** Checks on what was stored, given the events read back from the bucket. */
  check?: (events: Record<string, unknown>[]) => void
  /** How many `logs/` objects the batch writes. */
  objects?: number
  /** Whether some hour is written as several objects (`<batchId>-<n>` keys), or none is. */
  split?: boolean
  /** Posted a second time: the same keys, each object with the same lines (but p_parse_time). */
  retried?: true
}

/** A refusal: the status and the `error` code of the `{error, detail}` body. */
export interface Refused {
  status: 400 | 413 | 415
  error: 'undecodable_body' | 'body_too_large' | 'ndjson_required'
  detail?: RegExp
}

export interface Validation {
  status: 200
  validation: true
}

export interface CorpusCase {
  name: string
  dataset?: string
  /** Settings changed for this case (limits); the request then goes through app.fetch with them. */
  env?: Record<string, string>
  /**
   * Stores thousands of objects: under an S3_PREFIX of its own, so that every other test's listing
   * of the bucket stays a page or two long.
   */
  ownPrefix?: true
  /** Request headers besides Authorization. */
  headers?: Record<string, string>
  body: () => Uint8Array | Promise<Uint8Array>
  answer: Stored | Refused | Validation
}

const MiB = 1024 * 1024
const T = '2026-11-25T10:00:00Z'

/** A valid http_requests line; `extra` is spliced in as raw JSON text (`"Key":value`). */
function line(ray: string, extra = ''): string {
  return `{"RayID":"${ray}","EdgeStartTimestamp":"${T}","ClientIP":"192.0.2.7"${extra ? `,${extra}` : ''}}`
}

function ndjson(...lines: string[]): Uint8Array {
  return bytes(`${lines.join('\n')}\n`)
}

const GOOD = line('corpus-good')

/** `n` levels of `open`, then `close`: deep nesting without recursion to build it. */
function nested(n: number, open: string, close: string, inner = '1'): string {
  return open.repeat(n) + inner + close.repeat(n)
}

const DEEP = 100_000

// Wrong values for each column type, with the field that has that type (http_requests unless said).
const wrongTypes: { dataset: string; field: string; type: string; values: string[] }[] = [
  { dataset: 'http_requests', field: 'ClientRequestHost', type: 'string', values: ['{}', '[]', '{"a":1}', '["x"]', '{"nested":{"x":1}}'] },
  { dataset: 'http_requests', field: 'CacheTieredFill', type: 'boolean', values: ['"yes"', '1', '0', '"TRUE"', '[]', '{}'] },
  {
    dataset: 'http_requests',
    field: 'ClientASN',
    type: 'bigint',
    values: ['1.5', '"12a"', 'true', '"0x10"', '9223372036854775808', '"-9223372036854775809"', '[]', '{}'],
  },
  { dataset: 'http_requests', field: 'ClientSrcPort', type: 'int', values: ['2147483648', '-2147483649', '"80.0"', 'false', '[80]'] },
  { dataset: 'http_requests', field: 'EdgeResponseStatus', type: 'smallint', values: ['32768', '-32769', '"200 OK"', '200.5', '{}'] },
  { dataset: 'http_requests', field: 'EdgeResponseCompressionRatio', type: 'float', values: ['"abc"', '"0x10"', '"Infinity"', '"NaN"', '1e400', 'true', '[]'] },
  {
    dataset: 'http_requests',
    field: 'EdgeEndTimestamp',
    type: 'timestamp',
    values: ['true', '"yesterday"', '-1', '1.5', '"2026-11-25"', '"Thu, 21 May 2022 11:17:33 UTC"', '{}', '[]'],
  },
  { dataset: 'http_requests', field: 'BotTags', type: '[string]', values: ['"bot"', '{}', '[{}]', '[null]', '[[]]', '["ok",{"a":1}]', '["a",["b"]]'] },
  { dataset: 'firewall_events', field: 'Metadata', type: '{string:string}', values: ['[]', '"k=v"', '{"a":{}}', '{"a":[]}', '{"a":null}'] },
]

function wrongTypeCase(w: (typeof wrongTypes)[number]): CorpusCase {
  const time = w.dataset === 'firewall_events' ? 'Datetime' : 'EdgeStartTimestamp'
  const good = `{"${time}":"${T}","RayID":"wt-${w.field}-good"}`
  const bad = w.values.map((v, i) => `{"${time}":"${T}","RayID":"wt-${w.field}-${i}","${w.field}":${v}}`)
  const escaped = w.type.replace(/[[\]{}]/g, (c) => `\\${c}`)
  return {
    name: `wrong types in a ${w.type} column (${w.field}): ${w.values.join(' ')}`,
    dataset: w.dataset,
    body: () => ndjson(good, ...bad),
    answer: {
      status: 200,
      events: 1 + bad.length,
      written: 1,
      quarantined: bad.length,
      reasons: bad.map(() => new RegExp(`^${w.field}(: expected ${escaped}, got |(\\[\\d+\\]|\\.\\w+): bad element of ${escaped}, got )`)),
    },
  }
}

async function gzipBombMembers(total: number, memberBytes: number): Promise<Uint8Array> {
  // One member of NUL bytes, repeated: about 1 KB per MiB, so a GiB bomb is a 1 MB body.
  const member = await gzip(new Uint8Array(memberBytes))
  return concatBytes(...Array.from({ length: Math.ceil(total / memberBytes) }, () => member))
}

export const corpus: CorpusCase[] = [
  // --- gzip framing ---
  {
    name: 'truncated gzip: the 8-byte trailer cut off',
    body: async () => {
      const gz = await gzip(ndjson(GOOD, line('t2')))
      return gz.slice(0, gz.byteLength - 8)
    },
    answer: { status: 400, error: 'undecodable_body', detail: /gzip/ },
  },
  {
    name: 'truncated gzip: cut in the middle of the deflate data',
    body: async () => {
      const gz = await gzip(ndjson(...Array.from({ length: 50 }, (_, i) => line(`tm-${i}`))))
      return gz.slice(0, gz.byteLength >> 1)
    },
    answer: { status: 400, error: 'undecodable_body', detail: /gzip/ },
  },
  {
    name: 'truncated gzip: 6 bytes of header',
    body: async () => (await gzip(ndjson(GOOD))).slice(0, 6),
    answer: { status: 400, error: 'undecodable_body', detail: /gzip/ },
  },
  {
    name: 'gzip magic bytes only (1f 8b)',
    body: () => new Uint8Array([0x1f, 0x8b]),
    answer: { status: 400, error: 'undecodable_body', detail: /gzip/ },
  },
  {
    name: 'gzip with a wrong CRC-32',
    body: async () => {
      const gz = await gzip(ndjson(GOOD, line('crc')))
      gz[gz.byteLength - 6] = gz[gz.byteLength - 6]! ^ 1
      return gz
    },
    answer: { status: 400, error: 'undecodable_body', detail: /gzip/ },
  },
  {
    name: 'gzip followed by trailing garbage',
    body: async () => concatBytes(await gzip(ndjson(GOOD)), bytes('garbage')),
    answer: { status: 400, error: 'undecodable_body', detail: /gzip/ },
  },
  {
    name: 'gzip followed by NUL padding',
    body: async () => concatBytes(await gzip(ndjson(GOOD)), new Uint8Array(512)),
    answer: { status: 400, error: 'undecodable_body', detail: /gzip/ },
  },
  {
    name: 'gzip bomb: 32 MiB of newlines in a 32 KB body, MAX_DECOMPRESSED_BYTES=4 MiB',
    env: { MAX_DECOMPRESSED_BYTES: String(4 * MiB) },
    body: () => gzip(new Uint8Array(32 * MiB).fill(0x0a)),
    answer: { status: 413, error: 'body_too_large', detail: /MAX_DECOMPRESSED_BYTES/ },
  },
  {
    name: 'gzip bomb at the default limits: 1.06 GB of NUL bytes in a 1 MB body of 65 members',
    body: () => gzipBombMembers(1024 * MiB + 16 * MiB, 16 * MiB),
    answer: { status: 413, error: 'body_too_large', detail: /MAX_DECOMPRESSED_BYTES \(1073741824 bytes\)/ },
  },
  {
    name: 'gzip inside gzip (decoded once: the inner gzip is binary, not NDJSON)',
    body: async () => gzip(await gzip(ndjson(GOOD))),
    answer: { status: 400, error: 'undecodable_body', detail: /UTF-8/ },
  },
  {
    name: 'concatenated gzip members: three members, all decoded',
    body: async () => concatBytes(await gzip(ndjson(line('m1'))), await gzip(ndjson(line('m2'), line('m3'))), await gzip(ndjson(line('m4')))),
    answer: { status: 200, events: 4, written: 4, quarantined: 0, check: rays(['m1', 'm2', 'm3', 'm4']) },
  },
  {
    name: 'concatenated gzip members: a member boundary inside a line, and an empty member',
    body: async () => {
      const text = `${line('split-1')}\n${line('split-2')}\n`
      const cut = text.length - 20
      return concatBytes(await gzip(bytes(text.slice(0, cut))), await gzip(new Uint8Array(0)), await gzip(bytes(text.slice(cut))))
    },
    answer: { status: 200, events: 2, written: 2, quarantined: 0, check: rays(['split-1', 'split-2']) },
  },
  {
    name: 'concatenated gzip members: 200 one-line members',
    body: async () => concatBytes(...(await Promise.all(Array.from({ length: 200 }, (_, i) => gzip(ndjson(line(`many-${i}`))))))),
    answer: { status: 200, events: 200, written: 200, quarantined: 0 },
  },

  // --- text encoding ---
  {
    name: 'invalid UTF-8: a Latin-1 byte (e9) in a string, plain',
    body: () => concatBytes(bytes('{"RayID":"caf'), new Uint8Array([0xe9]), bytes(`","EdgeStartTimestamp":"${T}"}\n`)),
    answer: { status: 400, error: 'undecodable_body', detail: /UTF-8/ },
  },
  {
    name: 'invalid UTF-8 inside gzip, on line 3',
    body: () => gzip(concatBytes(ndjson(GOOD, line('u2')), bytes('{"RayID":"'), new Uint8Array([0xff, 0xfe]), bytes('"}\n'))),
    answer: { status: 400, error: 'undecodable_body', detail: /^body is not valid UTF-8 \(near line 3\)$/ },
  },
  {
    name: 'invalid UTF-8: overlong encoding of "/" (c0 af)',
    body: () => concatBytes(bytes('{"RayID":"'), new Uint8Array([0xc0, 0xaf]), bytes(`","EdgeStartTimestamp":"${T}"}\n`)),
    answer: { status: 400, error: 'undecodable_body', detail: /UTF-8/ },
  },
  {
    name: 'invalid UTF-8: an encoded UTF-16 surrogate (ed a0 80)',
    body: () => concatBytes(bytes('{"RayID":"'), new Uint8Array([0xed, 0xa0, 0x80]), bytes(`","EdgeStartTimestamp":"${T}"}\n`)),
    answer: { status: 400, error: 'undecodable_body', detail: /UTF-8/ },
  },
  {
    name: 'invalid UTF-8: a multi-byte character cut by the end of the body',
    body: () => concatBytes(ndjson(GOOD), bytes('{"RayID":"'), new Uint8Array([0xe2, 0x82])),
    answer: { status: 400, error: 'undecodable_body', detail: /UTF-8/ },
  },
  {
    name: 'UTF-16LE body with its BOM (ff fe)',
    body: () => {
      const text = `${GOOD}\n`
      const out = new Uint8Array(2 + text.length * 2)
      out.set([0xff, 0xfe])
      for (let i = 0; i < text.length; i++) out[2 + 2 * i] = text.charCodeAt(i)
      return out
    },
    answer: { status: 400, error: 'undecodable_body', detail: /UTF-8/ },
  },
  {
    name: 'UTF-8 BOM, then valid lines with 4-byte characters',
    body: () => concatBytes(new Uint8Array([0xef, 0xbb, 0xbf]), ndjson(line('bom-1', '"ClientRequestPath":"/🎉/日本"'), line('bom-2'))),
    answer: { status: 200, events: 2, written: 2, quarantined: 0, check: (e) => expectField(e, 'bom-1', 'ClientRequestPath', '/🎉/日本') },
  },
  {
    name: 'a lone surrogate as a JSON escape (\\ud800): valid JSON, written escaped',
    body: () => ndjson(line('surrogate', '"ClientRequestPath":"/\\ud800x"')),
    answer: { status: 200, events: 1, written: 1, quarantined: 0, check: (e) => expectField(e, 'surrogate', 'ClientRequestPath', '/\ud800x') },
  },

  // --- NUL bytes ---
  {
    name: 'NUL bytes: raw NUL inside a string, a line of one NUL, NUL between two objects; an escaped \\u0000 is fine',
    body: () =>
      concatBytes(
        ndjson(GOOD),
        bytes('{"RayID":"nul-raw\u0000","EdgeStartTimestamp":"2026-11-25T10:00:00Z"}\n'),
        bytes('\u0000\n'),
        bytes(`${line('nul-a')}\u0000${line('nul-b')}\n`),
        ndjson(line('nul-escaped', '"ClientRequestPath":"/a\\u0000b"')),
      ),
    answer: {
      status: 200,
      events: 5,
      written: 2,
      quarantined: 3,
      reasons: [/^not valid JSON/, /^not valid JSON/, /^not valid JSON/],
      check: (e) => expectField(e, 'nul-escaped', 'ClientRequestPath', '/a\u0000b'),
    },
  },
  {
    name: 'NUL as the first byte of the body',
    body: () => concatBytes(new Uint8Array([0]), ndjson(GOOD)),
    answer: { status: 415, error: 'ndjson_required', detail: /NDJSON is required/ },
  },

  // --- sizes ---
  {
    name: 'a 10 MB single line at the default MAX_LINE_BYTES (1 MiB), plain (staged in S3 on the way)',
    body: () => ndjson(line('huge', `"Pad":"${'a'.repeat(10 * MiB)}"`)),
    answer: {
      status: 200,
      events: 1,
      written: 0,
      quarantined: 1,
      reasons: [/^line is 10485\d\d\d bytes, over MAX_LINE_BYTES \(1048576\); raw holds its head$/],
    },
  },
  {
    name: 'a 10 MB single line, gzip, MAX_LINE_BYTES=16 MiB: parsed and written whole',
    env: { MAX_LINE_BYTES: String(16 * MiB) },
    body: () => gzip(ndjson(GOOD, line('huge-ok', `"Pad":"${'b'.repeat(10 * MiB)}"`))),
    answer: { status: 200, events: 2, written: 2, quarantined: 0, check: (e) => expect10MB(e) },
  },
  {
    name: 'body over MAX_BODY_BYTES (1000), read while streaming',
    env: { MAX_BODY_BYTES: '1000' },
    body: () => ndjson(...Array.from({ length: 20 }, (_, i) => line(`big-${i}`))),
    answer: { status: 413, error: 'body_too_large', detail: /MAX_BODY_BYTES/ },
  },

  // --- empty and blank ---
  { name: 'empty body', body: () => new Uint8Array(0), answer: { status: 200, events: 0, written: 0, quarantined: 0 } },
  { name: 'empty gzip member', body: () => gzip(new Uint8Array(0)), answer: { status: 200, events: 0, written: 0, quarantined: 0 } },
  { name: 'only newlines (LF and CRLF)', body: () => bytes('\n\n\r\n\n'), answer: { status: 200, events: 0, written: 0, quarantined: 0 } },
  {
    name: 'only spaces, tabs and newlines, gzip',
    body: () => gzip(bytes(' \t \n\t\n   \r\n')),
    answer: { status: 200, events: 0, written: 0, quarantined: 0 },
  },
  {
    name: 'CR-only line ends (classic Mac): one line, not JSON',
    body: () => bytes(`${GOOD}\r${line('cr-2')}\r`),
    answer: { status: 200, events: 1, written: 0, quarantined: 1, reasons: [/^not valid JSON/] },
  },

  // --- JSON structure ---
  {
    name: `deeply nested JSON: ${DEEP} levels of [ in an unknown field`,
    // Valid JSON, copied as written: no step on the way out recurses into it.
    body: () => ndjson(GOOD, line('deep-array', `"Deep":${nested(DEEP, '[', ']')}`), line('after-deep')),
    answer: { status: 200, events: 3, written: 3, quarantined: 0 },
  },
  {
    name: `deeply nested JSON: ${DEEP} levels of {"a": in a json column (RequestHeaders)`,
    body: () => ndjson(GOOD, line('deep-object', `"RequestHeaders":${nested(DEEP, '{"a":', '}')}`)),
    answer: { status: 200, events: 2, written: 2, quarantined: 0 },
  },
  {
    name: `deeply nested JSON: ${DEEP} levels as a bad value of a string and a [string] column`,
    body: () => ndjson(GOOD, line('deep-string', `"ClientRequestHost":${nested(DEEP, '[', ']')}`), line('deep-tags', `"BotTags":${nested(DEEP, '[', ']')}`)),
    answer: {
      status: 200,
      events: 3,
      written: 1,
      quarantined: 2,
      reasons: [/^ClientRequestHost: expected string, got /, /^BotTags\[0\]: bad element of \[string\], got /],
    },
  },
  {
    name: `deeply nested JSON: ${DEEP} levels of [ with an unclosed end (not JSON)`,
    body: () => ndjson(GOOD, `{"Deep":${'['.repeat(DEEP)}`),
    answer: { status: 200, events: 2, written: 1, quarantined: 1, reasons: [/^not valid JSON/] },
  },
  {
    name: 'the first line is JSON but not an object (an array)',
    body: () => ndjson('[1,2]', GOOD),
    answer: { status: 415, error: 'ndjson_required', detail: /first line is not a JSON object/ },
  },
  {
    name: 'later lines that are JSON but not objects: array, string, number, null, true',
    body: () => ndjson(GOOD, '[1,2]', '"text"', '42', 'null', 'true'),
    answer: {
      status: 200,
      events: 6,
      written: 1,
      quarantined: 5,
      reasons: [
        'expected a JSON object, got an array',
        'expected a JSON object, got a string',
        'expected a JSON object, got a number',
        'expected a JSON object, got null',
        'expected a JSON object, got a boolean',
      ],
    },
  },
  {
    name: 'two objects on one line, an object followed by garbage, a trailing comma',
    body: () => ndjson(GOOD, `${line('two-a')}${line('two-b')}`, `${line('tail')} xyz`, line('comma').replace(/}$/, ',}')),
    answer: { status: 200, events: 4, written: 1, quarantined: 3, reasons: [/^not valid JSON/, /^not valid JSON/, /^not valid JSON/] },
  },

  // --- numbers ---
  {
    name: 'numbers beyond 2^64 and beyond a double: bad in bigint, int, timestamp, float columns; kept as written in string columns and unknown fields',
    body: () =>
      ndjson(
        line('n-unknown', '"Huge":123456789012345678901234567890,"Neg":-98765432109876543210987'),
        line('n-bigint', '"ClientASN":18446744073709551616'),
        line('n-bigint-str', '"ClientASN":"340282366920938463463374607431768211456"'),
        line('n-int', '"ClientSrcPort":18446744073709551617'),
        line('n-ts', '"EdgeEndTimestamp":1844674407370955161600000'),
        line('n-float', '"EdgeResponseCompressionRatio":1e400'),
        line('n-double', '"ClientRequestPath":1e400,"UnknownInf":-1.5E+999'),
      ),
    answer: {
      status: 200,
      events: 7,
      written: 2,
      quarantined: 5,
      reasons: [
        /^ClientASN: expected bigint/,
        /^ClientASN: expected bigint/,
        /^ClientSrcPort: expected int/,
        /^EdgeEndTimestamp: expected timestamp/,
        /^EdgeResponseCompressionRatio: expected float, got 1e400/,
      ],
      check: (e) => {
        expectField(e, 'n-unknown', 'Huge', '123456789012345678901234567890', true)
        expectField(e, 'n-unknown', 'Neg', '-98765432109876543210987', true)
        // Beyond a double: kept as written, not as "Infinity" or null.
        expectField(e, 'n-double', 'ClientRequestPath', '1e400')
        expectField(e, 'n-double', 'UnknownInf', '-1.5E+999', true)
      },
    },
  },
  {
    name: 'bigint edge values: 2^63-1 kept exactly, -2^63 kept, 2^63 bad',
    body: () =>
      ndjson(
        line('b-max', '"ClientASN":9223372036854775807'),
        line('b-min', '"ClientASN":"-9223372036854775808"'),
        line('b-over', '"ClientASN":9223372036854775808'),
      ),
    answer: {
      status: 200,
      events: 3,
      written: 2,
      quarantined: 1,
      reasons: [/^ClientASN: expected bigint/],
      check: (e) => {
        expectField(e, 'b-max', 'ClientASN', '9223372036854775807', true)
        expectField(e, 'b-min', 'ClientASN', '-9223372036854775808', true)
      },
    },
  },

  // --- keys ---
  {
    name: '__proto__, constructor and prototype keys are data: kept, no prototype pollution',
    body: () =>
      ndjson(
        line('proto', '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":1,"toString":"x","hasOwnProperty":2'),
        // A required field hidden in __proto__ is not seen as present.
        '{"RayID":"proto-hidden","__proto__":{"EdgeStartTimestamp":"2026-11-25T10:00:00Z"}}',
      ),
    answer: {
      status: 200,
      events: 2,
      written: 1,
      quarantined: 1,
      reasons: ['EdgeStartTimestamp: required field is missing'],
      check: (e) => {
        expectField(e, 'proto', '__proto__', { polluted: 'yes' })
        expectField(e, 'proto', 'constructor', { prototype: { polluted: 'yes' } })
        if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype was polluted')
      },
    },
  },
  {
    name: '__proto__ as a key of a {string:string} map column (firewall Metadata)',
    dataset: 'firewall_events',
    body: () => ndjson(`{"Datetime":"${T}","RayID":"fw-proto","Metadata":{"__proto__":"x","constructor":"y"}}`),
    answer: {
      status: 200,
      events: 1,
      written: 1,
      quarantined: 0,
      check: (e) => expectField(e, 'fw-proto', 'Metadata', JSON.parse('{"__proto__":"x","constructor":"y"}')),
    },
  },
  {
    name: 'duplicate keys: the last one wins (as JSON.parse), good-then-bad is quarantined, bad-then-good is written',
    body: () =>
      ndjson(
        `{"RayID":"dup-ok","EdgeStartTimestamp":"not a time","EdgeStartTimestamp":"${T}","RayID":"dup-ok-last"}`,
        `{"RayID":"dup-bad","EdgeStartTimestamp":"${T}","EdgeStartTimestamp":"not a time"}`,
      ),
    answer: {
      status: 200,
      events: 2,
      written: 1,
      quarantined: 1,
      reasons: [/^EdgeStartTimestamp: expected timestamp, got "not a time"/],
      check: rays(['dup-ok-last']),
    },
  },
  {
    name: 'forged p_* fields in the input are replaced by enrichment',
    body: () => ndjson(line('forged', '"p_row_id":"forged","p_event_time":"1999-01-01 00:00:00.000000000","p_log_type":"Evil","p_any_emails":["a@evil.test"]')),
    answer: {
      status: 200,
      events: 1,
      written: 1,
      quarantined: 0,
      check: (e) => {
        const f = e.find((x) => x.RayID === 'forged')!
        if (f.p_row_id === 'forged' || f.p_log_type !== 'Cloudflare.HttpRequest' || f.p_event_time !== '2026-11-25 10:00:00.000000000' || 'p_any_emails' in f) {
          throw new Error(`forged p_ fields kept: ${JSON.stringify(f)}`)
        }
      },
    },
  },

  // --- wrong types, every column type ---
  ...wrongTypes.map(wrongTypeCase),
  {
    name: 'null and "" in typed columns: null kept, "" dropped; a json column takes any value',
    body: () =>
      ndjson(line('empty-values', '"ClientASN":null,"CacheTieredFill":"","EdgeResponseStatus":"","BotTags":null,"RequestHeaders":[1,"x",{"y":null}]')),
    answer: { status: 200, events: 1, written: 1, quarantined: 0 },
  },
  {
    name: 'the event time field missing, null, "" or of a wrong type',
    body: () =>
      ndjson(
        '{"RayID":"t-missing"}',
        '{"RayID":"t-null","EdgeStartTimestamp":null}',
        '{"RayID":"t-empty","EdgeStartTimestamp":""}',
        '{"RayID":"t-obj","EdgeStartTimestamp":{}}',
      ),
    answer: {
      status: 200,
      events: 4,
      written: 0,
      quarantined: 4,
      reasons: [
        'EdgeStartTimestamp: required field is missing',
        'EdgeStartTimestamp: required field is missing',
        'EdgeStartTimestamp: required field is empty',
        'EdgeStartTimestamp: expected timestamp, got {}',
      ],
    },
  },

  // --- timestamps at the ends of the range ---
  {
    name: 'timestamps in year 1 and 9999 (written) and 0000, 10000, and offsets that leave the range (quarantined)',
    body: () =>
      ndjson(
        `{"RayID":"y1","EdgeStartTimestamp":"0001-01-01T00:00:00Z"}`,
        `{"RayID":"y9999","EdgeStartTimestamp":"9999-12-31T23:59:59.999999999Z"}`,
        `{"RayID":"y9999-offset","EdgeStartTimestamp":"9999-12-31T22:59:59-01:00"}`,
        `{"RayID":"y0","EdgeStartTimestamp":"0000-12-31T23:59:59Z"}`,
        `{"RayID":"y10000","EdgeStartTimestamp":"10000-01-01T00:00:00Z"}`,
        `{"RayID":"y1-offset","EdgeStartTimestamp":"0001-01-01T00:30:00+01:00"}`,
        `{"RayID":"y9999-over","EdgeStartTimestamp":"9999-12-31T23:30:00-01:00"}`,
        `{"RayID":"unix-neg","EdgeStartTimestamp":-62135596800}`,
        `{"RayID":"leap","EdgeStartTimestamp":"2016-12-31T23:59:60Z"}`,
        `{"RayID":"feb29","EdgeStartTimestamp":"2023-02-29T00:00:00Z"}`,
      ),
    answer: {
      status: 200,
      events: 10,
      written: 3,
      quarantined: 7,
      reasons: Array.from({ length: 7 }, () => /^EdgeStartTimestamp: expected timestamp, got /),
      check: (e) => {
        expectField(e, 'y1', 'p_event_time', '0001-01-01 00:00:00.000000000')
        expectField(e, 'y9999', 'p_event_time', '9999-12-31 23:59:59.999999999')
        expectField(e, 'y9999-offset', 'p_event_time', '9999-12-31 23:59:59.000000000')
      },
    },
  },
  {
    name: 'integer timestamps at the ends: unix 0, 1e11-1 s (year 5138), 20-digit ns, 21 digits (bad)',
    body: () =>
      ndjson(
        `{"RayID":"u0","EdgeStartTimestamp":0}`,
        `{"RayID":"u-max-s","EdgeStartTimestamp":99999999999}`,
        `{"RayID":"u-ns-20","EdgeStartTimestamp":99999999999999999999}`,
        `{"RayID":"u-21","EdgeStartTimestamp":"100000000000000000000"}`,
      ),
    answer: {
      status: 200,
      events: 4,
      written: 3,
      quarantined: 1,
      reasons: [/^EdgeStartTimestamp: expected timestamp, got "100000000000000000000"$/],
      check: (e) => {
        expectField(e, 'u0', 'p_event_time', '1970-01-01 00:00:00.000000000')
        expectField(e, 'u-max-s', 'p_event_time', '5138-11-16 09:46:39.000000000')
        expectField(e, 'u-ns-20', 'p_event_time', '5138-11-16 09:46:39.999999999')
      },
    },
  },

  // --- the destination check ---
  { name: 'the destination check alone: {"content":"tests"}, gzip', body: () => gzip(bytes('{"content":"tests"}')), answer: { status: 200, validation: true } },
  {
    name: 'the destination check followed by a real line: a normal batch (the check line is quarantined)',
    body: () => gzip(ndjson('{"content":"tests"}', GOOD.replace('corpus-good', 'after-check'))),
    answer: { status: 200, events: 2, written: 1, quarantined: 1, reasons: ['EdgeStartTimestamp: required field is missing'] },
  },

  // --- events spread over many hours ---
  {
    name: '5,000 hours, one event each (a 5,000-partition batch)',
    ownPrefix: true,
    body: () => gzip(ndjson(...spread(5_000, 5_000, 'h'))),
    answer: { status: 200, events: 5_000, written: 5_000, quarantined: 0, objects: 5_000, split: false, check: rays(raysOf(5_000, 'h')) },
  },
  {
    name: '50,000 lines over 2,000 hours, interleaved A, B, C, …, A, B, C, …',
    ownPrefix: true,
    body: () => gzip(ndjson(...spread(50_000, 2_000, 'rr'))),
    answer: {
      status: 200,
      events: 50_000,
      written: 50_000,
      quarantined: 0,
      // One object per hour, each of 25 gzip members (its events came one at a time).
      objects: 2_000,
      split: false,
      check: (events) => {
        rays(raysOf(50_000, 'rr'))(events)
        const perHour = new Map<string, number>()
        for (const e of events) perHour.set(String(e.p_event_time).slice(0, 13), (perHour.get(String(e.p_event_time).slice(0, 13)) ?? 0) + 1)
        if (perHour.size !== 2_000 || [...perHour.values()].some((n) => n !== 25)) throw new Error('not 25 events in each of 2,000 hours')
      },
    },
  },
  {
    name: 'three hours interleaved past the held-bytes budget (S3_PART_BYTES=4096: 20 KiB), posted twice',
    env: { S3_PART_BYTES: '4096' },
    body: () => gzip(ndjson(...spread(3_000, 3, 'split'))),
    answer: { status: 200, events: 3_000, written: 3_000, quarantined: 0, split: true, retried: true, check: rays(raysOf(3_000, 'split')) },
  },
  {
    name: 'a realistic batch: 20 events over two hours',
    body: () => gzip(bytes(httpTwoHours)),
    answer: { status: 200, events: 20, written: 20, quarantined: 0, objects: 2, split: false },
  },

  // --- many lines, many keys ---
  {
    name: '100,000 lines of {} (every one quarantined: no event time)',
    body: () => gzip(bytes('{}\n'.repeat(100_000))),
    answer: { status: 200, events: 100_000, written: 0, quarantined: 100_000 },
  },
  {
    name: 'one line with 50,000 keys (about 0.7 MB, under MAX_LINE_BYTES)',
    body: () => ndjson(line('many-keys', Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}`).join(','))),
    answer: { status: 200, events: 1, written: 1, quarantined: 0, check: (e) => expectField(e, 'many-keys', 'k49999', 49_999) },
  },

  // --- headers that do not decide anything ---
  {
    name: 'gzip body sent with Content-Encoding: gzip and Content-Type: application/json',
    headers: { 'Content-Encoding': 'gzip', 'Content-Type': 'application/json' },
    body: () => gzip(ndjson(line('ce-1'), line('ce-2'))),
    answer: { status: 200, events: 2, written: 2, quarantined: 0, check: rays(['ce-1', 'ce-2']) },
  },
  {
    name: 'plain body labelled Content-Type: application/gzip',
    headers: { 'Content-Type': 'application/gzip' },
    body: () => ndjson(line('ct-1')),
    answer: { status: 200, events: 1, written: 1, quarantined: 0, check: rays(['ct-1']) },
  },

  // --- other formats ---
  {
    name: 'CSV output (a Logpush job set to CSV)',
    body: () => bytes('ClientIP,RayID,EdgeStartTimestamp\n192.0.2.1,abc,1653484780\n'),
    answer: { status: 415, error: 'ndjson_required', detail: /NDJSON is required/ },
  },
  {
    name: 'a JSON array of events instead of NDJSON',
    body: () => bytes(`[${GOOD},${line('arr-2')}]\n`),
    answer: { status: 415, error: 'ndjson_required', detail: /NDJSON is required/ },
  },
]

const SPREAD_START = Date.UTC(2020, 0, 1)

/** `n` valid lines, line i in hour i % hours from 2020-01-01 (rays `<tag>-<i>`): round robin over the hours. */
function spread(n: number, hours: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(SPREAD_START + (i % hours) * 3_600_000 + (i % 60) * 1000).toISOString()
    return `{"RayID":"${tag}-${i}","EdgeStartTimestamp":"${at}","ClientIP":"192.0.2.${i % 250}"}`
  })
}

function raysOf(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => `${tag}-${i}`)
}

function rays(want: string[]): (events: Record<string, unknown>[]) => void {
  return (events) => {
    const got = events.map((e) => String(e.RayID)).sort()
    if (JSON.stringify(got) !== JSON.stringify([...want].sort())) throw new Error(`RayIDs ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
  }
}

/** Asserts one field of the event with `ray`; `raw` compares a big number's digits as text. */
function expectField(events: Record<string, unknown>[], ray: string, field: string, want: unknown, raw = false): void {
  const e = events.find((x) => x.RayID === ray)
  if (!e) throw new Error(`no event ${ray}`)
  const got = raw ? (e.__raw as Record<string, string>)[field] : e[field]
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${ray}.${field} = ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
}

function expect10MB(events: Record<string, unknown>[]): void {
  const e = events.find((x) => x.RayID === 'huge-ok')
  if (!e || (e.Pad as string).length !== 10 * MiB) throw new Error('the 10 MB line was not stored whole')
}
