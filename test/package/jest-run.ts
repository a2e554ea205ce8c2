import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

// Runs the real Jest of this checkout on a project, for jest.test.ts and pack.test.ts.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface JestReport {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  testResults: Array<{ name: string, status: string, message: string }>
}

/** Runs Jest (this checkout's) with `config`, two workers, and returns its JSON report. */
export function runJest (config: string, cwd: string, outputFile: string): JestReport {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }
  delete env.CRDB_TASKS_EMULATOR_URL
  delete env.NODE_OPTIONS
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', config, '--ci', '--maxWorkers=2', '--json', '--outputFile', outputFile], {
      cwd, env, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe']
    })
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string, stderr?: string }
    throw new Error(`Jest failed:\n${stderr ?? ''}\n${stdout ?? ''}`)
  }
  return JSON.parse(readFileSync(outputFile, 'utf8')) as JestReport
}

/** What a passing run of examples/jest reports: its two files passed, four tests in all. */
export function expectExampleRunPassed (report: JestReport): void {
  expect(report.testResults.map((r) => r.name.split('/').pop()).sort()).toEqual(['shared.test.cjs', 'tasks.test.cjs'])
  expect(report.testResults.map((r) => [r.status, r.message])).toEqual([['passed', ''], ['passed', '']])
  expect(report.numFailedTests).toBe(0)
  expect(report.numPassedTests).toBe(4)
  expect(report.numTotalTests).toBe(4)
}
