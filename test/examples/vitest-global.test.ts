import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Runs examples/vitest-global (the package's vitest entry as globalSetup, two files each in a
// namespace of its own) as a user would, and checks that every test passed.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('the vitest globalSetup example', () => {
  it('starts one emulator for the run and gives each file its own namespace', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
    delete env.CRDB_TASKS_EMULATOR_URL
    const out = execFileSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'examples/vitest-global/vitest.config.ts', '--reporter', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env
    })
    const report = JSON.parse(out.slice(out.indexOf('{'))) as { numTotalTests: number, numPassedTests: number, testResults: Array<{ name: string, status: string }> }
    expect(report.testResults.map((r) => r.name.split('/').pop()).sort()).toEqual(['orders.test.ts', 'payments.test.ts'])
    expect(report.testResults.map((r) => r.status)).toEqual(['passed', 'passed'])
    expect(report.numPassedTests).toBe(4)
    expect(report.numTotalTests).toBe(4)
  }, 70_000)
})
