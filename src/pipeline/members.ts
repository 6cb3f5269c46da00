import type { SourceMembers } from '../schema/compile'

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const COLON = 58
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const INITIAL_CAPACITY = 128

// How a member's value is written: PLAIN_INTEGER is an optional minus and digits, the way
// JSON.stringify writes an integer; OTHER_NUMBER is any other number text (`1.0`, `1e2`, `-0`).
const OTHER = 0
const PLAIN_INTEGER = 1
const OTHER_NUMBER = 2

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13
}

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++
  return i
}

/** Index just past the closing quote of the string that opens at `i`, or -1. */
function stringEnd(text: string, i: number): number {
  let j = text.indexOf('"', i + 1)
  while (j > 0 && text.charCodeAt(j - 1) === BACKSLASH) {
    let k = j - 2
    while (text.charCodeAt(k) === BACKSLASH) k--
    // An even run of backslashes escapes itself, not the quote.
    if ((j - 1 - k) % 2 === 0) break
    j = text.indexOf('"', j + 1)
  }
  return j < 0 ? -1 : j + 1
}

/**
 * Index just past the number whose digits go on at `i` (JSON.parse has checked its form), negated
 * when it has a fraction or an exponent.
 */
function numberEnd(text: string, i: number): number {
  let c = text.charCodeAt(i)
  while (c >= 48 && c <= 57) c = text.charCodeAt(++i)
  if (c !== 46 /* . */ && c !== 101 /* e */ && c !== 69 /* E */) return i
  for (;;) {
    c = text.charCodeAt(++i)
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 101 || c === 69) continue
    return -i
  }
}

/** Index just past the object or array that opens at `i`, or -1. */
function containerEnd(text: string, i: number): number {
  let depth = 0
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (c === QUOTE) {
      const end = stringEnd(text, j)
      if (end < 0) return -1
      j = end - 1
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++
    } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) {
      return j + 1
    }
  }
  return -1
}

const RESERVED = -2
const NO_KEYS: string[] = []

/**
 * Where each top-level member of a JSON object line sits in its text, which schema column it is,
 * and its parsed value: what lets the encoder copy the line instead of serialising the parsed
 * object again, lets a column read a number's exact digits, and spares the field loop a lookup
 * by name per column. The key names come from the parsed object (Object.keys lists them in the
 * order of the text when no key is given twice and none is an array index), so the text is only
 * read where values start and end. One instance per batch. Only for text that JSON.parse accepted.
 */
export class LineMembers implements SourceMembers {
  count = 0
  keyStart = new Int32Array(INITIAL_CAPACITY)
  valueStart = new Int32Array(INITIAL_CAPACITY)
  valueEnd = new Int32Array(INITIAL_CAPACITY)
  form = new Uint8Array(INITIAL_CAPACITY)
  /** Column index of each member, -1 for a field the schema does not know. */
  column = new Int32Array(INITIAL_CAPACITY)
  /** Member index of each column, -1 when the line does not have it. */
  readonly memberOf: Int32Array
  /** Parsed values by member. */
  values: unknown[] = []
  text = ''
  private keys = NO_KEYS
  private readonly columnByName = new Map<string, number>()

  constructor(
    columns: readonly string[],
    /** Keys whose presence sends the line the general way (the fields the pipeline replaces). */
    private readonly reserved: (name: string) => boolean,
  ) {
    columns.forEach((name, i) => this.columnByName.set(name, i))
    this.memberOf = new Int32Array(columns.length)
  }

