import { describe, expect, it } from 'vitest'
import httpUnixnano from '../../fixtures/http_requests.unixnano.ndjson?raw'
import { outputFormats } from '../../src/formats'
import { ndjsonGzip } from '../../src/formats/ndjson-gzip'
import { eventsKey } from '../../src/ingest/layout'
import { EventParser } from '../../src/pipeline/parse'
import { schemaFiles, schemas } from '../../src/schema/registry'
import { S3Client } from '../../src/storage/s3/client'
import { batchContext, gunzip } from '../helpers/streams'
import { s3Options, uniquePrefix } from '../storage/helpers'

describe('the gzip NDJSON output format', () => {
  it("is the registry's ndjson, with the contract's place in the layout", () => {
    expect(outputFormats.ndjson).toBe(ndjsonGzip)
    for (const [name, format] of Object.entries(outputFormats)) expect(format.name).toBe(name)
    expect(eventsKey('p/', ndjsonGzip, 'cloudflare_httprequest', '2022-05-25 13', 'ab12')).toBe(
      'p/logs/cloudflare_httprequest/year=2022/month=05/day=25/hour=13/ab12.json.gz',
    )
  })

  it("stores each event's line as the parser wrote it, with the format's headers", async () => {
    const s3 = new S3Client(s3Options())
    const schema = schemas().get('http_requests')!
    const parser = new EventParser(schema, { ...batchContext, logType: schema.logType })
    const key = eventsKey(uniquePrefix('ndjson-format'), ndjsonGzip, schema.table, '2022-05-25 13', batchContext.batchId)
    const writer = ndjsonGzip.open(s3, key, { fields: schemaFiles().http_requests!.fields, minPartSize: 1, gzipLevel: 1 })
    const lines: string[] = []
    for (const [i, text] of httpUnixnano.trim().split('\n').entries()) {
      expect(parser.parse(text, i + 1)).toBe(true)
      lines.push(parser.json)
      await writer.write(parser)
    }
    const stored = await writer.close()
    expect(stored).toMatchObject({ key, parts: 1 })

    const res = await s3.getObject(key)
    expect(res?.headers.get('Content-Type')).toBe(ndjsonGzip.contentType)
    expect(res?.headers.get('Content-Encoding')).toBe(ndjsonGzip.contentEncoding)
    const text = new TextDecoder().decode(await gunzip(new Uint8Array(await res!.arrayBuffer())))
    expect(text).toBe(`${lines.join('\n')}\n`)
  })
})
