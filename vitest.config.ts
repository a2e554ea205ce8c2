import { defineConfig } from 'vitest/config'

/**
 * Three levels, each a project: `unit` (the engine, the emulator and the app through
 * app.inject; seconds, no build), `e2e` (real servers on 127.0.0.1: the built CLI, the library,
 * the examples) and `slow` (the packed package, the browser, kill -9). `npm test` runs all three;
 * `npm run test:unit` is the loop to run after each edit.
 */
const UNIT = ['test/engine/**/*.test.ts', 'test/emulator/**/*.test.ts', 'test/http/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/docs/**/*.test.ts', 'test/tooling/**/*.test.ts', 'test/crdb-cli/*.test.ts']
const E2E = ['test/e2e/server.test.ts', 'test/e2e/logging.test.ts', 'test/e2e/operations.test.ts', 'test/e2e/clusters.test.ts', 'test/e2e/hostile.test.ts', 'test/library/**/*.test.ts', 'test/examples/**/*.test.ts', 'test/crdb-cli/e2e/*.test.ts']
const SLOW = ['test/e2e/crash.test.ts', 'test/e2e/tls-idle.test.ts', 'test/package/**/*.test.ts', 'test/ui/**/*.test.ts']

export default defineConfig({
  test: {
    testTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      // the built server is what these start: refuse a dist/ older than src/
      { extends: true, test: { name: 'e2e', include: E2E, globalSetup: ['test/tooling/fresh-dist.ts'] } },
      { extends: true, test: { name: 'slow', include: SLOW, globalSetup: ['test/tooling/fresh-dist.ts'] } }
    ]
  }
})
