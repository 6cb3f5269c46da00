import type { OutputFormat } from '../../ports'
import { CONTENT_ENCODING, CONTENT_TYPE, GzipNdjsonWriter } from './writer'

/**
 * Events as gzip NDJSON, one enriched line each: what Panther's S3 source reads, and the default.
 * @example const writer = ndjsonGzip.open(storage, 'logs/…/batch.json.gz', { fields, budget, gzipLevel: 6 })
 */
export const ndjsonGzip: OutputFormat = {
  name: 'ndjson',
  keyPrefix: 'logs/',
  extension: '.json.gz',
  contentType: CONTENT_TYPE,
  contentEncoding: CONTENT_ENCODING,
  open: (storage, key, { budget, partSize, minPartSize, gzipLevel }) => new GzipNdjsonWriter({ storage, key, budget, partSize, minPartSize, level: gzipLevel }),
}
