// Runs in the same process as global-setup.cjs, after every test file: stops its emulator.
module.exports = async function globalTeardown () {
  await globalThis.crdbTasksEmulator?.close()
}
