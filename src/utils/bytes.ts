/**
 * The bytes of `parts` in one array; the part itself when there is only one.
 * @example concatBytes([a, b]) // a then b
 */
export function concatBytes(parts: Uint8Array[], total = parts.reduce((sum, part) => sum + part.byteLength, 0)): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}
