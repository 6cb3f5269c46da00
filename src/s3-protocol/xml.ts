// S3's XML both ways, by string work: S3's documents are flat, machine-written and free of CDATA,
// so a parser would buy nothing. The sink's client reads S3's answers and writes its Complete
// body; the S3 endpoint reads a sender's Complete body and writes S3's answers.

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/'
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }
const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g
const MAX_CODE_POINT = 0x10ffff

export type XmlNode = string | number | boolean | undefined | XmlNode[] | { [name: string]: XmlNode }

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

/** Decodes the five named entities and character references; any other `&…;` stays as written. */
export function decodeXml(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(ENTITY, (entity, name: string) => {
    if (!name.startsWith('#')) return ENTITIES[name] ?? entity
    const codePoint = name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
    // Text from a sender: a reference past Unicode must not throw.
    return codePoint <= MAX_CODE_POINT ? String.fromCodePoint(codePoint) : entity
  })
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

function element(name: string, node: XmlNode): string {
  if (node === undefined) return ''
  if (Array.isArray(node)) return node.map((item) => element(name, item)).join('')
  if (typeof node === 'object') return `<${name}>${children(node)}</${name}>`
  return `<${name}>${escapeXml(String(node))}</${name}>`
}

function children(nodes: Record<string, XmlNode>): string {
  return Object.entries(nodes)
    .map(([name, node]) => element(name, node))
    .join('')
}

/**
 * An S3 XML document; arrays repeat their element, `undefined` leaves it out. Every root but
 * `Error` carries S3's namespace, as S3's own documents do.
 * @example xmlDocument('ListBucketResult', { Name: 'logs', KeyCount: 0 })
 */
export function xmlDocument(root: string, content: Record<string, XmlNode> | string, namespace = root !== 'Error'): string {
  const open = namespace ? `<${root} xmlns="${S3_NAMESPACE}">` : `<${root}>`
  const body = typeof content === 'string' ? escapeXml(content) : children(content)
  return `${DECLARATION}${open}${body}</${root}>`
}
