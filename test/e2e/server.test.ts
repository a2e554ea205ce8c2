import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { AUTH, api, exitOf, startServer, type Server } from './helpers.js'

describe('the built server', () => {
  let server: Server
  beforeAll(async () => { server = await startServer(['--clock', 'manual']) })
  afterAll(() => { server.child.kill('SIGKILL') })

  it('prints one start-up line with the URL, the clock and the default user', () => {
    const startup = server.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.url !== undefined)
    expect(startup).toMatchObject({ clock: 'manual', users: [{ email: 'admin@example.com', role: 'admin', password: 'admin' }] })
    expect(startup?.msg).toContain(server.url)
  })

  it('drives a task from queued to finished and to 404 after its retention, over real HTTP', async () => {
    const created = await api(server, 'POST', '/__emulator/tasks', {})
    expect(created.status).toBe(201)
    const id = created.json.id as string
    const status = async (): Promise<unknown> => (await api(server, 'GET', `/v1/crdb_tasks/${id}`)).json.status
    expect(await status()).toBe('queued')
    await api(server, 'POST', '/__emulator/clock/advance', { seconds: 1 })
    expect(await status()).toBe('started')
    await api(server, 'POST', '/__emulator/clock/advance', { seconds: 13 })
    expect(await status()).toBe('finished')
    await api(server, 'POST', '/__emulator/clock/advance', { seconds: 499 })
    expect(await status()).toBe('finished')
    await api(server, 'POST', '/__emulator/clock/advance', { seconds: 1 })
    const gone = await api(server, 'GET', `/v1/crdb_tasks/${id}`)
    expect(gone.status).toBe(404)
    expect(gone.json.error_code).toBe('task_not_found')
  })

  it('answers 401 with the realm to a wrong password', async () => {
    const res = await fetch(`${server.url}/v1/crdb_tasks`, { headers: { authorization: `Basic ${Buffer.from('admin@example.com:nope').toString('base64')}` } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="cluster.local"')
  })

  it('logs one line per request, without credentials', async () => {
    await api(server, 'GET', '/v1/crdb_tasks?marker=log-test')
    const line = await server.waitForLine((l) => l.includes('marker=log-test'))
    expect(JSON.parse(line)).toMatchObject({ msg: 'request', method: 'GET', url: '/v1/crdb_tasks?marker=log-test', status: 200, user: 'admin@example.com' })
    expect(server.lines.filter((l) => l.includes('marker=log-test'))).toHaveLength(1)
    for (const logged of server.lines) {
      expect(logged).not.toContain(AUTH.slice(6))
      expect(logged.toLowerCase()).not.toContain('authorization')
      expect(logged).not.toContain('"password":"nope"')
    }
  })
})

describe('the built server\'s process', () => {
  it('stops with exit code 0 on SIGTERM', async () => {
    const server = await startServer(['--clock', 'manual'])
    server.child.kill('SIGTERM')
    const [code] = await once(server.child, 'exit') as [number | null]
    expect(code).toBe(0)
  })

  it('refuses a bad setting with exit code 2 and one line naming it', async () => {
    const { code, stderr } = await exitOf(['--port', 'eighty'])
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toEqual(['crdb-tasks-emulator: Invalid --port value "eighty": expected an integer from 0 to 65535 (0 picks a free port).'])
  })
})

describe('start-up files and seeds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crdb-e2e-'))

  it('applies the fault rules of --faults from the first request', async () => {
    const file = join(dir, 'faults.json')
    writeFileSync(file, JSON.stringify([{ match: { path: '/v1/crdb_tasks' }, action: { status: 503, error_code: 'cluster_busy', description: 'Busy' }, times: 1 }]))
    const server = await startServer(['--clock', 'manual', '--faults', file])
    try {
      expect((await api(server, 'GET', '/v1/crdb_tasks')).status).toBe(503)
      expect((await api(server, 'GET', '/v1/crdb_tasks')).status).toBe(200)
    } finally {
      server.child.kill('SIGKILL')
    }
  })

  it('refuses a --faults file that is missing, not JSON or not rules, with exit code 2 and one line', async () => {
    const notJson = join(dir, 'not.json')
    writeFileSync(notJson, '{ nope')
    const badRule = join(dir, 'bad.json')
    writeFileSync(badRule, JSON.stringify([{ action: { drop: true } }, { match: {}, action: { status: 200 } }]))
    for (const [file, words] of [[join(dir, 'missing.json'), 'cannot read'], [notJson, 'not valid JSON'], [badRule, 'rule 2']] as const) {
      const { code, stderr } = await exitOf(['--faults', file])
      expect(code).toBe(2)
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toContain(words)
    }
  })

  it('makes the same task ids run after run with --seed', async () => {
    const ids = []
    for (let run = 0; run < 2; run++) {
      const server = await startServer(['--clock', 'manual', '--seed', 'e2e'])
      try {
        ids.push((await api(server, 'POST', '/__emulator/tasks', {})).json.id)
      } finally {
        server.child.kill('SIGKILL')
      }
    }
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/)
    expect(ids[1]).toBe(ids[0])
  })
})
