import { z } from 'zod'
import { knownDatasets } from './schema/registry'

const byteCount = z.coerce.number().int().positive()
const millis = z.coerce.number().int().positive()
const GZIP_LEVEL_RANGE = 'must be an integer from 1 (fastest) to 9 (smallest)'
// S3 (and R2, MinIO) refuse multipart parts under 5 MiB, except the last one.
const MIN_PART_BYTES = 5 * 1024 * 1024
const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])
// The names of src/formats' output formats (config may not import formats), in the order a batch
// writes them.
const FORMAT_NAMES = ['ndjson', 'parquet'] as const
const OUTPUT_FORMAT_NAMES = 'must be ndjson, parquet or ndjson,parquet'

/**
 * The smallest multipart part the S3 endpoint takes: S3's 5 MiB, except for a server on this
 * machine (the local s3rver accepts any size), so that tests and `npm start` reach the
 * multipart path with kilobytes rather than megabytes.
 * @example minPartBytes('https://s3.us-east-1.amazonaws.com') // 5242880
 */
export function minPartBytes(endpoint: string): number {
  try {
    return LOOPBACK_HOSTS.has(new URL(endpoint).hostname) ? 1 : MIN_PART_BYTES
  } catch {
    return MIN_PART_BYTES
  }
}

const hostname = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const datasetName = /^[a-z0-9_]+$/

// A JSON object in a string (a secret or a plain var) or already an object (a wrangler.toml table).
const jsonObject = z.unknown().transform((value, ctx) => {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value) as unknown
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object' })
    return z.NEVER
  }
})

// The settings every sink shares. Several keep their S3_ names from before R2 was a sink; they
// apply to both (S3_PREFIX, S3_PART_BYTES and the S3_ request times).
export const commonSettings = z.object({
  S3_PREFIX: z
    .string()
    .default('')
    .refine((p) => p === '' || p.endsWith('/'), 'must be empty or end with "/"'),
  INGEST_TOKEN: z.string().min(8, 'must be at least 8 characters'),
  STATS_TOKEN: z.string().min(8).optional(),
  SOURCE_ID: z.string().min(1).default('logpush-edge'),
  SOURCE_LABEL: z.string().min(1).default('cloudflare-logpush'),
  MAX_BODY_BYTES: byteCount.default(100 * 1024 * 1024),
  MAX_DECOMPRESSED_BYTES: byteCount.default(1024 * 1024 * 1024),
  MAX_LINE_BYTES: byteCount.default(1024 * 1024),
  /** Bodies up to this size are held in memory while processed; larger ones are staged in the bucket. */
  SPOOL_MEMORY_BYTES: byteCount.default(8 * 1024 * 1024),
  /** One storage request, up to its answer; a request that takes longer is retried. */
  S3_REQUEST_TIMEOUT_MS: millis.default(30_000),
  /** First back-off before retrying a failed storage request; it doubles per retry, up to 2 s, with jitter. */
  S3_RETRY_BASE_DELAY_MS: millis.default(100),
  /**
   * The longest one batch may wait on storage with no storage call answering, retries and
   * back-off included; its own parsing and compressing do not count. Keep it below the sender's
   * own timeout.
   */
  S3_BATCH_BUDGET_MS: millis.default(60_000),
  /** Multipart part size, and the largest object sent with one PUT; each open object holds about two parts. */
  S3_PART_BYTES: byteCount.max(MAX_PART_BYTES).default(8 * 1024 * 1024),
  /**
   * gzip level of the objects written. Its default is in wrangler.toml [vars], not here: unset
   * (an env built by hand, as in tests) leaves zlib's own, 6.
   */
  GZIP_LEVEL: z.coerce.number({ error: GZIP_LEVEL_RANGE }).int(GZIP_LEVEL_RANGE).min(1, GZIP_LEVEL_RANGE).max(9, GZIP_LEVEL_RANGE).optional(),
  /** The formats of the objects of events (src/formats), each under its own prefix; quarantine is gzip NDJSON whatever they are. */
  OUTPUT_FORMAT: z
    .string()
    .default('ndjson')
    .transform((value, ctx) => {
      const names = value.split(',').map((name) => name.trim())
      const known = names.every((name) => (FORMAT_NAMES as readonly string[]).includes(name))
      if (!known || names.length === 0 || new Set(names).size !== names.length) {
        ctx.addIssue({ code: 'custom', message: OUTPUT_FORMAT_NAMES })
        return z.NEVER
      }
      return FORMAT_NAMES.filter((name) => names.includes(name))
    }),
  PROXY_ACCESS_KEY_ID: z.string().min(1).optional(),
  PROXY_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  // Virtual-host style S3 (`<bucket>.<S3_PROXY_HOST>`) and path style at the root of this host.
  S3_PROXY_HOST: z.string().toLowerCase().regex(hostname, 'must be a host name without scheme or port').optional(),
  // Comma-separated bucket names the S3 endpoint answers for; unset: any valid bucket name.
  S3_PROXY_BUCKETS: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(bucketName, 'must be S3 bucket names')).min(1))
    .optional(),
  // Object key prefix -> dataset, e.g. {"cloudflare/http/": "http_requests"}; longest prefix wins.
  S3_PROXY_DATASETS: jsonObject.pipe(z.record(z.string().min(1), z.string().regex(datasetName, 'must map prefixes to dataset names'))).optional(),
})

