import { once } from 'node:events'
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import { describe, expect, it } from 'vitest'
import { api, exitOf, httpsApi, startServer, type Server } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'crdb-ops-'))
const FIXTURES = new URL('../../fixtures/example.json', import.meta.url).pathname

async function stop (server: Server, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(server.child, 'exit') as Promise<[number | null]>
  server.child.kill(signal)
  return (await exited)[0]
}

describe('TLS', () => {
  it('serves HTTPS with a self-signed certificate and logs its SHA-256 fingerprint', async () => {
    const server = await startServer(['--tls', '--clock', 'manual'])
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const startup = JSON.parse(server.lines.find((l) => l.includes('"url"')) as string)
      expect(startup.tls_fingerprint_sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
      const res = await httpsApi(server.url, '/v1/crdb_tasks')
      expect(res.status).toBe(200)
      expect(res.json).toEqual([])
      expect(res.peerFingerprint).toBe(startup.tls_fingerprint_sha256)
    } finally {
      await stop(server, 'SIGKILL')
    }
  })

  it('serves the given certificate and key, which a client can verify', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }]
    })
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    writeFileSync(cert, pems.cert)
    writeFileSync(key, pems.private)
    const server = await startServer(['--tls-cert', cert, '--tls-key', key, '--clock', 'manual'])
    try {
      const res = await httpsApi(server.url, '/v1/crdb_tasks', { ca: pems.cert })
      expect(res.status).toBe(200)
      await expect(httpsApi(server.url, '/v1/crdb_tasks', { ca: (await generate()).cert })).rejects.toThrow()
    } finally {
      await stop(server, 'SIGKILL')
    }
  })

  it('refuses a certificate file that is missing or not PEM, with exit code 2', async () => {
    const junk = join(dir, 'junk.pem')
    writeFileSync(junk, 'not a certificate')
    for (const [cert, words] of [[join(dir, 'missing.pem'), 'ENOENT'], [junk, 'not a PEM certificate']] as const) {
      const { code, stderr } = await exitOf(['--tls-cert', cert, '--tls-key', junk])
      expect(code).toBe(2)
      expect(stderr).toContain(words)
    }
  })
})

