import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        test: { name: 'workers', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: ['test/e2e-node/**'] },
      },
      {
        // Real S3 clients (AWS SDK, aws CLI) cannot reach SELF.fetch: these start the Worker on a port.
        test: {
          name: 'node',
          include: ['test/e2e-node/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
