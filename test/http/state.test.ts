import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { crdbBody, errorCodeOf, makeApp, T0, type TestApp } from './helpers.js'

let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

describe('GET and PUT /__emulator/state', () => {
  it('exports tasks, CRDBs, the clock and fault rules, and imports them back into another emulator', async () => {
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'a', cancel_delay: 3 } })
    await t.call({ method: 'POST', url: '/v1/crdbs', payload: crdbBody('db'), headers: { 'x-task-id': 'mk' } })
    await t.call({ method: 'POST', url: '/__emulator/faults', payload: { match: { path: '/v1/crdbs/*/flush' }, action: { status: 503, error_code: 'busy', description: 'b' }, times: 3 } })
    t.advance(15)
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'b' } })
    const exported = await t.call({ method: 'GET', url: '/__emulator/state' })
    expect(exported.status).toBe(200)
    expect(exported.json.format).toBe('crdb-tasks-emulator/state@1')
    expect(exported.json.namespaces.default.clock.now).toBe(new Date(T0 + 15_000).toISOString())
    expect(exported.json.namespaces.default.tasks.map((x: { id: string }) => x.id)).toEqual(['a', 'mk', 'b'])

    const other = await makeApp()
    try {
      const put = await other.call({ method: 'PUT', url: '/__emulator/state', payload: exported.json })
      expect(put.status).toBe(204)
      for (const url of ['/v1/crdb_tasks', '/v1/crdbs', '/__emulator/faults', '/__emulator/clock', '/v1/crdb_tasks/a?verbose=1']) {
        expect((await other.call({ method: 'GET', url })).json, url).toEqual((await t.call({ method: 'GET', url })).json)
      }
      // the same state, but for when it was saved and the wall-clock offset of a manual clock
      const comparable = (state: any): unknown => ({ ...state, saved_at: 0, namespaces: { default: { ...state.namespaces.default, clock: { ...state.namespaces.default.clock, offset_ms: 0 } } } })
      const again = (await other.call({ method: 'GET', url: '/__emulator/state' })).json
      expect(comparable(again)).toEqual(comparable(exported.json))
    } finally {
      await other.app.close()
    }
  })

  it('answers 400 naming the field and changes nothing when the import is invalid', async () => {
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'keep' } })
    const before = (await t.call({ method: 'GET', url: '/__emulator/state' })).json
    const cases: Array<[unknown, string]> = [
      [{ namespaces: { default: { tasks: [{ id: 'x', phase: 'sleeping' }] } } }, 'phase'],
      [{ namespaces: { default: { tasks: [{ id: 'x' }, { id: 'x' }] } } }, 'tasks[1].id'],
      [{ namespaces: { default: { tasks: [{ phase: 'queued', pending_cancel: { at: 0, force: false } }] } } }, 'pending_cancel'],
      [{ namespaces: { default: { crdbs: [{ guid: 'g', name: 'n', instances: [] }] } } }, 'instances'],
      [{ namespaces: { 'Not A Name': {} } }, 'namespaces'],
      [{ users: [{ email: 'a@b', password: 'p', role: 'admin' }], namespaces: {} }, 'users'],
      [{ tasks: [] }, '"namespaces" is required'],
      [[], 'JSON object']
    ]
    for (const [payload, words] of cases) {
      const res = await t.call({ method: 'PUT', url: '/__emulator/state', payload: payload as object })
      expect(res.status, JSON.stringify(payload)).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_request')
      expect(res.json.description, JSON.stringify(payload)).toContain(words)
    }
    const after = (await t.call({ method: 'GET', url: '/__emulator/state' })).json
    expect(after.namespaces.default.tasks).toEqual(before.namespaces.default.tasks)
    expect(after.namespaces.default.clock.now).toBe(before.namespaces.default.clock.now)
  })

  it('takes a state larger than the API\'s 1 MiB body limit', async () => {
    const tasks = Array.from({ length: 4000 }, (_, i) => ({ id: `t-${i}`, phase: 'queued', durations: { queued: null }, clusters: ['a-cluster-name-long-enough-to-fill-space'] }))
    const payload = { namespaces: { default: { tasks } } }
    expect(JSON.stringify(payload).length).toBeGreaterThan(1024 * 1024 / 4)
    const res = await t.call({ method: 'PUT', url: '/__emulator/state', payload })
    expect(res.status).toBe(204)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toHaveLength(4000)
  })

  it('is for admins only', async () => {
    expect((await t.call({ method: 'GET', url: '/__emulator/state', role: 'cluster_member' })).status).toBe(403)
    expect((await t.call({ method: 'PUT', url: '/__emulator/state', role: 'db_member', payload: { namespaces: {} } })).status).toBe(403)
  })
})
