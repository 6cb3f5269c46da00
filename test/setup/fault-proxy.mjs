// An HTTP proxy in front of the local S3 server that injects faults on demand, for the tests
// of retries: real requests, real sockets, only the failure is staged.
//
//   POST /__faults {"match":"faults/abc/","count":2,"mode":"status","status":503,"code":"SlowDown"}
//     the next `count` requests whose decoded path+query contain `match` (and whose method is
//     `method`, when given) get the fault, after the first `skip` of them (default 0) went through:
//       status        answer `status` with an S3 error body (`code`), request not forwarded
//       after-forward forward it, then answer `status` instead of S3's answer (answer lost)
//       reset         destroy the connection without an answer
//       hang          never answer (the client's timeout has to fire)
//       truncate      forward it, send S3's status, headers and half its body, then reset
//       stall         forward it, send S3's status, headers and half its body, then nothing more
//       hold          read it but answer nothing, until the test releases it (below): then it
//                     goes on to the target and its answer comes back
//   GET /__faults?match=faults/abc/[&method=PUT]  ->  {"seen":N,"faulted":M} for requests
//     matching it since the first POST with that match and method (count 0 only watches)
//   GET /__faults?match=...&until=N  the same, answered only once M >= N: the test waits for
//     the fault to be in effect (a request held, say) rather than for a guessed time
//   DELETE /__faults?match=faults/abc/[&method=PUT]  clears the faults left for that match
//   POST /__faults/release?match=faults/abc/[&method=PUT]  ->  {"released":N}: the requests
//     held for that match go on to the target as if nothing had happened
//   anything else is forwarded to the target untouched.
import http from 'node:http'

const CONTROL_PATH = '/__faults'
const RELEASE_PATH = '/__faults/release'
const MODES = new Set(['status', 'after-forward', 'reset', 'hang', 'truncate', 'stall', 'hold'])