// What a missing S3 setting says: it is missing only because the default sink needs it.
const forS3 = (rule: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required with SINK=s3 (the default); SINK=r2 writes to the LOGS_BUCKET binding instead' : rule

const s3Settings = commonSettings.extend({
  SINK: z.literal('s3'),
  S3_ENDPOINT: z.url({ error: forS3('must be an http(s) URL') }),
  S3_REGION: z.string({ error: forS3('must be a string') }).min(1),
  S3_BUCKET: z.string({ error: forS3('must be a string') }).min(1),
  AWS_ACCESS_KEY_ID: z.string({ error: forS3('must be a string') }).min(1),
  AWS_SECRET_ACCESS_KEY: z.string({ error: forS3('must be a string') }).min(1),
})

const isR2Bucket = (value: unknown): value is R2Bucket =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as R2Bucket).put === 'function' &&
  typeof (value as R2Bucket).createMultipartUpload === 'function'

const r2Settings = commonSettings.extend({
  SINK: z.literal('r2'),
  // A binding, not a string: [[r2_buckets]] in wrangler.toml puts it in the env.
  LOGS_BUCKET: z.custom<R2Bucket>(isR2Bucket, {
    error: 'SINK=r2 needs the R2 bucket binding LOGS_BUCKET ([[r2_buckets]] binding = "LOGS_BUCKET" in wrangler.toml)',
  }),
})

// SINK unset or empty is the default sink, so that the union can tell the two apart.
function withDefaultSink(env: unknown): unknown {
  if (typeof env !== 'object' || env === null) return env
  const sink = (env as { SINK?: unknown }).SINK
  return sink === undefined || sink === '' ? { ...env, SINK: 's3' } : env
}

/**
 * The service's settings, read from the Worker's env once per isolate: those of every sink, and
 * those of the chosen one (`SINK`: `s3`, the default, or `r2`).
 * Secrets (keys, tokens) come from `wrangler secret put` or `.dev.vars`, never wrangler.toml.
 */
export const configSchema = z
  .preprocess(
    withDefaultSink,
    z.discriminatedUnion('SINK', [s3Settings, r2Settings], {
      error: (issue) => (issue.code === 'invalid_union' ? 'must be "s3" (the default) or "r2"' : undefined),
    }),
  )
  .superRefine((config, ctx) => {
    // A mapping to a dataset nobody serves would turn every object under its prefix into a 4xx
    // that Logpush drops: refuse it where the configuration is read, so /healthz names it.
    const served = new Set(knownDatasets())
    for (const [prefix, dataset] of Object.entries(config.S3_PROXY_DATASETS ?? {})) {
      if (!served.has(dataset)) {
        ctx.addIssue({
          code: 'custom',
          path: ['S3_PROXY_DATASETS'],
          message: `maps "${prefix.slice(0, 64)}" to "${dataset}", which is not a served dataset (served: ${[...served].join(', ')})`,
        })
      }
    }
    if (config.S3_PART_BYTES >= minPartBytesOf(config)) return
    const message =
      config.SINK === 'r2'
        ? `must be at least 5 MiB (${MIN_PART_BYTES}): R2 refuses smaller parts`
        : `must be at least 5 MiB (${MIN_PART_BYTES}): S3 refuses smaller parts (only a server on 127.0.0.1 or localhost may take less)`
    ctx.addIssue({ code: 'custom', path: ['S3_PART_BYTES'], message })
  })

export type Config = z.infer<typeof configSchema>
/** The settings with SINK=s3: the S3 endpoint, bucket and keys. */
export type S3Config = Extract<Config, { SINK: 's3' }>
/** The settings with SINK=r2: the LOGS_BUCKET binding. */
export type R2Config = Extract<Config, { SINK: 'r2' }>

/**
 * The smallest multipart part the configured sink takes. R2 takes no less than 5 MiB anywhere:
 * Miniflare's local R2 enforces it too.
 * @example minPartBytesOf(readConfig(env))
 */
export function minPartBytesOf(config: Config): number {
  return config.SINK === 'r2' ? MIN_PART_BYTES : minPartBytes(config.S3_ENDPOINT)
}

/** Thrown when the env does not hold a valid configuration; names every bad variable, never a value. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
  }
}

const cache = new WeakMap<object, Config>()

/**
 * Parses the env into a typed Config, once per env object.
 * @example const config = readConfig(c.env)
 */
export function readConfig(env: object): Config {
  const cached = cache.get(env)
  if (cached) return cached
  const parsed = configSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`))
  }
  cache.set(env, parsed.data)
  return parsed.data
}
