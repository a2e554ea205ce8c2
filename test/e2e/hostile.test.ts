import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import { afterAll, describe, expect, it } from 'vitest'
import { createEmulator } from '../../src/lib/index.js'
import { api, exitOf, startServer, type Server } from './helpers.js'

// Regressions of the attack on the running emulator that need the real process: the state
// file, shutdown, what is printed at start.
const dir = mkdtempSync(join(tmpdir(), 'crdb-hostile-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

async function stop (server: Server): Promise<number | null> {
  const exited = once(server.child, 'exit') as Promise<[number | null]>
  server.child.kill('SIGTERM')
  return (await exited)[0]
}

describe('the state file', () => {
  it('refuses a missing directory, a directory and a FIFO with exit code 2 and one line (they used to start and then fail)', async () => {
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    mkdirSync(join(dir, 'a-dir'))
    for (const [path, words] of [[join(dir, 'missing', 'state.json'), 'does not exist'], [join(dir, 'a-dir'), 'not a regular file'], [fifo, 'not a regular file']] as const) {
      const { code, stderr } = await exitOf(['--state-file', path])
      expect(code, path).toBe(2)
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toContain(words)
    }
  })

  it('is locked: a second emulator on the same file stops with exit code 2 (two used to share it)', async () => {
    const file = join(dir, 'locked.json')
    const first = await startServer(['--state-file', file])
    try {
      const { code, stderr } = await exitOf(['--state-file', file])
      expect(code).toBe(2)
      expect(stderr).toContain(`another emulator (pid ${String(first.child.pid)})`)
    } finally {
      expect(await stop(first)).toBe(0)
    }
    expect(existsSync(`${file}.lock`)).toBe(false)
    // and a lock left by a process that is gone is taken over
    writeFileSync(`${file}.lock`, '999999999\n')
    const again = await startServer(['--state-file', file])
    expect(await stop(again)).toBe(0)
  })

  it('removes the temp files a crashed save left behind, and nothing else', async () => {
    const file = join(dir, 'temps.json')
    const stale = `${file}.0b6a4f1e-5c3d-4e2f-8a1b-9c8d7e6f5a4b.tmp`
    const other = join(dir, 'other.json.0b6a4f1e-5c3d-4e2f-8a1b-9c8d7e6f5a4b.tmp')
    writeFileSync(stale, '{"torn')
    writeFileSync(other, 'not ours')
    const server = await startServer(['--state-file', file])
    expect(await stop(server)).toBe(0)
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(other)).toBe(true)
    expect(readdirSync(dir).filter((f) => f.startsWith('temps.json')), 'left beside the state file').toEqual(['temps.json'])
  })
})

/** A file system of 256 KiB of its own (tmpfs), where this machine lets the tests mount one; undefined where not. */
function smallDisk (): string | undefined {
  const at = join(dir, 'small-disk')
  mkdirSync(at)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', at], { stdio: 'ignore' })
  } catch {
    return undefined
  }
  return at
}
const disk = smallDisk()
afterAll(() => { if (disk !== undefined) execFileSync('umount', [disk]) })

describe('a full disk', () => {
  it.skipIf(disk === undefined)('keeps the good state file, removes the temp file and exits 1 when the shutdown save finds the disk full (a short write used to replace it and exit 0)', async () => {
    const file = join(disk as string, 'state.json')
    const first = await startServer(['--clock', 'manual', '--state-file', file])
    await api(first, 'POST', '/__emulator/tasks', { id: 'kept' })
    expect(await stop(first)).toBe(0)
    const good = readFileSync(file, 'utf8')
    expect(JSON.parse(good).namespaces.default.tasks.map((t: { id: string }) => t.id)).toEqual(['kept'])

    const second = await startServer(['--clock', 'manual', '--state-file', file])
    // fill the disk: the write stops short at ENOSPC, leaving no room
    expect(() => { writeFileSync(join(disk as string, 'filler'), Buffer.alloc(512 * 1024)) }).toThrow(/ENOSPC/)
    for (let i = 0; i < 50; i++) expect((await api(second, 'POST', '/__emulator/tasks', { id: `more-${i}` })).status).toBe(201)
    expect(await stop(second)).toBe(1)
    expect(readFileSync(file, 'utf8')).toBe(good)
    expect(readdirSync(disk as string).sort()).toEqual(['filler', 'state.json'])
    expect(second.lines.some((line) => line.includes('Failed to save the state file on shutdown; the previous one was kept'))).toBe(true)
    rmSync(join(disk as string, 'filler'))
  })
})

