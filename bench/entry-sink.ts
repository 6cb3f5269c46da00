// What the S3 runs of the benchmark need from the sink, bundled apart from bench/entry.ts so that
// the pipeline bundle (and its profile) stays as it is. The pipeline itself comes from that bundle.
import { configSchema, minPartBytes, type S3Config } from '../src/config'
import { batchStores } from '../src/ingest/stores'
import { s3ClientFor } from '../src/storage/s3'
import { parquetFormat } from '../src/formats/parquet'
import type { ParquetCodec } from '../src/formats/parquet/writer'

export { configSchema }
export { PartitionedOutput } from '../src/ingest/partitioned-output'

/** The batch stores the Worker uses for SINK=s3, as src/ingest/count.ts builds them. */
export const s3Stores = (config: S3Config) => batchStores(config, s3ClientFor(config), minPartBytes(config.S3_ENDPOINT))

/** The same stores writing Parquet with `codec` (SNAPPY, GZIP, ZSTD, BROTLI), to compare codecs. */
export const s3ParquetStores = (config: S3Config, codec: ParquetCodec) =>
  batchStores(config, s3ClientFor(config), minPartBytes(config.S3_ENDPOINT), [parquetFormat(codec)])
