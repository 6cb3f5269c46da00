import { z } from 'zod'

const byteCount = z.coerce.number().int().positive()

/**
 * The service's settings, read from the Worker's env once per isolate.
 * Secrets (keys, tokens) come from `wrangler secret put` or `.dev.vars`, never wrangler.toml.
 */
export const configSchema = z.object({
  S3_ENDPOINT: z.url(),
  S3_REGION: z.string().min(1),
  S3_BUCKET: z.string().min(1),
  S3_PREFIX: z
    .string()
    .default('')
    .refine((p) => p === '' || p.endsWith('/'), 'must be empty or end with "/"'),
  AWS_ACCESS_KEY_ID: z.string().min(1),
  AWS_SECRET_ACCESS_KEY: z.string().min(1),
  INGEST_TOKEN: z.string().min(8, 'must be at least 8 characters'),
  STATS_TOKEN: z.string().min(8).optional(),
  SOURCE_ID: z.string().min(1).default('logpush-edge'),
  SOURCE_LABEL: z.string().min(1).default('cloudflare-logpush'),
  MAX_BODY_BYTES: byteCount.default(100 * 1024 * 1024),
  MAX_DECOMPRESSED_BYTES: byteCount.default(1024 * 1024 * 1024),
  MAX_LINE_BYTES: byteCount.default(1024 * 1024),
  /** Bodies up to this size are held in memory while processed; larger ones are staged in S3. */
  SPOOL_MEMORY_BYTES: byteCount.default(8 * 1024 * 1024),
  PROXY_ACCESS_KEY_ID: z.string().min(1).optional(),
  PROXY_SECRET_ACCESS_KEY: z.string().min(1).optional(),
})

export type Config = z.infer<typeof configSchema>

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
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`),
    )
  }
  cache.set(env, parsed.data)
  return parsed.data
}
