import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, it } from 'vitest'
import { expectExampleRunPassed, runJest } from './jest-run.js'

// Runs examples/jest with the real Jest, as a default Jest project runs it: CommonJS test files,
// Jest's own module system, no --experimental-vm-modules. `require('crdb-tasks-emulator')` is the
// package's own name (Node's self-reference), so it resolves through package.json's `exports`
// to the CommonJS build, dist/cjs/index.cjs. pack.test.ts runs the same files against the packed
// tarball installed in a project of its own.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'crdb-tasks-emulator-jest-'))
afterAll(() => { rmSync(work, { recursive: true, force: true }) })

describe('the Jest example', () => {
  it('runs in a default Jest project: require() loads the CommonJS build, in a file and in globalSetup', () => {
    expectExampleRunPassed(runJest(join(ROOT, 'examples', 'jest', 'jest.config.cjs'), ROOT, join(work, 'report.json')))
  }, 150_000)
})
