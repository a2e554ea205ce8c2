// A default Jest project (CommonJS, Jest's own runtime, no --experimental-vm-modules) using the
// emulator: `npx jest --config examples/jest/jest.config.cjs` (test/package/jest.test.ts runs
// it). tasks.test.cjs starts an emulator of its own; shared.test.cjs uses a namespace of the one
// that global-setup.cjs starts for the whole run.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*.test.cjs'],
  globalSetup: '<rootDir>/global-setup.cjs',
  globalTeardown: '<rootDir>/global-teardown.cjs'
}
