// Values the globalSetup (s3-global.mjs) provides to vitest.config.ts and to the tests.
declare module 'vitest' {
  export interface ProvidedContext {
    /** The local S3 server, e.g. http://127.0.0.1:9100 */
    s3Url: string
    /** The fault proxy in front of it, e.g. http://127.0.0.1:9101 */
    faultProxyUrl: string
  }
}
export {}
