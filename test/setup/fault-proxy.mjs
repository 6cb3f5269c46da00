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
//   GET /__faults?match=faults/abc/[&method=PUT]  ->  {"seen":N,"faulted":M} for requests
//     matching it since the first POST with that match and method (count 0 only watches)
//   DELETE /__faults?match=faults/abc/[&method=PUT]  clears the faults left for that match
//   anything else is forwarded to the target untouched.
import http from 'node:http'

const CONTROL_PATH = '/__faults'
const MODES = new Set(['status', 'after-forward', 'reset', 'hang', 'truncate', 'stall'])

/** @returns {Promise<{ url: string, close(): Promise<void> }>} */
export async function startFaultProxy({ host = '127.0.0.1', port, target }) {
  const upstream = new URL(target)
  /** @type {{ match: string, method: string, count: number, skip: number, mode: string, status: number, code: string }[]} */
  const rules = []
  /** @type {Map<string, { match: string, method: string, seen: number, faulted: number }>} */
  const stats = new Map()
  const hanging = new Set()

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy')
    if (url.pathname === CONTROL_PATH) return control(req, res, url)
    const subject = safeDecode(url.pathname + url.search)
    const matches = (match, method) => subject.includes(match) && (method === '' || method === req.method)
    for (const counters of stats.values()) if (matches(counters.match, counters.method)) counters.seen++
    const rule = rules.find((r) => r.count > 0 && matches(r.match, r.method) && (r.skip === 0 || (r.skip--, false)))
    if (!rule) return forward(req, res)
    rule.count--
    stats.get(statsKey(rule.match, rule.method)).faulted++
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

  function control(req, res, url) {
    if (req.method === 'DELETE') {
      const match = url.searchParams.get('match') ?? ''
      const method = url.searchParams.get('method') ?? ''
      for (const rule of rules) if (rule.match === match && rule.method === method) rule.count = 0
      return sendJson(res, 200, { ok: true })
    }
    if (req.method === 'GET') {
      const key = statsKey(url.searchParams.get('match') ?? '', url.searchParams.get('method') ?? '')
      const { seen = 0, faulted = 0 } = stats.get(key) ?? {}
      return sendJson(res, 200, { seen, faulted })
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
  function forward(req, res, then, cut) {
    const headers = { ...req.headers, host: upstream.host }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
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
