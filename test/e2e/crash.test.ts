import { once } from 'node:events'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { api, exitOf, startServer } from './helpers.js'

// Crash and restart with --state-file: a SIGKILL at an arbitrary moment must leave a file that
// loads and holds every change older than the save window (1 s); a torn file is refused, not
// overwritten. The moments are drawn from a fixed seed so a failure can be replayed.
const dir = mkdtempSync(join(tmpdir(), 'crdb-crash-'))
const SAVE_WINDOW_MS = 1000

function seeded (seed: number): () => number {
  let s = seed >>> 0
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 }
}

describe('a SIGKILL at an arbitrary moment', () => {
  it('leaves a state file that loads and holds every change older than the save window', async () => {
    const random = seeded(20261129)
    for (let run = 0; run < 3; run++) {
      const file = join(dir, `kill-${run}.json`)
      const server = await startServer(['--clock', 'manual', '--state-file', file])
      const acknowledged: Array<{ id: string, at: number }> = []
      const killAt = Date.now() + 1500 + Math.floor(random() * 1500)
      let n = 0
      // a steady stream of changes until the kill; each acknowledged one is remembered with its time
      while (Date.now() < killAt) {
        const id = `r${run}-t${n++}`
        const res = await api(server, 'POST', '/__emulator/tasks', { id, durations: { queued: null } })
        expect(res.status).toBe(201)
        acknowledged.push({ id, at: Date.now() })
      }
      server.child.kill('SIGKILL')
      await once(server.child, 'exit')
      const killedAt = Date.now()

      const restarted = await startServer(['--clock', 'manual', '--state-file', file])
      try {
        const kept = new Set(((await api(restarted, 'GET', '/v1/crdb_tasks')).json as Array<{ id: string }>).map((t) => t.id))
        const old = acknowledged.filter((a) => a.at < killedAt - SAVE_WINDOW_MS - 250)
        expect(old.length).toBeGreaterThan(0)
        for (const a of old) expect(kept.has(a.id), `${a.id}, acknowledged ${killedAt - a.at} ms before the kill`).toBe(true)
        // nothing that was never acknowledged appears
        for (const id of kept) expect(acknowledged.some((a) => a.id === id)).toBe(true)
      } finally {
        restarted.child.kill('SIGKILL')
        await once(restarted.child, 'exit')
      }
    }
  }, 60_000)
})

describe('a torn state file', () => {
  it('is refused with exit code 2 and left as it was, whatever the cut', async () => {
    const file = join(dir, 'whole.json')
    const server = await startServer(['--clock', 'manual', '--state-file', file])
    for (let i = 0; i < 20; i++) await api(server, 'POST', '/__emulator/tasks', { id: `t${i}` })
    server.child.kill('SIGTERM')
    await once(server.child, 'exit')
    const whole = readFileSync(file, 'utf8')
    expect(JSON.parse(whole).namespaces.default.tasks).toHaveLength(20)
    const random = seeded(7)
    for (let cut = 0; cut < 4; cut++) {
      const torn = join(dir, `torn-${cut}.json`)
      const text = whole.slice(0, 1 + Math.floor(random() * (whole.length - 2)))
      writeFileSync(torn, text)
      const { code, stderr } = await exitOf(['--state-file', torn])
      expect(code).toBe(2)
      expect(stderr).toContain(torn)
      expect(readFileSync(torn, 'utf8')).toBe(text)
    }
  }, 60_000)
})
