const CHALLENGE_NAME = /^ownership-challenge[^/]*\.txt$/i

/** True for Logpush's ownership-challenge object (`ownership-challenge*.txt`, any folder). */
export function isOwnershipChallenge(key: string): boolean {
  return CHALLENGE_NAME.test(key.slice(key.lastIndexOf('/') + 1))
}

/**
 * The dataset an object key belongs to: the longest configured prefix that starts the key, else
 * the key's first folder. Logpush's object names are not documented (`{DATE}` folders, `.log.gz`,
 * `.gz`, anything), so nothing after the dataset is read. Undefined for a key with no folder.
 * @example datasetForKey('http_requests/20261125/20261125T101010Z_20261125T101110Z_abcd.log.gz') // 'http_requests'
 */
export function datasetForKey(key: string, prefixes?: Record<string, string>): string | undefined {
  const path = key.replace(/^\/+/, '')
  let best: string | undefined
  for (const prefix of Object.keys(prefixes ?? {})) {
    if (path.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix
  }
  if (best !== undefined) return prefixes![best]
  const slash = path.indexOf('/')
  return slash > 0 ? path.slice(0, slash) : undefined
}
