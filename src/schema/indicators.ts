// Normalisers for the indicator kinds that are more than a value taken as it is: the host of a URL
// or of a HOST:PORT, hashes and MAC addresses. Each returns '' for a value that is not of its
// kind, which is then not collected: a field that holds junk costs nothing but its indicator.

const MAX_DOMAIN_CHARS = 253
const C0 = 48

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
}

function isDigits(s: string, from: number, to: number): boolean {
  if (from >= to) return false
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - C0
    if (c < 0 || c > 9) return false
  }
  return true
}

/**
 * A DNS name, lower-cased and without its root dot; '' when `s` cannot be one (a character
 * outside letters, digits, `-`, `_` and `.`, or only digits and dots: a bad IPv4 address).
 * Non-ASCII letters are kept, as an internationalised name may be written.
 * @example domainName('WWW.Example.com.') // 'www.example.com'
 */
export function domainName(s: string): string {
  const name = s.length > 1 && s.charCodeAt(s.length - 1) === 46 /* . */ ? s.slice(0, -1) : s
  if (name.length === 0 || name.length > MAX_DOMAIN_CHARS) return ''
  let numeric = true
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 48 && c <= 57) continue
    if (c !== 46 /* . */) numeric = false
    // Letters, `-`, `_`, `.`, and any non-ASCII character (an internationalised name as written).
    const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c >= 128
    if (!(letter || c === 45 || c === 95 || c === 46)) return ''
  }
  return numeric ? '' : name.toLowerCase()
}

/**
 * The host of `HOST`, `HOST:PORT`, `[IPv6]:PORT` or a bare IPv6 address; '' when the port is not
 * a number. The host is returned as written.
 * @example hostOfAddress('[2001:db8::1]:443') // '2001:db8::1'
 */
export function hostOfAddress(s: string): string {
  if (s.charCodeAt(0) === 91 /* [ */) {
    const close = s.indexOf(']')
    if (close < 0) return ''
    if (close + 1 < s.length && (s.charCodeAt(close + 1) !== 58 /* : */ || !isDigits(s, close + 2, s.length))) return ''
    return s.slice(1, close)
  }
  const colon = s.indexOf(':')
  if (colon < 0) return s
  // Two colons or more: an IPv6 address without brackets, which cannot carry a port.
  if (s.indexOf(':', colon + 1) >= 0) return s
  return isDigits(s, colon + 1, s.length) ? s.slice(0, colon) : ''
}

/**
 * The host of a URL: `scheme://[user@]host[:port]/...`, `//host/...`, or a URL without scheme
 * (`host/path`, as some Logpush fields write it); '' for a path alone or an opaque URI
 * (`mailto:`, `about:blank`).
 * @example urlHost('https://user@Example.com:8443/a?b') // 'Example.com'
 */
export function urlHost(url: string): string {
  let start = 0
  let userinfo = false
  const sep = url.indexOf('://')
  if (sep > 0 && isScheme(url, sep)) {
    start = sep + 3
    userinfo = true
  } else if (url.charCodeAt(0) === 47 /* / */) {
    if (url.charCodeAt(1) !== 47) return ''
    start = 2
    userinfo = true
  }
  let end = url.length
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i)
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
      end = i
      break
    }
  }
  let authority = url.slice(start, end)
  if (userinfo) {
    const at = authority.lastIndexOf('@')
    if (at >= 0) authority = authority.slice(at + 1)
  }
  return authority === '' ? '' : hostOfAddress(authority)
}

function isScheme(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i) | 0x20
    const ok = (c >= 97 && c <= 122) || (i > 0 && ((c >= 48 && c <= 57) || s[i] === '+' || s[i] === '-' || s[i] === '.'))
    if (!ok) return false
  }
  return true
}

/**
 * A hash of `hexChars` hex digits, lower-cased; '' for anything else and for all zeros (what
 * Cloudflare writes when there is none).
 * @example hexHash('3B57...6C06', 64) // '3b57...6c06'
 */
export function hexHash(s: string, hexChars: number): string {
  if (s.length !== hexChars) return ''
  let zeros = true
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!isHex(c)) return ''
    if (c !== C0) zeros = false
  }
  return zeros ? '' : s.toLowerCase()
}

/**
 * A MAC address as lower-case colon-separated octets, from `aa:bb:..`, `aa-bb-..`,
 * `aabb.ccdd.eeff` or twelve hex digits; '' for anything else.
 * @example macAddress('AA-BB-CC-DD-EE-FF') // 'aa:bb:cc:dd:ee:ff'
 */
export function macAddress(s: string): string {
  let hex = ''
  if (s.length === 17) {
    const sep = s[2]
    if (sep !== ':' && sep !== '-') return ''
    for (let i = 0; i < 17; i++) {
      if (i % 3 === 2) {
        if (s[i] !== sep) return ''
      } else if (!isHex(s.charCodeAt(i))) {
        return ''
      } else {
        hex += s[i]
      }
    }
  } else if (s.length === 14 && s[4] === '.' && s[9] === '.') {
    hex = s.slice(0, 4) + s.slice(5, 9) + s.slice(10)
  } else if (s.length === 12) {
    hex = s
  } else {
    return ''
  }
  for (let i = 0; i < 12; i++) if (!isHex(hex.charCodeAt(i))) return ''
  hex = hex.toLowerCase()
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`
}

/**
 * The address of an e-mail value, which may come as `Name <addr>`; '' without an `@`.
 * @example emailAddress('First Last <first@example.com>') // 'first@example.com'
 */
export function emailAddress(s: string): string {
  const open = s.lastIndexOf('<')
  const close = open >= 0 ? s.indexOf('>', open) : -1
  const addr = close > open + 1 ? s.slice(open + 1, close).trim() : s
  return addr.includes('@') ? addr : ''
}
