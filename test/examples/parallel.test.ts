import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Runs examples/parallel (three files in parallel against one emulator, each in its own
// namespace) as a user would, and checks that all of them passed.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('the parallel suites example', () => {
  it('runs three files at once against one emulator, each with its own clock', () => {
    const out = execFileSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'examples/parallel/vitest.config.ts', '--reporter', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1' }
    })
    const report = JSON.parse(out.slice(out.indexOf('{'))) as { numTotalTests: number, numPassedTests: number, testResults: Array<{ name: string, status: string }> }
    expect(report.testResults.map((r) => r.name.split('/').pop()).sort()).toEqual(['auth.test.ts', 'billing.test.ts', 'search.test.ts'])
    expect(report.numPassedTests).toBe(3)
    expect(report.numTotalTests).toBe(3)
  }, 70_000)
})
