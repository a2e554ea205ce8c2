import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectExampleRunPassed, runJest } from './jest-run.js'

// What a user installing the package gets: pack it, install the tarball into an empty project,
// then use it as each kind of user would: import it (ES), require it (CommonJS), run it with
// npx, start it and probe its health, load its Testcontainers entry, and run the Jest example
// against it. (`npm test` has built dist/ already.)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const work = mkdtempSync(join(tmpdir(), 'crdb-tasks-emulator-pack-'))
const app = join(work, 'app')
let files: string[] = []
afterAll(() => { rmSync(work, { recursive: true, force: true }) })

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] })
// npx finds the installed bin; were it missing, fail rather than fetch one from the registry
const NPX_ENV = { ...process.env, npm_config_yes: 'false' }
const node = (file: string): string => execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout: 60_000 })

beforeAll(() => {
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string, files: Array<{ path: string }> }>
  files = packed?.files.map((f) => f.path) ?? []
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }))
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed?.filename ?? '')], app)
}, 180_000)

describe('the packed package', () => {
  it('holds the built ES and CommonJS entries, their types, and no source or test', () => {
    for (const f of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/cli/entry.js', 'dist/cli/server.bundle.mjs', 'dist/cli/main.js', 'dist/lib/testcontainers.js', 'dist/lib/testcontainers.d.ts',
      'dist/cjs/index.cjs', 'dist/cjs/index.d.cts', 'dist/cjs/core.cjs', 'dist/cjs/testcontainers.cjs', 'dist/cjs/testcontainers.d.cts']) {
      expect(files).toContain(f)
    }
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('examples/'))).toBe(false)
  })

  it('installs without Testcontainers, an optional peer dependency', () => {
    expect(existsSync(join(app, 'node_modules', 'crdb-tasks-emulator', 'package.json'))).toBe(true)
    expect(existsSync(join(app, 'node_modules', 'testcontainers'))).toBe(false)
  })

  it('imports and drives a task to finished', () => {
    writeFileSync(join(app, 'drive.mjs'), `
      import { createEmulator } from 'crdb-tasks-emulator'
      const emulator = await createEmulator({ seed: 'pack' })
      const task = await emulator.tasks.create({ id: 'packed' })
      const done = await emulator.runUntil(task.id, 'finished')
      console.log(JSON.stringify(done))
      await emulator.close()
    `)
    const done = JSON.parse(node('drive.mjs')) as { id: string, status: string }
    expect(done).toMatchObject({ id: 'packed', status: 'finished' })
  })

  it('requires (CommonJS) the CommonJS build, which drives a task to finished and shares its error class', () => {
    writeFileSync(join(app, 'drive.cjs'), `
      const { createEmulator, EmulatorError } = require('crdb-tasks-emulator')
      ;(async () => {
        const emulator = await createEmulator({ seed: 'pack-cjs' })
        const task = await emulator.tasks.create({ id: 'required' })
        await emulator.clock.advance(11)
        const refused = await emulator.client.cancelTask(task.id).catch((err) => err)
        const done = await emulator.runUntil(task.id, 'finished')
        await emulator.close()
        console.log(JSON.stringify({
          resolved: require.resolve('crdb-tasks-emulator'),
          tcResolved: require.resolve('crdb-tasks-emulator/testcontainers'),
          done,
          refused: { isEmulatorError: refused instanceof EmulatorError, status: refused.status }
        }))
      })()
    `)
    const out = JSON.parse(node('drive.cjs')) as { resolved: string, tcResolved: string, done: { id: string, status: string }, refused: { isEmulatorError: boolean, status: number } }
    expect(out.resolved).toBe(join(app, 'node_modules', 'crdb-tasks-emulator', 'dist', 'cjs', 'index.cjs'))
    expect(out.tcResolved).toBe(join(app, 'node_modules', 'crdb-tasks-emulator', 'dist', 'cjs', 'testcontainers.cjs'))
    expect(out.done).toMatchObject({ id: 'required', status: 'finished' })
    expect(out.refused).toEqual({ isEmulatorError: true, status: 406 })
  })

  it('runs with npx: --version', () => {
    const version = execFileSync(join(app, 'node_modules', '.bin', 'crdb-tasks-emulator'), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
    expect(version).toMatch(/^\d+\.\d+\.\d+$/)
    const viaNpx = execFileSync('npx', ['crdb-tasks-emulator', '--version'], { cwd: app, env: NPX_ENV, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim()
    expect(viaNpx).toBe(VERSION)
  })

  it('starts with npx, answers its health probe (and the shipped one), and stops on Ctrl-C', async () => {
    const urlFile = join(work, 'emulator.url')
    const env = { ...NPX_ENV, EMULATOR_URL_FILE: urlFile }
    // a process group of its own, as a terminal's foreground job: npx, its shell and the server
    const server = spawn('npx', ['crdb-tasks-emulator', '--port', '0', '--clock', 'manual', '--log-format', 'json'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const exited = new Promise<void>((resolve) => server.on('exit', () => { resolve() }))
    const lines = createInterface({ input: server.stdout })
    // closed once no process holds its output: the server too has gone
    const outputClosed = new Promise<void>((resolve) => lines.on('close', resolve))
    const ctrlC = (): void => { try { process.kill(-(server.pid ?? 0), 'SIGINT') } catch { /* gone already */ } }
    try {
      // the start-up line says where it listens
      const url = await new Promise<string>((resolve, reject) => {
        lines.on('line', (line) => {
          const entry = JSON.parse(line) as { url?: string }
          if (typeof entry.url === 'string') resolve(entry.url)
        })
        lines.on('close', () => { reject(new Error('the server closed its output before saying where it listens')) })
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const health = await fetch(`${url}/__emulator/health`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({ status: 'ok' })
      // the container's probe, as shipped: it finds the server through the URL file
      expect(readFileSync(urlFile, 'utf8').trim()).toBe(url)
      execFileSync(process.execPath, [join(app, 'node_modules', 'crdb-tasks-emulator', 'dist', 'cli', 'healthcheck.js')], { env, timeout: 10_000 })
    } finally {
      ctrlC()
    }
    await Promise.all([exited, outputClosed])
    // the server stopped as it does when asked to (it removes its URL file on the way out)
    expect(existsSync(urlFile)).toBe(false)
  }, 60_000)

  it('loads crdb-tasks-emulator/testcontainers, ES and CommonJS, once Testcontainers is installed', () => {
    const devVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.testcontainers ?? ''
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', `testcontainers@${devVersion}`], app)
    writeFileSync(join(app, 'tc.mjs'), `
      import { createRequire } from 'node:module'
      import { CrdbTasksEmulatorContainer } from 'crdb-tasks-emulator/testcontainers'
      const required = createRequire(import.meta.url)('crdb-tasks-emulator/testcontainers')
      const container = new CrdbTasksEmulatorContainer('crdb-tasks-emulator:test').withClock('manual')
      console.log(JSON.stringify({
        esm: typeof CrdbTasksEmulatorContainer, cjs: typeof required.CrdbTasksEmulatorContainer,
        resolved: import.meta.resolve('crdb-tasks-emulator/testcontainers'),
        hasStart: typeof container.start, isGeneric: Object.getPrototypeOf(CrdbTasksEmulatorContainer).name
      }))
    `)
    const out = JSON.parse(node('tc.mjs')) as Record<string, string>
    expect(out).toEqual({
      esm: 'function',
      cjs: 'function',
      resolved: `file://${join(app, 'node_modules', 'crdb-tasks-emulator', 'dist', 'lib', 'testcontainers.js')}`,
      hasStart: 'function',
      isGeneric: 'GenericContainer'
    })
  }, 150_000)

  it('runs the Jest example (examples/jest) against the installed package', () => {
    // the example's files in a folder of the project that installed the tarball
    const jest = join(app, 'jest')
    mkdirSync(jest)
    for (const f of readdirSync(join(ROOT, 'examples', 'jest'))) cpSync(join(ROOT, 'examples', 'jest', f), join(jest, f))
    expectExampleRunPassed(runJest(join(jest, 'jest.config.cjs'), jest, join(work, 'jest-report.json')))
  }, 150_000)
})
