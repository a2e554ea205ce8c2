import { defineConfig } from 'vitest/config'

// `npx vitest run --config examples/parallel/vitest.config.ts`: three test files, in parallel,
// against one emulator.
export default defineConfig({
  test: {
    include: ['examples/parallel/*.test.ts'],
    globalSetup: ['examples/parallel/global-setup.ts'],
    fileParallelism: true
  }
})
