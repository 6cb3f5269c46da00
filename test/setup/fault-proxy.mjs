// An HTTP proxy in front of the local S3 server that injects faults on demand, for the tests
// of retries: real requests, real sockets, only the failure is staged.
//
//   POST /__faults {"match":"faults/abc/","count":2,"mode":"status","status":503,"code":"SlowDown"}
//     the next `count` requests whose decoded path+query contain `match` get the fault:
//       status        answer `status` with an S3 error body (`code`), request not forwarded
//       after-forward forward it, then answer `status` instead of S3's answer (answer lost)
//       reset         destroy the connection without an answer
//       hang          never answer (the client's timeout has to fire)
//   GET /__faults?match=faults/abc/  ->  {"seen":N,"faulted":M} for requests matching it
//     since the first POST with that match (count 0 only watches)
//   anything else is forwarded to the target untouched.
import http from 'node:http'

const CONTROL_PATH = '/__faults'
const MODES = new Set(['status', 'after-forward', 'reset', 'hang'])

/** @returns {Promise<{ url: string, close(): Promise<void> }>} */
export async function startFaultProxy({ host = '127.0.0.1', port, target }) {
  const upstream = new URL(target)
  /** @type {{ match: string, count: number, mode: string, status: number, code: string }[]} */
  const rules = []
  /** @type {Map<string, { seen: number, faulted: number }>} */
  const stats = new Map()
  const hanging = new Set()

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy')
    if (url.pathname === CONTROL_PATH) return control(req, res, url)
    const subject = safeDecode(url.pathname + url.search)
    for (const [match, counters] of stats) if (subject.includes(match)) counters.seen++
    const rule = rules.find((r) => r.count > 0 && subject.includes(r.match))
    if (!rule) return forward(req, res)
    rule.count--
    stats.get(rule.match).faulted++
    if (rule.mode === 'reset') return req.socket.destroy()
    if (rule.mode === 'hang') {
      hanging.add(res)
      res.on('close', () => hanging.delete(res))
      return req.resume()
    }
    if (rule.mode === 'after-forward') {
      return forward(req, null, () => sendError(res, rule))
    }
    req.resume()
    req.on('end', () => sendError(res, rule))
  })

  function control(req, res, url) {
    if (req.method === 'GET') {
      const counters = stats.get(url.searchParams.get('match') ?? '') ?? { seen: 0, faulted: 0 }
      return sendJson(res, 200, counters)
    }
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      try {
        const { match, count = 1, mode = 'status', status = 500, code = 'InternalError' } = JSON.parse(body)
        if (typeof match !== 'string' || !match) throw new Error('match must be a non-empty string')
        if (!MODES.has(mode)) throw new Error(`mode must be one of ${[...MODES].join(', ')}`)
        rules.push({ match, count, mode, status, code })
        if (!stats.has(match)) stats.set(match, { seen: 0, faulted: 0 })
        sendJson(res, 200, { ok: true })
      } catch (err) {
        sendJson(res, 400, { error: err.message })
      }
    })
  }

  // Pipes the request to the target; `res` null means S3's answer is read and dropped.
  function forward(req, res, then) {
    const headers = { ...req.headers, host: upstream.host }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        if (res) {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        } else {
          answer.resume()
          answer.on('end', then)
        }
      },
    )
    out.on('error', () => (res ? res.destroy() : then()))
    req.pipe(out)
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  return {
    url: `http://${host}:${server.address().port}`,
    close: () => new Promise((resolve) => {
      for (const res of hanging) res.destroy()
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
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