describe('shutdown', () => {
  it('closes a half-sent request after a bounded time, saves, and exits 0 (it used to wait 8 s and exit 1 without saving)', async () => {
    const file = join(dir, 'shutdown.json')
    const server = await startServer(['--clock', 'manual', '--state-file', file])
    await api(server, 'POST', '/__emulator/tasks', { id: 'kept' })
    const port = Number(new URL(server.url).port)
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write('POST /__emulator/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id"')
    socket.on('error', () => {})
    const startedAt = performance.now()
    expect(await stop(server)).toBe(0)
    expect(performance.now() - startedAt).toBeLessThan(7000)
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { namespaces: { default: { tasks: Array<{ id: string }> } } }
    expect(saved.namespaces.default.tasks.map((task) => task.id)).toEqual(['kept'])
    socket.destroy()
  }, 15_000)
})

describe('at start and on the wire', () => {
  it('prints no fixture user\'s password, only the built-in user\'s (fixture passwords used to be printed)', async () => {
    const fixtures = join(dir, 'fixtures.json')
    writeFileSync(fixtures, JSON.stringify({ users: [{ email: 'ops@example.com', password: 'fixture-secret-9', role: 'admin' }], namespaces: {} }))
    const server = await startServer(['--fixtures', fixtures])
    try {
      const startup = server.lines.join('\n')
      expect(startup).not.toContain('fixture-secret-9')
      expect(startup).toContain('{"email":"admin@example.com","role":"admin","password":"admin"}')
    } finally {
      await stop(server)
    }
  })

  it('answers a request without a Host header in JSON (it used to be Node\'s bare-text 400)', async () => {
    const server = await startServer([])
    try {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1')
      await once(socket, 'connect')
      socket.write('GET /__emulator/health HTTP/1.1\r\nConnection: close\r\n\r\n')
      let answer = ''
      socket.on('data', (chunk: Buffer) => { answer += chunk.toString() })
      await once(socket, 'end')
      expect(answer).toMatch(/^HTTP\/1\.1 200/)
      expect(answer).toContain('{"status":"ok"}')
    } finally {
      await stop(server)
    }
  })

  it('refuses a --tls-key that is not a key, or not the certificate\'s, with exit code 2 and one line (it used to exit 1)', async () => {
    const [a, b] = await Promise.all([generate(undefined, { keyType: 'ec', algorithm: 'sha256' }), generate(undefined, { keyType: 'ec', algorithm: 'sha256' })])
    const cert = join(dir, 'cert.pem')
    writeFileSync(cert, a.cert)
    const notKey = join(dir, 'not-key.pem')
    writeFileSync(notKey, 'not a key')
    const otherKey = join(dir, 'other-key.pem')
    writeFileSync(otherKey, b.private)
    for (const [key, words] of [[notKey, 'not a PEM private key'], [otherKey, 'not the key of']] as const) {
      const { code, stderr } = await exitOf(['--tls-cert', cert, '--tls-key', key])
      expect(code).toBe(2)
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toContain(words)
    }
  })

  it('checks createEmulator\'s options by the CLI\'s rules and messages (timeScale: -1 used to run time backwards)', async () => {
    await expect(createEmulator({ clock: 'real', timeScale: -1 })).rejects.toThrow('Invalid --time-scale value "-1"')
    await expect(createEmulator({ resultTtl: 1.5 })).rejects.toThrow('--result-ttl')
  })
})
