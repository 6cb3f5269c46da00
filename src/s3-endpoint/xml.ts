import type { CompletedPart } from '../ports'
import { xmlBlocks, xmlText } from '../s3-protocol/xml'

const PART_NUMBER = /^\d{1,5}$/

/**
 * Reads the part list of a CompleteMultipartUpload body. The shape is small and fixed, so a
 * strict scan beats a general XML parser; anything else in it is ignored, as S3 ignores it.
 * Returns undefined when the document is not one.
 */
export function parseCompleteMultipartUpload(xml: string): CompletedPart[] | undefined {
  const root = /<CompleteMultipartUpload\b[^>]*>([\s\S]*)<\/CompleteMultipartUpload>/.exec(xml)
  if (!root) return undefined
  const parts: CompletedPart[] = []
  for (const part of xmlBlocks(root[1]!, 'Part')) {
    const number = xmlText(part, 'PartNumber')?.trim()
    const etag = xmlText(part, 'ETag')
    if (number === undefined || !PART_NUMBER.test(number) || etag === undefined) return undefined
    parts.push({ partNumber: Number(number), etag: etag.trim() })
  }
  return parts
}
