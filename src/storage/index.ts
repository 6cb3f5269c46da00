import { type Config, minPartBytesOf } from '../config'
import type { ObjectStorage } from '../ports'
import { r2StorageFor } from './r2'
import { s3ClientFor } from './s3'

/** The configured object store, and the smallest multipart part it takes. */
export interface ConfiguredStorage {
  storage: ObjectStorage
  minPartSize: number
}

/**
 * The object store this configuration writes to: SINK=s3 (the default) any S3-compatible
 * endpoint, SINK=r2 the Worker's R2 binding LOGS_BUCKET (checked present by the config).
 * @example const { storage, minPartSize } = storageFor(env, readConfig(env))
 */
export function storageFor(_env: Env, config: Config): ConfiguredStorage {
  const storage = config.SINK === 'r2' ? r2StorageFor(config) : s3ClientFor(config)
  return { storage, minPartSize: minPartBytesOf(config) }
}
