// The secrets of this run (the ingest token, the API token), kept out of everything it prints.
const secrets = new Set<string>()

const MASK = '***'
// A token this short would mask ordinary words; the Worker refuses ingest tokens under 8 characters.
const MIN_SECRET_LENGTH = 8

/**
 * Registers a secret: from now on `redact` masks it, as given and percent-encoded (as it sits in
 * a destination URL).
 * @example addSecret(ingestToken)
 */
export function addSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH) return
  secrets.add(secret)
  secrets.add(encodeURIComponent(secret))
}

/**
 * `text` with every registered secret replaced by `***`.
 * @example redact('https://w.example/logpush/dns_logs?header_Authorization=Bearer%20s3cret-token') // '...Bearer%20***'
 */
export function redact(text: string): string {
  let out = text
  for (const secret of secrets) out = out.replaceAll(secret, MASK)
  return out
}
