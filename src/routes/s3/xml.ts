const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/'
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

export type XmlNode = string | number | boolean | undefined | XmlNode[] | { [name: string]: XmlNode }

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }
const UNESCAPES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)
}

export function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10))
    return UNESCAPES[entity]!
  })
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
 * An S3 response document; arrays repeat their element, `undefined` leaves it out.
 * @example xmlDocument('ListBucketResult', { Name: 'logs', KeyCount: 0 })
 */
export function xmlDocument(root: string, content: Record<string, XmlNode> | string, namespace = root !== 'Error'): string {
  const open = namespace ? `<${root} xmlns="${S3_NAMESPACE}">` : `<${root}>`
  const body = typeof content === 'string' ? escapeXml(content) : children(content)
  return `${DECLARATION}${open}${body}</${root}>`
}

export interface CompletedPart {
  partNumber: number
  etag: string
}

/**
 * Reads the part list of a CompleteMultipartUpload body. The shape is small and fixed, so a
 * strict scan beats a general XML parser; anything else in it is ignored, as S3 ignores it.
 * Returns undefined when the document is not one.
 */
export function parseCompleteMultipartUpload(xml: string): CompletedPart[] | undefined {
  const root = /<CompleteMultipartUpload\b[^>]*>([\s\S]*)<\/CompleteMultipartUpload>/.exec(xml)
  if (!root) return undefined
  const parts: CompletedPart[] = []
  for (const match of root[1]!.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const body = match[1]!
    const number = /<PartNumber>\s*(\d{1,5})\s*<\/PartNumber>/.exec(body)
    const etag = /<ETag>([^<]*)<\/ETag>/.exec(body)
    if (!number || !etag) return undefined
    parts.push({ partNumber: Number(number[1]), etag: unescapeXml(etag[1]!).trim() })
  }
  return parts
}
