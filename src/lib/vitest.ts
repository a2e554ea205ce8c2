/**
 * crdb-tasks-emulator for vitest: one emulator for the whole run, started by `globalSetup`, and
 * a namespace of its own (own tasks, CRDBs, clock, fault rules, journal) for each test file.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['crdb-tasks-emulator/vitest'] } })
 *
 * // a test file
 * import { useEmulator } from 'crdb-tasks-emulator/vitest'
 * const emulator = await useEmulator()       // this file's namespace, removed after the file
 * beforeEach(() => emulator.reset())
 */
import type { TestProject } from 'vitest/node'
import { createEmulator, type Emulator, type EmulatorOptions } from './index.js'

/** The key under which `globalSetup` provides the emulator's URL (`inject(EMULATOR_URL_KEY)`). */
export const EMULATOR_URL_KEY = 'crdbTasksEmulatorUrl'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The base URL of the run's emulator, provided by `crdb-tasks-emulator/vitest`. */
    crdbTasksEmulatorUrl: string
  }
}

let running: Emulator | undefined

/**
 * vitest's `globalSetup`: starts one emulator in the main process for the whole run (on
 * 127.0.0.1, a free port, a manual clock) and provides its URL to every test file.
 * With `CRDB_TASKS_EMULATOR_URL` set, provides that one instead (the Docker image, a CI
 * service) and starts nothing.
 */
export async function setup (project: TestProject): Promise<void> {
  const given = process.env.CRDB_TASKS_EMULATOR_URL
  if (given !== undefined && given !== '') {
    project.provide(EMULATOR_URL_KEY, given)
    return
  }
  running = await createEmulator()
  project.provide(EMULATOR_URL_KEY, running.url)
}

/** Stops the emulator `setup` started. */
export async function teardown (): Promise<void> {
  const emulator = running
  running = undefined
  await emulator?.close()
}

/** `createEmulator({ url, namespace })` options, but the URL: `globalSetup` gives it. */
export type UseEmulatorOptions = Omit<EmulatorOptions, 'url'>

/**
 * In a test file: a handle on a namespace of its own in the run's emulator (the URL `setup`
 * provided). The namespace is `namespace`, or a new random one; it has a manual clock unless
 * `clock` says otherwise, and is removed after the file (`afterAll`). Call it at the top of the
 * file or in `beforeAll`.
 */
export async function useEmulator (options: UseEmulatorOptions = {}): Promise<Emulator> {
  // vitest's test API exists only in a test file's worker, not where `setup` runs
  const { afterAll, inject } = await import('vitest')
  const url = inject(EMULATOR_URL_KEY)
  if (typeof url !== 'string') {
    throw new Error('No emulator URL was provided: add \'crdb-tasks-emulator/vitest\' to the `globalSetup` of your vitest config.')
  }
  const emulator = await createEmulator({ ...options, url })
  afterAll(async () => { await emulator.close() })
  return emulator
}
