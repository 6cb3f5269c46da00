import { type Dirent, existsSync, opendirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UsageError } from '../../command'
import { FORMAT_LAYOUT, type LakeFormat, PARTITIONS } from './table'

/** The local S3 server's folder under `npm start`'s data folder: the bucket `cloudflare-logs` (scripts/start.mjs). */
export const LOCAL_BUCKET = join('s3', 'cloudflare-logs')
/** s3rver keeps an object's bytes in a file named after its key with this suffix (and its metadata beside it). */
export const S3RVER_OBJECT_SUFFIX = '._S3rver_object'

/** Where a bucket's prefix is: on S3 (`s3://bucket/prefix/`) or in a local folder. */
export type Location =
  | { kind: 's3'; bucket: string; prefix: string; url: string }
  | {
      kind: 'local'
      /** The absolute folder that holds `logs/` and `parquet/`. */
      root: string
      /** What follows an object's key in its file's name: '' for a plain copy, or s3rver's suffix. */
      suffix: string
    }

const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/

/**
 * A `--location`: an `s3://bucket/prefix/` URL (a prefix always ends in `/`), or a local folder
 * that holds the bucket's `logs/` and `parquet/`: a copy of the bucket (`aws s3 sync`), the
 * local S3 server's bucket folder, or `npm start`'s data folder (`.data/`), which holds it.
 * @example parseLocation('s3://my-logs/cloudflare') // { kind: 's3', bucket: 'my-logs', prefix: 'cloudflare/', url: 's3://my-logs/cloudflare/' }
 */
export function parseLocation(text: string): Location {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const m = S3_URL.exec(text)
    if (!m)
      throw new UsageError(
        `--location ${text}: expected s3://<bucket>/<prefix>/ (a bucket name of lower-case letters, digits, dots and dashes) or a local folder`,
      )
    const bucket = m[1]!
    let prefix = m[2] ?? ''
    if (prefix !== '' && !prefix.endsWith('/')) prefix += '/'
    return { kind: 's3', bucket, prefix, url: `s3://${bucket}/${prefix}` }
  }
  const folder = resolve(text)
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--location ${text}: no such folder (give s3://<bucket>/<prefix>/ or a folder holding logs/ or parquet/, such as npm start's .data/)`)
  }
  const bucket = join(folder, LOCAL_BUCKET)
  const root = existsSync(bucket) ? bucket : folder
  return { kind: 'local', root, suffix: storedBySuffix(root) ? S3RVER_OBJECT_SUFFIX : '' }
}

/** The first file under `dir` (depth first) whose name `accept`s; undefined when there is none. */
function firstFile(dir: string, accept: (name: string) => boolean): string | undefined {
  let handle: ReturnType<typeof opendirSync>
  try {
    handle = opendirSync(dir)
  } catch {
    return undefined
  }
  try {
    for (let entry: Dirent | null = handle.readSync(); entry !== null; entry = handle.readSync()) {
      const path = join(dir, entry.name)
      if (entry.isFile() && accept(entry.name)) return path
      if (entry.isDirectory()) {
        const found = firstFile(path, accept)
        if (found) return found
      }
    }
    return undefined
  } finally {
    handle.closeSync()
  }
}

// Whether the objects under `root` are s3rver's files, told by the first one found.
function storedBySuffix(root: string): boolean {
  for (const { folder, extension } of Object.values(FORMAT_LAYOUT)) {
    const file = firstFile(join(root, folder), (name) => name.endsWith(extension) || name.endsWith(`${extension}${S3RVER_OBJECT_SUFFIX}`))
    if (file) return file.endsWith(S3RVER_OBJECT_SUFFIX)
  }
  return false
}

/** The table's folder in a format: `<location>/<logs|parquet>/<table>/`. */
export function tableLocation(location: Location, format: LakeFormat, table: string): string {
  const folder = `${FORMAT_LAYOUT[format].folder}${table}/`
  return location.kind === 's3' ? `${location.url}${folder}` : `${location.root}/${folder}`
}

/**
 * The glob of a table's objects, for DuckDB: one file per partition folder and object.
 * @example tableGlob(parseLocation('s3://b/p/'), 'ndjson', 't') // 's3://b/p/logs/t/year=*\/month=*\/day=*\/hour=*\/*.json.gz'
 */
export function tableGlob(location: Location, format: LakeFormat, table: string): string {
  const suffix = location.kind === 'local' ? location.suffix : ''
  return `${tableLocation(location, format, table)}${PARTITIONS.map((p) => `${p}=*/`).join('')}*${FORMAT_LAYOUT[format].extension}${suffix}`
}

/** Whether a local table has at least one object in a format. */
export function hasObjects(location: Extract<Location, { kind: 'local' }>, format: LakeFormat, table: string): boolean {
  const ending = `${FORMAT_LAYOUT[format].extension}${location.suffix}`
  return firstFile(tableLocation(location, format, table), (name) => name.endsWith(ending)) !== undefined
}
