import { timingSafeEqual as honoTimingSafeEqual } from 'hono/utils/buffer'

/**
 * Whether two secrets (a token, a signature) are equal, in time that tells nothing about where
 * they differ: the one comparison of secrets in the Worker, for tokens and SigV4 signatures
 * alike. Hono's: it hashes both sides with SHA-256 and compares hashes and texts without an
 * early exit, so the length of a secret does not show either.
 * @example if (!(await timingSafeEqual(expected, provided))) throw new SignatureError()
 */
export function timingSafeEqual(a: string, b: string): Promise<boolean> {
  return honoTimingSafeEqual(a, b)
}
