import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { basic, errorCodeOf, makeApp, T0, type TestApp } from './helpers.js'

let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

const names = async (): Promise<string[]> => (await t.call({ method: 'GET', url: '/__emulator/namespaces' })).json.map((n: { name: string }) => n.name)

describe('namespaces', () => {
  it('keeps tasks, clocks, faults and journals apart; paths without a prefix are the default namespace', async () => {
    await t.call({ method: 'POST', url: '/ns/suite-a/__emulator/tasks', payload: { id: 'a1' } })
    await t.call({ method: 'POST', url: '/ns/suite-b/__emulator/tasks', payload: { id: 'b1' } })
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'd1' } })
    const list = async (prefix: string): Promise<string[]> => (await t.call({ method: 'GET', url: `${prefix}/v1/crdb_tasks` })).json.map((x: { id: string }) => x.id)
    expect(await list('/ns/suite-a')).toEqual(['a1'])
    expect(await list('/ns/suite-b')).toEqual(['b1'])
    expect(await list('')).toEqual(['d1'])
    expect(await list('/ns/default')).toEqual(['d1'])
    expect((await t.call({ method: 'GET', url: '/ns/suite-a/v1/crdb_tasks/b1' })).status).toBe(404)

    // suite A moves its clock 600 s: its task ends and expires; B's and the default's do not move
    await t.call({ method: 'POST', url: '/ns/suite-a/__emulator/clock/advance', payload: { seconds: 600 } })
    expect((await t.call({ method: 'GET', url: '/ns/suite-a/v1/crdb_tasks/a1' })).status).toBe(404)
    expect((await t.call({ method: 'GET', url: '/ns/suite-b/v1/crdb_tasks/b1' })).json.status).toBe('queued')
    expect((await t.call({ method: 'GET', url: '/ns/suite-b/__emulator/clock' })).json.now).toBe(new Date(T0).toISOString())
    expect((await t.call({ method: 'GET', url: '/__emulator/clock' })).json.now).toBe(new Date(T0).toISOString())

    // a fault in B, whose match.path has no prefix, hits B only
    await t.call({ method: 'POST', url: '/ns/suite-b/__emulator/faults', payload: { match: { path: '/v1/crdb_tasks/*' }, action: { status: 503, error_code: 'busy', description: 'b' } } })
    expect((await t.call({ method: 'GET', url: '/ns/suite-b/v1/crdb_tasks/b1' })).status).toBe(503)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/d1' })).status).toBe(200)
    expect((await t.call({ method: 'GET', url: '/__emulator/faults' })).json).toEqual([])

    // each journal holds its own requests, with paths as the code under test wrote them
    const journalB = (await t.call({ method: 'GET', url: '/ns/suite-b/__emulator/requests' })).json.map((e: { path: string }) => e.path)
    expect(journalB).toEqual(['/v1/crdb_tasks', '/v1/crdb_tasks/b1', '/v1/crdb_tasks/b1'])
  })

  it('makes a namespace on first use, but not for a request refused by auth or naming no route', async () => {
    expect(await names()).toEqual(['default'])
    const refused = await t.app.inject({ method: 'GET', url: '/ns/intruder/v1/crdb_tasks', headers: { authorization: basic('admin@example.com', 'wrong') } })
    expect(refused.statusCode).toBe(401)
    expect((await t.call({ method: 'GET', url: '/ns/lost/v1/no-such-route' })).status).toBe(404)
    expect(await names()).toEqual(['default'])
    expect((await t.call({ method: 'GET', url: '/ns/fresh/v1/crdb_tasks' })).status).toBe(200)
    expect(await names()).toEqual(['default', 'fresh'])
  })

  it('answers 404 for a prefix that is not a valid namespace name', async () => {
    for (const url of ['/ns/UPPER/v1/crdb_tasks', `/ns/${'x'.repeat(65)}/v1/crdb_tasks`, '/ns/under_score/v1/crdb_tasks']) {
      const res = await t.call({ method: 'GET', url })
      expect(res.status, url).toBe(404)
      expect(errorCodeOf(res)).toBe('not_found')
    }
    expect(await names()).toEqual(['default'])
  })

  it('PUT makes a namespace (201) with its own clock settings, or finds it (200)', async () => {
    const made = await t.call({ method: 'PUT', url: '/__emulator/namespaces/fast', payload: { clock: 'real', time_scale: 100 } })
    expect(made.status).toBe(201)
    expect(made.json).toMatchObject({ name: 'fast', tasks: 0, clock: { mode: 'real', scale: 100 } })
    const again = await t.call({ method: 'PUT', url: '/__emulator/namespaces/fast' })
    expect(again.status).toBe(200)
    expect((await t.call({ method: 'GET', url: '/ns/fast/__emulator/clock' })).json.mode).toBe('real')
    const bad = await t.call({ method: 'PUT', url: '/__emulator/namespaces/Bad_Name' })
    expect(bad.status).toBe(400)
    expect(errorCodeOf(bad)).toBe('invalid_request')
    expect((await t.call({ method: 'PUT', url: '/__emulator/namespaces/x', payload: { clock: 'sundial' } })).status).toBe(400)
  })

  it('lists namespaces with their task counts, and deletes them', async () => {
    await t.call({ method: 'POST', url: '/ns/one/__emulator/tasks', payload: {} })
    await t.call({ method: 'POST', url: '/ns/one/__emulator/tasks', payload: {} })
    const listed = (await t.call({ method: 'GET', url: '/__emulator/namespaces' })).json
    expect(listed.map((n: { name: string, tasks: number }) => [n.name, n.tasks])).toEqual([['default', 0], ['one', 2]])
    expect((await t.call({ method: 'DELETE', url: '/__emulator/namespaces/one' })).status).toBe(204)
    expect(await names()).toEqual(['default'])
    const unknown = await t.call({ method: 'DELETE', url: '/__emulator/namespaces/one' })
    expect(unknown.status).toBe(404)
    expect(errorCodeOf(unknown)).toBe('namespace_not_found')
    const dflt = await t.call({ method: 'DELETE', url: '/__emulator/namespaces/default' })
    expect(dflt.status).toBe(400)
    expect(errorCodeOf(dflt)).toBe('invalid_request')
  })

  it('answers 503 too_many_namespaces past --max-namespaces (default not counted)', async () => {
    const small = await makeApp({ maxNamespaces: 2 })
    try {
      expect((await small.call({ method: 'GET', url: '/ns/a/v1/crdb_tasks' })).status).toBe(200)
      expect((await small.call({ method: 'PUT', url: '/__emulator/namespaces/b' })).status).toBe(201)
      const third = await small.call({ method: 'GET', url: '/ns/c/v1/crdb_tasks' })
      expect(third.status).toBe(503)
      expect(errorCodeOf(third)).toBe('too_many_namespaces')
      expect((await small.call({ method: 'PUT', url: '/__emulator/namespaces/c' })).status).toBe(503)
      expect((await small.call({ method: 'GET', url: '/ns/a/v1/crdb_tasks' })).status).toBe(200)
    } finally {
      await small.app.close()
    }
  })

  it('removes a namespace nobody used for --namespace-idle-ttl of real time', async () => {
    const idle = await makeApp({ idleTtl: 60 })
    try {
      await idle.call({ method: 'GET', url: '/ns/busy/v1/crdb_tasks' })
      await idle.call({ method: 'GET', url: '/ns/quiet/v1/crdb_tasks' })
      idle.passRealTime(59)
      await idle.call({ method: 'GET', url: '/ns/busy/v1/crdb_tasks' })
      idle.registry.sweep()
      expect(idle.registry.list().map((n) => n.name)).toEqual(['default', 'busy', 'quiet'])
      idle.passRealTime(1)
      idle.registry.sweep()
      expect(idle.registry.list().map((n) => n.name)).toEqual(['default', 'busy'])
      idle.passRealTime(3600)
      idle.registry.sweep()
      expect(idle.registry.list().map((n) => n.name)).toEqual(['default'])
    } finally {
      await idle.app.close()
    }
  })

  it('applies --max-tasks to each namespace and to all of them together', async () => {
    const small = await makeApp({ maxTasks: 3 })
    try {
      const create = async (ns: string): Promise<number> => (await small.call({ method: 'POST', url: `/ns/${ns}/__emulator/tasks`, payload: {} })).status
      expect([await create('a'), await create('a'), await create('b')]).toEqual([201, 201, 201])
      expect(await create('b')).toBe(503)
      expect(await create('a')).toBe(503)
      expect((await small.call({ method: 'DELETE', url: '/__emulator/namespaces/a' })).status).toBe(204)
      expect(await create('b')).toBe(201)
    } finally {
      await small.app.close()
    }
  })

  it('exports every namespace at the root, one under its prefix, and loads one into another', async () => {
    await t.call({ method: 'POST', url: '/ns/src/__emulator/tasks', payload: { id: 'moved' } })
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'home' } })
    const all = (await t.call({ method: 'GET', url: '/__emulator/state' })).json
    expect(Object.keys(all.namespaces)).toEqual(['default', 'src'])
    const one = (await t.call({ method: 'GET', url: '/ns/src/__emulator/state' })).json
    expect(Object.keys(one.namespaces)).toEqual(['src'])
    expect((await t.call({ method: 'PUT', url: '/ns/copy/__emulator/state', payload: one })).status).toBe(204)
    expect((await t.call({ method: 'GET', url: '/ns/copy/v1/crdb_tasks/moved' })).status).toBe(200)
    expect((await t.call({ method: 'PUT', url: '/ns/copy/__emulator/state', payload: all })).status).toBe(400)
    // the whole state back at the root: namespaces not in it go
    expect((await t.call({ method: 'PUT', url: '/__emulator/state', payload: all })).status).toBe(204)
    expect(await names()).toEqual(['default', 'src'])
  })
})