describe('--state-file', () => {
  it('keeps every task and the clock across a graceful stop and a restart', async () => {
    const file = join(dir, 'graceful.json')
    const first = await startServer(['--clock', 'manual', '--state-file', file])
    const created = await api(first, 'POST', '/__emulator/tasks', { id: 'kept', durations: { running: 100 } })
    expect(created.status).toBe(201)
    await api(first, 'POST', '/v1/crdbs', { name: 'db', instances: ['a', 'b'].map((name) => ({ cluster: { name, url: `https://${name}`, credentials: { username: 'u', password: 'p' } } })) })
    await api(first, 'POST', '/__emulator/clock/advance', { seconds: 20 })
    const before = { task: (await api(first, 'GET', '/v1/crdb_tasks/kept')).json, list: (await api(first, 'GET', '/v1/crdb_tasks')).json, clock: (await api(first, 'GET', '/__emulator/clock')).json, crdbs: (await api(first, 'GET', '/v1/crdbs')).json }
    expect(before.crdbs.crdbs).toHaveLength(1)
    expect(await stop(first, 'SIGTERM')).toBe(0)

    const second = await startServer(['--clock', 'manual', '--state-file', file])
    try {
      expect((await api(second, 'GET', '/v1/crdb_tasks/kept')).json).toEqual(before.task)
      expect((await api(second, 'GET', '/v1/crdb_tasks')).json).toEqual(before.list)
      expect((await api(second, 'GET', '/__emulator/clock')).json).toEqual(before.clock)
      expect((await api(second, 'GET', '/v1/crdbs')).json).toEqual(before.crdbs)
      // and it goes on from there
      await api(second, 'POST', '/__emulator/clock/advance', { seconds: 100 })
      expect((await api(second, 'GET', '/v1/crdb_tasks/kept')).json.status).toBe('finished')
    } finally {
      await stop(second, 'SIGINT')
    }
  })

  it('after a SIGKILL, holds every change older than the save window', async () => {
    const file = join(dir, 'killed.json')
    const server = await startServer(['--clock', 'manual', '--state-file', file])
    await api(server, 'POST', '/__emulator/tasks', { id: 'saved-before-kill' })
    // the state is saved within 1 s of a change: wait (on the file, bounded) until it shows
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && !(existsSync(file) && readFileSync(file, 'utf8').includes('saved-before-kill'))) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(await stop(server, 'SIGKILL')).toBe(null)
    const restarted = await startServer(['--clock', 'manual', '--state-file', file])
    try {
      expect((await api(restarted, 'GET', '/v1/crdb_tasks/saved-before-kill')).status).toBe(200)
    } finally {
      await stop(restarted, 'SIGKILL')
    }
  })

  it('refuses a corrupt state file with exit code 2 and leaves it as it was', async () => {
    const file = join(dir, 'corrupt.json')
    const torn = '{"format": "crdb-tasks-emulator/state@1", "namespaces": {"default": {"tasks": [{"id": "x", "pha'
    writeFileSync(file, torn)
    const { code, stderr } = await exitOf(['--state-file', file])
    expect(code).toBe(2)
    expect(stderr).toContain('not valid JSON')
    expect(readFileSync(file, 'utf8')).toBe(torn)
    const wrong = join(dir, 'wrong.json')
    const text = JSON.stringify({ namespaces: { default: { tasks: [{ id: 'a' }, { id: 'a' }] } } })
    writeFileSync(wrong, text)
    const dup = await exitOf(['--state-file', wrong])
    expect(dup.code).toBe(2)
    expect(dup.stderr).toContain('listed twice')
    expect(readFileSync(wrong, 'utf8')).toBe(text)
  })

  it('wins over --fixtures, which seed only a missing file', async () => {
    const file = join(dir, 'seeded.json')
    const first = await startServer(['--clock', 'manual', '--state-file', file, '--fixtures', FIXTURES])
    expect((await api(first, 'GET', '/v1/crdb_tasks/halfway')).status).toBe(200)
    await api(first, 'POST', '/__emulator/reset', {})
    expect(await stop(first, 'SIGTERM')).toBe(0)
    const second = await startServer(['--clock', 'manual', '--state-file', file, '--fixtures', FIXTURES])
    try {
      expect((await api(second, 'GET', '/v1/crdb_tasks')).json).toEqual([])
    } finally {
      await stop(second, 'SIGKILL')
    }
  })
})

describe('--fixtures', () => {
  it('starts with the fixtures\' users, CRDBs and tasks in every phase', async () => {
    const server = await startServer(['--clock', 'manual', '--fixtures', FIXTURES])
    try {
      const tasks = (await api(server, 'GET', '/v1/crdb_tasks')).json as Array<{ id: string, status: string }>
      expect(Object.fromEntries(tasks.map((t) => [t.id, t.status]))).toEqual({
        waiting: 'queued',
        halfway: 'started',
        committing: 'started',
        'done-a-minute-ago': 'finished',
        'failed-on-port': 'failed',
        'about-to-expire': 'finished',
        'canceled-by-ops': 'failed'
      })
      await api(server, 'POST', '/__emulator/clock/advance', { seconds: 1 })
      expect((await api(server, 'GET', '/v1/crdb_tasks/about-to-expire')).status).toBe(404)
      const viewer = await fetch(`${server.url}/v1/crdbs`, { headers: { authorization: `Basic ${Buffer.from('viewer@example.com:viewer').toString('base64')}` } })
      expect(viewer.status).toBe(200)
      expect((await viewer.json() as { crdbs: unknown[] }).crdbs.length).toBe(1)
    } finally {
      await stop(server, 'SIGKILL')
    }
  })

  it('refuses a bad fixtures file with exit code 2 and one line naming the field', async () => {
    const bad = join(dir, 'bad-fixtures.json')
    writeFileSync(bad, JSON.stringify({ namespaces: { default: { tasks: [{ phase: 'sleeping' }] } } }))
    const { code, stderr } = await exitOf(['--fixtures', bad])
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toContain('field "namespaces.default.tasks[0].phase"')
  })
})
