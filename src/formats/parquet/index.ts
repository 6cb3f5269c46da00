import type { ColumnField, OutputFormat } from '../../ports'
import { type ParquetLayout, parquetLayout } from './columns'
import { CONTENT_TYPE, type ParquetCodec, ParquetObjectWriter } from './writer'

/**
 * The codec of the pages, chosen by measurement (`npm run bench -- --parquet-codecs=GZIP,SNAPPY,ZSTD`,
 * 100k http_requests events into S3): GZIP (zlib, native in workerd) stored 19.1 MB against
 * SNAPPY's 27.3 MB and the gzip NDJSON's 29.9 MB, for 4% more CPU than SNAPPY (1,675 against
 * 1,607 ms per 10k events). ZSTD, a little smaller (18.8 MB), fails in workerd on a page that
 * compresses to over 64 KiB; BROTLI cost far more CPU for a few per cent.
 */
export const PARQUET_CODEC: ParquetCodec = 'GZIP'

// A row group's rows may hold half a part: with the part filling and the part in flight of the
// object writer, two partitions writing at once stay within the batch's budget of held bytes
// (five parts) without splitting their objects.
const ROW_GROUP_SHARE_OF_PART = 0.5
const DEFAULT_PART_SIZE = 8 * 1024 * 1024

// One layout per table for the isolate's life: the schema's fields are the manifest's own objects.
const layouts = new WeakMap<readonly ColumnField[], ParquetLayout>()

function layoutOf(fields: readonly ColumnField[]): ParquetLayout {
  let layout = layouts.get(fields)
  if (!layout) {
    layout = parquetLayout(fields)
    layouts.set(fields, layout)
  }
  return layout
}

/**
 * Events as Parquet files with the columns of `src/formats/parquet/columns.ts`, pages compressed
 * with `codec`.
 * @example const format = parquetFormat('ZSTD'); const writer = format.open(storage, key, { fields, budget })
 */
export function parquetFormat(codec: ParquetCodec = PARQUET_CODEC): OutputFormat {
  return {
    name: 'parquet',
    keyPrefix: 'parquet/',
    extension: '.parquet',
    contentType: CONTENT_TYPE,
    contentEncoding: undefined,
    open: (storage, key, { fields, budget, partSize = DEFAULT_PART_SIZE, minPartSize }) =>
      new ParquetObjectWriter({
        storage,
        key,
        budget,
        partSize,
        minPartSize,
        layout: layoutOf(fields),
        codec,
        rowGroupBytes: Math.floor(partSize * ROW_GROUP_SHARE_OF_PART),
      }),
  }
}

/** Parquet with the chosen codec: what OUTPUT_FORMAT=parquet writes. */
export const parquet: OutputFormat = parquetFormat()
