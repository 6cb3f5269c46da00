import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { configDefaults, defineConfig } from 'vitest/config'

/**
 * The local dev defaults of DESIGN.md, as the Worker's env in tests: they stand in for
 * `wrangler secret put` and the deploy-time vars. S3_ENDPOINT is the S3 server that
 * test/setup/s3-global.mjs starts on a free port (`inject('s3Url')`).
 */
export const testBindings = {
  INGEST_TOKEN: 'dev-token',
  S3_REGION: 'us-east-1',
  S3_BUCKET: 'cloudflare-logs',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
  PROXY_ACCESS_KEY_ID: 'logpush',
  PROXY_SECRET_ACCESS_KEY: 'logpush-secret',
}

// Tests that need Node (a browser, real S3 clients, memory figures, the CLI as a process, the build
// scripts); those that need the Worker start it on a port themselves.
const NODE_TESTS = ['test/browser/**', 'test/e2e-node/**', 'test/memory/**', 'test/cli/**', 'test/datasets/**']
// Node tests too heavy for `npm test` (a 1 GiB batch through the real stack): `npm run test:large`.
const LARGE_TESTS = ['test/large/**']

export default defineConfig({
  test: {
    // The manifest from schemas/*.yml (before any test imports it), then one local S3 server
    // (and its fault proxy) for the run.
    globalSetup: ['./test/setup/manifest-global.mjs', './test/setup/s3-global.mjs'],
    projects: [
      {
        // Everything that can run inside workerd does: the same runtime as production.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { ...testBindings, S3_ENDPOINT: inject('s3Url') } },
          })),
        ],
        test: {
          name: 'workers',
          // The first request through the Worker loads its whole module graph (seconds on a
          // busy two-core machine); the default 5 s is too tight for that one.
          testTimeout: 15_000,
          // The fuzzer's size: a few hundred cases in `npm test`, 10,000 in `npm run fuzz`.
          provide: {
            fuzzRuns: Number(process.env.FUZZ_RUNS ?? 500),
            fuzzSeed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined,
            fuzzPath: process.env.FUZZ_PATH,
          },
          include: ['test/**/*.test.{ts,tsx}', 'src/**/*.test.{ts,tsx}'],
          exclude: [...configDefaults.exclude, ...NODE_TESTS, ...LARGE_TESTS],
        },
      },
      {
        test: {
          name: 'node',
          // After the workers project, not beside it: on two cores, workerd twice plus
          // Chromium at once is slower than one after the other.
          sequence: { groupOrder: 1 },
          include: NODE_TESTS.map((dir) => `${dir}/*.test.ts`),
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // Left out of `npm test` by its `--project '!large'`.
          name: 'large',
          include: LARGE_TESTS.map((dir) => `${dir}/*.test.ts`),
          environment: 'node',
          // Minutes on a busy two-core machine: generating the body once, then two 1 GiB batches.
          testTimeout: 10 * 60_000,
          hookTimeout: 5 * 60_000,
        },
      },
    ],
  },
})
