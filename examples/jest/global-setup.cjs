// Jest's globalSetup runs once, in Jest's own process, before any test file: one emulator for
// the run, its URL handed to the test files (in their workers) through the environment.
const { createEmulator } = require('crdb-tasks-emulator')

module.exports = async function globalSetup () {
  globalThis.crdbTasksEmulator = await createEmulator()
  process.env.CRDB_TASKS_EMULATOR_URL = globalThis.crdbTasksEmulator.url
}
