import type { ColumnField, OutputFormat } from '../../ports'
import { type ParquetLayout, parquetLayout } from './columns'
import { CONTENT_TYPE, type ParquetCodec, ParquetObjectWriter } from './writer'

/**
 * The codec of the pages, chosen by measurement (`npm run bench -- --parquet-codecs=…`, see
 * bench/README.md): GZIP (zlib, native in workerd) makes files about half the size of the gzip
 * NDJSON of the same events and 30% smaller than SNAPPY, for about 5 ms of CPU per 1,000
 * http_requests events more than SNAPPY; ZSTD, a little smaller still, fails in workerd on pages
 * that compress to over 64 KiB; BROTLI costs far more CPU for a few per cent.
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
