import { basename, dirname, resolve } from 'node:path'

/** The names a file's path offers as its dataset, most specific first. */
export function namesInPath(file: string): { fileName: string; folder: string } {
  return { fileName: basename(file).split('.')[0] ?? '', folder: basename(dirname(resolve(file))) }
}

/**
 * The dataset a file's path names: its base name up to the first dot, else its folder's name,
 * whichever is served first; undefined when neither is.
 * @example datasetFromPath('logs/http_requests.unixnano.ndjson.gz', served) // 'http_requests'
 */
export function datasetFromPath(file: string, served: { has(name: string): boolean }): string | undefined {
  const { fileName, folder } = namesInPath(file)
  if (served.has(fileName)) return fileName
  return served.has(folder) ? folder : undefined
}
