import { type Config, minPartBytes } from '../config'
import type { ObjectStorage } from '../ports'
import { s3ClientFor } from './s3'

/** The configured object store, and the smallest multipart part it takes. */
export interface ConfiguredStorage {
  storage: ObjectStorage
  minPartSize: number
}

/**
 * The object store this configuration writes to.
 * @example const { storage, minPartSize } = storageFor(env, readConfig(env))
 */
export function storageFor(_env: Env, config: Config): ConfiguredStorage {
  return { storage: s3ClientFor(config), minPartSize: minPartBytes(config.S3_ENDPOINT) }
}
