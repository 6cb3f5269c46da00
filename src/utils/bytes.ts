/**
 * The bytes of `parts` in one array; the part itself when there is only one.
 * @example concatBytes([a, b]) // a then b
 */
export function concatBytes(parts: readonly Uint8Array[], total = parts.reduce((sum, part) => sum + part.byteLength, 0)): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/**
 * A body of one array or several as the arrays it is made of, in order.
 * @example bodyChunks(bytes) // [bytes]
 */
export function bodyChunks(body: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  return body instanceof Uint8Array ? [body] : body
}

/**
 * The number of bytes of a body of one array or several.
 * @example bodyLength([a, b]) === a.byteLength + b.byteLength
 */
export function bodyLength(body: Uint8Array | readonly Uint8Array[]): number {
  if (body instanceof Uint8Array) return body.byteLength
  let length = 0
  for (const chunk of body) length += chunk.byteLength
  return length
}
