import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [
    // The bindings stand in for `wrangler secret put` and the deploy-time vars: local S3 from
    // test/setup/s3-global.mjs, and the dev credentials of DESIGN.md.
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          S3_ENDPOINT: inject('s3Url'),
          S3_REGION: 'us-east-1',
          S3_BUCKET: 'cloudflare-logs',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local-secret',
          INGEST_TOKEN: 'dev-token',
          PROXY_ACCESS_KEY_ID: 'logpush',
          PROXY_SECRET_ACCESS_KEY: 'logpush-secret',
        },
      },
    })),
  ],
  test: {
    globalSetup: ['./test/setup/s3-global.mjs'],
  },
})
