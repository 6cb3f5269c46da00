// The few bits of S3's XML this project reads, found by string search: S3's answers are flat,
// machine-written and free of CDATA, so a parser would buy nothing.

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }
const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g

/** Text of the first `<tag>…</tag>` in `xml`, entities decoded; undefined when absent. */
export function xmlText(xml: string, tag: string): string | undefined {
  const open = `<${tag}>`
  const start = xml.indexOf(open)
  if (start === -1) return undefined
  const end = xml.indexOf(`</${tag}>`, start + open.length)
  if (end === -1) return undefined
  return decodeXml(xml.slice(start + open.length, end))
}

/** The inner text of every `<tag>…</tag>` in `xml`, in order, entities not decoded. */
export function xmlBlocks(xml: string, tag: string): string[] {
  const open = `<${tag}>`
  const close = `</${tag}>`
  const blocks: string[] = []
  let from = 0
  for (;;) {
    const start = xml.indexOf(open, from)
    if (start === -1) return blocks
    const end = xml.indexOf(close, start + open.length)
    if (end === -1) return blocks
    blocks.push(xml.slice(start + open.length, end))
    from = end + close.length
  }
}

export function decodeXml(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(ENTITY, (entity, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10))
    return ENTITIES[name] ?? entity
  })
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}
