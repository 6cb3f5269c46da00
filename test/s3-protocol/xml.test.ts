import { describe, expect, it } from 'vitest'
import { parseCompleteMultipartUpload } from '../../src/s3-endpoint/xml'
import { decodeXml, escapeXml, xmlBlocks, xmlDocument, xmlText } from '../../src/s3-protocol/xml'

describe('S3 XML helpers', () => {
  it('escapes and decodes the five entities and character references', () => {
    const text = `"a" & 'b' <c>`
    expect(escapeXml(text)).toBe('&quot;a&quot; &amp; &apos;b&apos; &lt;c&gt;')
    expect(decodeXml(escapeXml(text))).toBe(text)
    expect(decodeXml('&#233;&#xE9;&nbsp;')).toBe('éé&nbsp;')
  })

  it('leaves a character reference past Unicode as written instead of throwing', () => {
    expect(decodeXml('"&#x110000;" &#99999999999;')).toBe('"&#x110000;" &#99999999999;')
  })

  it('reads the first text of a tag and every block of another', () => {
    const xml = '<R><Contents><Key>a&amp;b</Key></Contents><Contents><Key>c</Key></Contents><IsTruncated>false</IsTruncated></R>'
    expect(xmlBlocks(xml, 'Contents').map((block) => xmlText(block, 'Key'))).toEqual(['a&b', 'c'])
    expect(xmlText(xml, 'IsTruncated')).toBe('false')
    expect(xmlText(xml, 'Missing')).toBeUndefined()
  })

  it('writes documents with S3 namespace, repeated elements and escaped text', () => {
    expect(xmlDocument('ListBucketResult', { Name: 'logs', Prefix: undefined, Contents: [{ Key: 'a<b' }, { Key: 'c' }] })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Name>logs</Name><Contents><Key>a&lt;b</Key></Contents><Contents><Key>c</Key></Contents></ListBucketResult>',
    )
    expect(xmlDocument('Error', { Code: 'NoSuchUpload' })).toContain('<Error><Code>NoSuchUpload</Code></Error>')
  })
})

describe('parseCompleteMultipartUpload', () => {
  it('reads the Complete body the sink writes', () => {
    const parts = [
      { partNumber: 1, etag: '"0123"' },
      { partNumber: 10000, etag: '"abcd"' },
    ]
    const body = xmlDocument('CompleteMultipartUpload', { Part: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) })
    expect(parseCompleteMultipartUpload(body)).toEqual(parts)
  })

  it('reads the AWS SDK shape: ETag first, checksums beside, white space around', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <Part><ETag>&quot;0123&quot;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32><PartNumber> 2 </PartNumber></Part>
    </CompleteMultipartUpload>`
    expect(parseCompleteMultipartUpload(xml)).toEqual([{ partNumber: 2, etag: '"0123"' }])
  })

  it('refuses what is not one', () => {
    expect(parseCompleteMultipartUpload('<nope/>')).toBeUndefined()
    expect(
      parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>'),
    ).toBeUndefined()
    expect(parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>')).toBeUndefined()
    expect(
      parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><PartNumber>123456</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>'),
    ).toBeUndefined()
  })
})
