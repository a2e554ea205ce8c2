import { defineConfig } from 'vitest/config'

// `npx vitest run --config examples/vitest-global/vitest.config.ts`: two test files, in
// parallel, against the one emulator that the package's vitest entry starts for the run.
// In your project: `globalSetup: ['crdb-tasks-emulator/vitest']` (here, the package's own source).
export default defineConfig({
  test: {
    include: ['examples/vitest-global/*.test.ts'],
    globalSetup: ['src/lib/vitest.ts'],
    fileParallelism: true
  }
})
