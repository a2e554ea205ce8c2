import type { TestProject } from 'vitest/node'
import { createEmulator, type Emulator } from '../../src/lib/index.js'

// One emulator for the whole run, as a compose service or the Docker image would be. Each test
// file gets its own namespace in it (see the test files).
let emulator: Emulator

export async function setup (project: TestProject): Promise<void> {
  emulator = await createEmulator()
  project.provide('emulatorUrl', emulator.url)
}

export async function teardown (): Promise<void> {
  await emulator.close()
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorUrl: string
  }
}
