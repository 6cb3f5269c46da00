// What the S3 runs of the benchmark need from the sink, bundled apart from bench/entry.ts so that
// the pipeline bundle (and its profile) stays as it is. The pipeline itself comes from that bundle.
export { configSchema } from '../src/config'
export { PartitionedOutput } from '../src/ingest/partitioned-output'
export { s3Stores } from '../src/ingest/stores'
