// IP addresses for p_any_ip_addresses: IPv4 as dotted quads, IPv6 in RFC 5952 canonical form, so
// that the same address written two ways is collected once.

function ipv4Parts(s: string): number[] | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  const out: number[] = []
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return null
    let v = 0
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i) - 48
      if (c < 0 || c > 9) return null
      v = v * 10 + c
    }
    if (v > 255) return null
    out.push(v)
  }
  return out
}

function hexGroup(s: string): number {
  if (s.length === 0 || s.length > 4) return -1
  let v = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
    if (d < 0) return -1
    v = v * 16 + d
  }
  return v
}

function ipv6Groups(s: string): number[] | null {
  let body = s
  const lastColon = s.lastIndexOf(':')
  if (s.indexOf('.', lastColon) > 0) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
    const v4 = ipv4Parts(s.slice(lastColon + 1))
    if (!v4) return null
    body = `${s.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`
  }
  const parse = (part: string): number[] | null => {
    if (part === '') return []
    const groups = part.split(':').map(hexGroup)
    return groups.some((g) => g < 0) ? null : groups
  }
  const gap = body.indexOf('::')
  if (gap < 0) {
    const groups = parse(body)
    return groups && groups.length === 8 ? groups : null
  }
  if (body.indexOf('::', gap + 1) >= 0) return null
  const head = parse(body.slice(0, gap))
  const rest = parse(body.slice(gap + 2))
  if (!head || !rest || head.length + rest.length > 7) return null
  return [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest]
}

/** Whether `s` is a dotted quad, read in place: four 0-255 numbers without leading zeros. */
function isIpv4(s: string): boolean {
  let parts = 0
  let value = 0
  let digits = 0
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? 46 /* . */ : s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || value > 255 || ++parts > 4) return false
      value = 0
      digits = 0
    } else {
      const d = c - 48
      if (d < 0 || d > 9 || (digits === 1 && value === 0) || digits === 3) return false
      value = value * 10 + d
      digits++
    }
  }
  return parts === 4
}

// The same IPv6 addresses recur through a batch; their canonical form is kept for a while.
const IPV6_CACHE_SIZE = 1024
let ipv6Cache = new Map<string, string | null>()

/**
 * The canonical text of an IP address, or null when the value is not one.
 * @example canonicalIp('2001:DB8:0:0:0:0:0:1') // '2001:db8::1'
 */
export function canonicalIp(s: string): string | null {
  if (s.indexOf(':') < 0) return isIpv4(s) ? s : null
  let canonical = ipv6Cache.get(s)
  if (canonical === undefined) {
    canonical = canonicalIpv6(s)
    if (ipv6Cache.size >= IPV6_CACHE_SIZE) ipv6Cache = new Map()
    ipv6Cache.set(s, canonical)
  }
  return canonical
}

function canonicalIpv6(s: string): string | null {
  const g = ipv6Groups(s)
  if (!g) return null
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`
  }
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = g.map((v) => v.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}
