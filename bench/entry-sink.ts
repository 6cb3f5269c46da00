// What the S3 runs of the benchmark need from the sink, bundled apart from bench/entry.ts so that
// the pipeline bundle (and its profile) stays as it is. The pipeline itself comes from that bundle.
import { configSchema, minPartBytes, type S3Config } from '../src/config'
import { batchStores } from '../src/ingest/stores'
import { s3ClientFor } from '../src/storage/s3'

export { configSchema }
export { PartitionedOutput } from '../src/ingest/partitioned-output'

/** The batch stores the Worker uses for SINK=s3, as src/ingest/count.ts builds them. */
export const s3Stores = (config: S3Config) => batchStores(config, s3ClientFor(config), minPartBytes(config.S3_ENDPOINT))
