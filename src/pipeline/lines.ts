import { concatBytes } from '../utils/bytes'
import { UndecodableBodyError } from './errors'

const LF = 10
const CR = 13
const OVERSIZE_HEAD_BYTES = 1024
const encoder = new TextEncoder()

/** Receives the non-blank lines of a batch, numbered from 1 by physical line. */
export interface LineHandler {
  line(text: string, lineNo: number): void | Promise<void>
  /** A line longer than the cap: only its first bytes are kept, never the whole line. */
  oversize(lineNo: number, head: string, bytes: number): void | Promise<void>
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c !== 32 && c !== 9 && c !== 13) return false
  }
  return true
}

function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? (i++, 4) : 3
  }
  return n
}

/**
 * The head kept of an over-long line: its first OVERSIZE_HEAD_BYTES, cut back to a whole character
 * (`bytes` holds one byte more when the line goes on), a BOM dropped.
 */
function headOf(bytes: Uint8Array): string {
  let end = bytes.byteLength
  if (end > OVERSIZE_HEAD_BYTES) {
    end = OVERSIZE_HEAD_BYTES
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  }
  return new TextDecoder('utf-8').decode(bytes.subarray(0, end))
}

/** Index of the first LF-separated line of `bytes` that is not valid UTF-8 (only on the failure path). */
function firstBadLine(bytes: Uint8Array): number {
  const check = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  for (let start = 0, n = 0; ; n++) {
    const nl = bytes.indexOf(LF, start)
    try {
      check.decode(bytes.subarray(start, nl < 0 ? bytes.byteLength : nl))
    } catch {
      return n
    }
    if (nl < 0) return n
    start = nl + 1
  }
}

/**
 * Splits NDJSON bytes into lines: on the LF byte (never inside a UTF-8 sequence), so whole runs of
 * lines decode in one call. Handles CRLF, a BOM, blank lines, a missing final newline, lines and
 * characters split across chunks. A line over `maxLineBytes` is reported, not buffered.
 * Invalid UTF-8 fails the batch with UndecodableBodyError.
 * @example const lines = await splitLines(ndjson, 1 << 20, handler)
 */
export async function splitLines(stream: ReadableStream<Uint8Array>, maxLineBytes: number, handler: LineHandler): Promise<number> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  let lineNo = 0
  let carry: Uint8Array[] = []
  let carryBytes = 0
  let discarding = false
  let head: Uint8Array[] = []
  let headBytes = 0
  let lastByte = -1
  // Bytes of an over-long line are dropped, but still checked: invalid UTF-8 fails the batch
  // wherever the chunks are cut.
  const validator = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

  const decode = (bytes: Uint8Array): string => {
    try {
      return decoder.decode(bytes)
    } catch {
      // A run of lines is decoded at once: name the line that holds the bad bytes.
      throw new UndecodableBodyError(`body is not valid UTF-8 (near line ${lineNo + 1 + firstBadLine(bytes)})`)
    }
  }

  const emit = async (raw: string): Promise<void> => {
    lineNo++
    let text = raw.charCodeAt(raw.length - 1) === CR ? raw.slice(0, -1) : raw
    // Measured as a line that spans chunks is: its bytes without the line end, a BOM included.
    if (text.length * 3 > maxLineBytes) {
      const bytes = utf8Length(text)
      if (bytes > maxLineBytes) {
        await handler.oversize(lineNo, headOf(encoder.encode(text.slice(0, OVERSIZE_HEAD_BYTES + 1))), bytes)
        return
      }
    }
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    if (isBlank(text)) return
    await handler.line(text, lineNo)
  }

  const validate = (bytes: Uint8Array, last: boolean): void => {
    try {
      validator.decode(bytes, { stream: !last })
    } catch {
      throw new UndecodableBodyError(`body is not valid UTF-8 (near line ${lineNo + 1})`)
    }
  }

  const discard = (piece: Uint8Array): void => {
    if (headBytes <= OVERSIZE_HEAD_BYTES) {
      const part = piece.subarray(0, OVERSIZE_HEAD_BYTES + 1 - headBytes)
      head.push(part)
      headBytes += part.byteLength
    }
    validate(piece, false)
  }

  const takeIntoCarry = (piece: Uint8Array): void => {
    if (piece.byteLength > 0) lastByte = piece[piece.byteLength - 1]!
    if (discarding) {
      discard(piece)
    } else if (carryBytes + piece.byteLength > maxLineBytes + 1) {
      // Over the cap (one byte of room for a CR, which is not part of the line): keep only a head
      // for the quarantine record; the rest is counted and dropped.
      discarding = true
      for (const c of carry) discard(c)
      discard(piece)
      carry = []
    } else {
      carry.push(piece)
    }
    carryBytes += piece.byteLength
  }

  const finishCarry = async (): Promise<void> => {
    if (discarding) {
      validate(new Uint8Array(0), true)
      lineNo++
      const endsInCr = lastByte === CR ? 1 : 0
      // The head holds the whole line when the cap is below the head size: leave its CR out.
      const kept = concatBytes(head, headBytes)
      await handler.oversize(lineNo, headOf(headBytes >= carryBytes ? kept.subarray(0, headBytes - endsInCr) : kept), carryBytes - endsInCr)
    } else if (carryBytes > 0) {
      await emit(decode(concatBytes(carry, carryBytes)))
    }
    carry = []
    carryBytes = 0
    discarding = false
    head = []
    headBytes = 0
    lastByte = -1
  }

  const reader = stream.getReader()
  for (;;) {
    const { done, value: chunk } = await reader.read()
    if (done) break
    let pos = 0
    if (carryBytes > 0) {
      const nl = chunk.indexOf(LF)
      if (nl < 0) {
        takeIntoCarry(chunk)
        continue
      }
      takeIntoCarry(chunk.subarray(0, nl))
      await finishCarry()
      pos = nl + 1
    }
    const last = chunk.lastIndexOf(LF)
    if (last >= pos) {
      const lines = decode(chunk.subarray(pos, last)).split('\n')
      for (let i = 0; i < lines.length; i++) await emit(lines[i]!)
      pos = last + 1
    }
    if (pos < chunk.byteLength) takeIntoCarry(chunk.subarray(pos))
  }
  await finishCarry()
  return lineNo
}