/** @returns {Promise<{ url: string, close(): Promise<void> }>} */
export async function startFaultProxy({ host = '127.0.0.1', port, target }) {
  const upstream = new URL(target)
  /** @type {{ match: string, method: string, count: number, skip: number, mode: string, status: number, code: string }[]} */
  const rules = []
  /** @type {Map<string, { match: string, method: string, seen: number, faulted: number }>} */
  const stats = new Map()
  const hanging = new Set()
  /** @type {Map<string, { req: http.IncomingMessage, res: http.ServerResponse, body: Promise<Buffer> }[]>} requests held, by statsKey */
  const held = new Map()
  /** @type {Map<string, { until: number, answer(): void }[]>} GETs waiting for a fault count, by statsKey */
  const waiting = new Map()

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy')
    if (url.pathname === RELEASE_PATH) return release(res, url)
    if (url.pathname === CONTROL_PATH) return control(req, res, url)
    const subject = safeDecode(url.pathname + url.search)
    const matches = (match, method) => subject.includes(match) && (method === '' || method === req.method)
    for (const counters of stats.values()) if (matches(counters.match, counters.method)) counters.seen++
    const rule = rules.find((r) => r.count > 0 && matches(r.match, r.method) && (r.skip === 0 || (r.skip--, false)))
    if (!rule) return forward(req, res)
    rule.count--
    const key = statsKey(rule.match, rule.method)
    const counters = stats.get(key)
    counters.faulted++
    if (rule.mode === 'hold') hold(key, req, res)
    const ready = (waiting.get(key) ?? []).filter((w) => counters.faulted >= w.until)
    for (const w of ready) w.answer()
    if (rule.mode === 'hold') return
    if (rule.mode === 'reset') return req.socket.destroy()
    if (rule.mode === 'hang') {
      hanging.add(res)
      res.on('close', () => hanging.delete(res))
      return req.resume()
    }
    if (rule.mode === 'after-forward') {
      return forward(req, null, () => sendError(res, rule))
    }
    if (rule.mode === 'truncate' || rule.mode === 'stall') {
      hanging.add(res)
      res.on('close', () => hanging.delete(res))
      return forward(req, res, undefined, rule.mode)
    }
    req.resume()
    req.on('end', () => sendError(res, rule))
  })

  function hold(key, req, res) {
    // The body is taken as it comes, as S3 would, so the client is left waiting for an answer only.
    const body = new Promise((resolve) => {
      const chunks = []
      req.on('data', (chunk) => chunks.push(chunk))
      req.on('end', () => resolve(Buffer.concat(chunks)))
    })
    const parked = { req, res, body }
    held.set(key, [...(held.get(key) ?? []), parked])
    hanging.add(res)
    // A client that gives up meanwhile takes its request with it.
    res.on('close', () => {
      hanging.delete(res)
      held.set(
        key,
        (held.get(key) ?? []).filter((p) => p !== parked),
      )
    })
  }

  function release(res, url) {
    const key = statsKey(url.searchParams.get('match') ?? '', url.searchParams.get('method') ?? '')
    const parked = held.get(key) ?? []
    held.delete(key)
    for (const p of parked) {
      hanging.delete(p.res)
      p.body.then((body) => forward(p.req, p.res, undefined, undefined, body))
    }
    sendJson(res, 200, { released: parked.length })
  }

  function control(req, res, url) {
    if (req.method === 'DELETE') {
      const match = url.searchParams.get('match') ?? ''
      const method = url.searchParams.get('method') ?? ''
      for (const rule of rules) if (rule.match === match && rule.method === method) rule.count = 0
      return sendJson(res, 200, { ok: true })
    }
    if (req.method === 'GET') {
      const key = statsKey(url.searchParams.get('match') ?? '', url.searchParams.get('method') ?? '')
      const until = Number(url.searchParams.get('until') ?? 0)
      const answer = () => {
        const { seen = 0, faulted = 0 } = stats.get(key) ?? {}
        waiting.set(
          key,
          (waiting.get(key) ?? []).filter((w) => w !== waiter),
        )
        hanging.delete(res)
        sendJson(res, 200, { seen, faulted })
      }
      const waiter = { until, answer }
      if ((stats.get(key)?.faulted ?? 0) >= until) return answer()
      waiting.set(key, [...(waiting.get(key) ?? []), waiter])
      hanging.add(res)
      res.on('close', () =>
        waiting.set(
          key,
          (waiting.get(key) ?? []).filter((w) => w !== waiter),
        ),
      )
      return
    }
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      try {
        const { match, method = '', count = 1, skip = 0, mode = 'status', status = 500, code = 'InternalError' } = JSON.parse(body)
        if (typeof match !== 'string' || !match) throw new Error('match must be a non-empty string')
        if (typeof method !== 'string') throw new Error('method must be a string')
        if (!MODES.has(mode)) throw new Error(`mode must be one of ${[...MODES].join(', ')}`)
        rules.push({ match, method, count, skip, mode, status, code })
        const key = statsKey(match, method)
        if (!stats.has(key)) stats.set(key, { match, method, seen: 0, faulted: 0 })
        sendJson(res, 200, { ok: true })
      } catch (err) {
        sendJson(res, 400, { error: err.message })
      }
    })
  }

  // Pipes the request to the target; `res` null means S3's answer is read and dropped. `cut`
  // ('truncate' or 'stall') sends only the first half of its body, then resets or stalls.
  // `body`: the request's body, already read from it (a held request).
  function forward(req, res, then, cut, body) {
    const headers = { ...req.headers, host: upstream.host }
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      if (res && cut) {
        const chunks = []
        answer.on('data', (chunk) => chunks.push(chunk))
        answer.on('end', () => {
          const body = Buffer.concat(chunks)
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          res.write(body.subarray(0, body.length >> 1), () => {
            if (cut === 'truncate') setTimeout(() => req.socket.destroy(), 50)
          })
        })
      } else if (res) {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      } else {
        answer.resume()
        answer.on('end', then)
      }
    })
    out.on('error', () => (res ? res.destroy() : then()))
    if (body) out.end(body)
    else req.pipe(out)
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  return {
    url: `http://${host}:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function statsKey(match, method) {
  return `${method} ${match}`
}

function sendError(res, { status, code }) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the fault proxy</Message></Error>`
  res.writeHead(status, { 'Content-Type': 'application/xml' }).end(body)
}

function sendJson(res, status, value) {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value))
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
