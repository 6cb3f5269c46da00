// Values the globalSetup (s3-global.mjs) and vitest.config.ts provide to the tests.
declare module 'vitest' {
  export interface ProvidedContext {
    /** The local S3 server, e.g. http://127.0.0.1:9100 */
    s3Url: string
    /** The fault proxy in front of it, e.g. http://127.0.0.1:9101 */
    faultProxyUrl: string
    /** Cases of the property-based fuzzer (test/fuzz): FUZZ_RUNS, default 500. */
    fuzzRuns: number
    /** FUZZ_SEED, to replay a failing fuzz run. */
    fuzzSeed: number | undefined
    /** FUZZ_PATH with FUZZ_SEED: replays exactly the failing case that fast-check reported. */
    fuzzPath: string | undefined
  }
}
export {}