  /**
   * Finds the members of `text`, which parsed to `record`. False when the line must take the
   * general way: a key written with escapes, given twice, an array index, or a reserved one.
   */
  scan(text: string, record: object): boolean {
    // Columns are remembered by member for the keys of the last line scanned to the end only.
    const previous = this.keys
    this.keys = NO_KEYS
    const keys = Object.keys(record)
    if (keys.length > this.keyStart.length) this.grow(keys.length)
    // Array-index keys come first in Object.keys, whatever their place in the text.
    if (keys.length > 0 && keys[0]!.charCodeAt(0) <= 57) return false
    this.text = text
    this.memberOf.fill(-1)
    let backslash = text.indexOf('\\')
    if (backslash < 0) backslash = text.length
    let i = skipSpace(text, 0)
    if (text.charCodeAt(i) !== OPEN_BRACE) return false
    i = skipSpace(text, i + 1)
    let m = 0
    if (text.charCodeAt(i) !== CLOSE_BRACE) {
      // Each step tests for the compact form Logpush writes first; spaces are the slow branch.
      for (; ; m++) {
        if (m === keys.length) return false
        if (text.charCodeAt(i) !== QUOTE) {
          i = skipSpace(text, i)
          if (text.charCodeAt(i) !== QUOTE) return false
        }
        const keyStart = i
        const name = keys[m]!
        i += name.length + 2
        // Written without escapes, the key ends where its name does. A key given twice leaves
        // Object.keys one short, and the names would run out of step with the text here.
        if (backslash < i || text.charCodeAt(i - 1) !== QUOTE) return false
        let column: number
        if (name === previous[m]) column = this.column[m]!
        else {
          column = this.columnByName.get(name) ?? (this.reserved(name) ? RESERVED : -1)
          if (column === RESERVED) return false
        }
        if (column >= 0) {
          if (this.memberOf[column] !== -1) return false
          this.memberOf[column] = m
        }
        if (text.charCodeAt(i) === COLON) i++
        else {
          i = skipSpace(text, i)
          if (text.charCodeAt(i) !== COLON) return false
          i++
        }
        let c = text.charCodeAt(i)
        if (isSpace(c)) c = text.charCodeAt((i = skipSpace(text, i)))
        const valueStart = i
        let form = OTHER
        if (c === QUOTE) {
          i = text.indexOf('"', i + 1)
          if (i > backslash) {
            i = stringEnd(text, valueStart)
            backslash = text.indexOf('\\', i)
            if (backslash < 0) backslash = text.length
          } else i++
        } else if (c >= 48 && c <= 57) {
          i = numberEnd(text, i + 1)
          form = i < 0 ? OTHER_NUMBER : PLAIN_INTEGER
          if (i < 0) i = -i
        } else if (c === 45 /* - */) {
          i = numberEnd(text, i + 1)
          // -0 is written 0 by JSON.stringify.
          form = i < 0 || (i === valueStart + 2 && text.charCodeAt(valueStart + 1) === 48) ? OTHER_NUMBER : PLAIN_INTEGER
          if (i < 0) i = -i
        } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          i = text.charCodeAt(i + 1) === c + 2 /* closes at once */ ? i + 2 : containerEnd(text, i)
          if (i > backslash) {
            backslash = text.indexOf('\\', i)
            if (backslash < 0) backslash = text.length
          }
        } else {
          // true, false, null
          i += c === 102 /* f */ ? 5 : 4
        }
        if (i < 0) return false
        this.keyStart[m] = keyStart
        this.valueStart[m] = valueStart
        this.valueEnd[m] = i
        this.form[m] = form
        this.column[m] = column
        c = text.charCodeAt(i)
        if (c === COMMA) {
          i++
          continue
        }
        if (isSpace(c)) c = text.charCodeAt((i = skipSpace(text, i)))
        if (c === CLOSE_BRACE) break
        if (c !== COMMA) return false
        i++
      }
      m++
    }
    if (m !== keys.length) return false
    this.keys = keys
    this.count = m
    this.values = Object.values(record)
    return true
  }

  /** The parsed value of a column, undefined when the line does not have it. */
  value(column: number): unknown {
    const m = this.memberOf[column]!
    return m < 0 ? undefined : this.values[m]
  }

  /** The value text of a column in the scanned line, or undefined when the line has none. */
  valueText(column: number): string | undefined {
    const m = this.memberOf[column]!
    return m < 0 ? undefined : this.text.slice(this.valueStart[m]!, this.valueEnd[m]!)
  }

  /** The key of member `m` of the scanned line. */
  key(m: number): string {
    return this.keys[m]!
  }

  /** The value text of member `m` of the scanned line. */
  memberText(m: number): string {
    return this.text.slice(this.valueStart[m]!, this.valueEnd[m]!)
  }

  /** Whether a column's number is written as JSON.stringify would write it. */
  isPlainInteger(column: number): boolean {
    const m = this.memberOf[column]!
    return m >= 0 && this.form[m] === PLAIN_INTEGER
  }

  private grow(members: number): void {
    let size = this.keyStart.length
    while (size < members) size *= 2
    const grown = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size)
      b.set(a)
      return b
    }
    this.keyStart = grown(this.keyStart, (n) => new Int32Array(n))
    this.valueStart = grown(this.valueStart, (n) => new Int32Array(n))
    this.valueEnd = grown(this.valueEnd, (n) => new Int32Array(n))
    this.column = grown(this.column, (n) => new Int32Array(n))
    this.form = grown(this.form, (n) => new Uint8Array(n))
  }
}
