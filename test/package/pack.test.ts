import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// What a user installing the package gets: pack it, install the tarball into an empty project,
// import it and drive a task to finished. (`npm test` has built dist/ already.)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'crdb-tasks-emulator-pack-'))
afterAll(() => { rmSync(work, { recursive: true, force: true }) })

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] })

describe('the packed package', () => {
  it('installs, imports and drives a task to finished', () => {
    const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string, files: Array<{ path: string }> }>
    const files = packed?.files.map((f) => f.path) ?? []
    expect(files).toContain('dist/lib/index.js')
    expect(files).toContain('dist/lib/index.d.ts')
    expect(files).toContain('dist/cli/main.js')
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/'))).toBe(false)

    const app = join(work, 'app')
    execFileSync('mkdir', ['-p', app])
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }))
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed?.filename ?? '')], app)
    writeFileSync(join(app, 'drive.mjs'), `
      import { createEmulator } from 'crdb-tasks-emulator'
      const emulator = await createEmulator({ seed: 'pack' })
      const task = await emulator.tasks.create({ id: 'packed' })
      const done = await emulator.runUntil(task.id, 'finished')
      console.log(JSON.stringify(done))
      await emulator.close()
    `)
    const done = JSON.parse(execFileSync(process.execPath, ['drive.mjs'], { cwd: app, encoding: 'utf8', timeout: 30_000 })) as { id: string, status: string }
    expect(done).toMatchObject({ id: 'packed', status: 'finished' })

    const version = execFileSync(join(app, 'node_modules', '.bin', 'crdb-tasks-emulator'), ['--version'], { encoding: 'utf8' }).trim()
    expect(version).toMatch(/^\d+\.\d+\.\d+$/)
  }, 180_000)
})
