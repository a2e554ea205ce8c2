import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { basic, errorCodeOf, makeApp, T0, type TestApp } from './helpers.js'

let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

const addFault = async (rule: unknown): Promise<any> => {
  const res = await t.call({ method: 'POST', url: '/__emulator/faults', payload: rule as object })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  return res.json
}
const createTask = async (id: string): Promise<void> => {
  expect((await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id } })).status).toBe(201)
}

describe('faults', () => {
  it('answers the next matching poll with the rule\'s status and body, then goes back to normal', async () => {
    await createTask('a')
    const rule = await addFault({ match: { method: 'GET', path: '/v1/crdb_tasks/*' }, action: { status: 503, error_code: 'cluster_busy', description: 'Try again' }, times: 1 })
    expect(rule).toEqual({ id: 'fault-1', match: { method: 'GET', path: '/v1/crdb_tasks/*' }, action: { status: 503, error_code: 'cluster_busy', description: 'Try again' }, times: 1, probability: 1, hits: 0 })
    const faulted = await t.call({ method: 'GET', url: '/v1/crdb_tasks/a' })
    expect(faulted.status).toBe(503)
    expect(faulted.json).toEqual({ error_code: 'cluster_busy', description: 'Try again' })
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/a' })).status).toBe(200)
    expect((await t.call({ method: 'GET', url: '/__emulator/faults' })).json[0].hits).toBe(1)
  })

  it('matches the phase of the task named in the path: a 503 while the task commits', async () => {
    await createTask('a')
    await addFault({ match: { phase: 'commit' }, action: { status: 503, error_code: 'cluster_busy', description: 'busy' } })
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/a' })).status).toBe(200)
    t.advance(11)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/a' })).status).toBe(503)
    expect((await t.call({ method: 'POST', url: '/v1/crdb_tasks/a/actions/cancel?force=true' })).status).toBe(503)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).status).toBe(200)
    t.advance(3)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/a' })).status).toBe(200)
  })

  it('matches method, path segments and user exactly', async () => {
    await createTask('a')
    await addFault({ match: { method: 'post', path: '/v1/crdb_tasks/*/actions/cancel', user: 'db_member@example.com' }, action: { status: 500, error_code: 'internal_error', description: 'boom' } })
    expect((await t.call({ method: 'POST', url: '/v1/crdb_tasks/a/actions/cancel', role: 'admin' })).status).toBe(406 - 206)
    await createTask('b')
    expect((await t.call({ method: 'POST', url: '/v1/crdb_tasks/b/actions/cancel', role: 'db_member' })).status).toBe(500)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/b', role: 'db_member' })).status).toBe(200)
  })

  it('delays a request by a fixed or drawn number of milliseconds, then answers normally', async () => {
    await createTask('a')
    await addFault({ match: { path: '/v1/crdb_tasks/a' }, action: { delay_ms: 250 }, times: 1 })
    await addFault({ match: { path: '/v1/crdb_tasks/a' }, action: { delay_ms: [100, 300] }, times: 3 })
    for (let i = 0; i < 4; i++) expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/a' })).status).toBe(200)
    expect(t.slept[0]).toBe(250)
    expect(t.slept).toHaveLength(4)
    for (const ms of t.slept.slice(1)) {
      expect(ms).toBeGreaterThanOrEqual(100)
      expect(ms).toBeLessThanOrEqual(300)
    }
  })

  it('draws the probability from the seed: the same hits run after run', async () => {
    const pattern = async (): Promise<number[]> => {
      const other = await makeApp({ seed: 'fixed' })
      try {
        await other.call({ method: 'POST', url: '/__emulator/faults', payload: { action: { status: 503, error_code: 'busy', description: 'b' }, probability: 0.5 } })
        const statuses = []
        for (let i = 0; i < 40; i++) statuses.push((await other.call({ method: 'GET', url: '/v1/crdb_tasks' })).status)
        return statuses
      } finally {
        await other.app.close()
      }
    }
    const first = await pattern()
    expect(await pattern()).toEqual(first)
    const hits = first.filter((s) => s === 503).length
    expect(hits).toBeGreaterThan(5)
    expect(hits).toBeLessThan(35)
  })

  it('never faults the control API', async () => {
    await addFault({ action: { status: 503, error_code: 'busy', description: 'b' } })
    expect((await t.call({ method: 'GET', url: '/__emulator/clock' })).status).toBe(200)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).status).toBe(503)
  })

  it('checks credentials before faults: a wrong password is still 401', async () => {
    await addFault({ action: { status: 503, error_code: 'busy', description: 'b' } })
    const res = await t.app.inject({ method: 'GET', url: '/v1/crdb_tasks', headers: { authorization: basic('admin@example.com', 'wrong') } })
    expect(res.statusCode).toBe(401)
  })

  it('lists, removes one and removes all rules', async () => {
    const a = await addFault({ action: { drop: true } })
    const b = await addFault({ match: { user: 'x@y' }, action: { delay_ms: 1 } })
    expect((await t.call({ method: 'GET', url: '/__emulator/faults' })).json.map((r: { id: string }) => r.id)).toEqual([a.id, b.id])
    expect((await t.call({ method: 'DELETE', url: `/__emulator/faults/${a.id as string}` })).status).toBe(204)
    const missing = await t.call({ method: 'DELETE', url: `/__emulator/faults/${a.id as string}` })
    expect(missing.status).toBe(404)
    expect(errorCodeOf(missing)).toBe('fault_not_found')
    expect((await t.call({ method: 'DELETE', url: '/__emulator/faults' })).status).toBe(204)
    expect((await t.call({ method: 'GET', url: '/__emulator/faults' })).json).toEqual([])
  })

  it('answers 400 naming the field for a bad rule', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, '"action" is required'],
      [{ action: { status: 200, error_code: 'x', description: 'y' } }, 'action'],
      [{ action: { delay_ms: -1 } }, 'action'],
      [{ action: { delay_ms: [300, 100] } }, 'action.delay_ms'],
      [{ action: { drop: false } }, 'action'],
      [{ action: { drop: true }, probability: 2 }, 'probability'],
      [{ action: { drop: true }, times: 0 }, 'times'],
      [{ action: { drop: true }, match: { phase: 'sleeping' } }, 'match.phase'],
      [{ action: { drop: true }, match: { path: 'no-slash' } }, 'match.path'],
      [{ action: { drop: true }, match: { verb: 'GET' } }, 'match.verb']
    ]
    for (const [payload, field] of cases) {
      const res = await t.call({ method: 'POST', url: '/__emulator/faults', payload: payload as object })
      expect(res.status, JSON.stringify(payload)).toBe(400)
      expect(res.json.description, JSON.stringify(payload)).toContain(field)
    }
    expect((await t.call({ method: 'GET', url: '/__emulator/faults' })).json).toEqual([])
  })
})

describe('the request journal', () => {
  it('records each /v1 request with method, path, query, status, user, emulated time and duration, never credentials', async () => {
    await createTask('a')
    t.advance(2)
    await t.call({ method: 'GET', url: '/v1/crdb_tasks/a?verbose=true' })
    await t.call({ method: 'GET', url: '/v1/crdb_tasks/zzz', role: 'db_viewer' })
    await t.app.inject({ method: 'GET', url: '/v1/crdb_tasks', headers: { authorization: basic('admin@example.com', 'secret-wrong-pw') } })
    const res = await t.call({ method: 'GET', url: '/__emulator/requests' })
    expect(res.json).toEqual([
      { method: 'GET', path: '/v1/crdb_tasks/a', query: { verbose: 'true' }, status: 200, user: 'admin@example.com', cluster: 'test.cluster', at: new Date(T0 + 2000).toISOString(), duration_ms: expect.any(Number) },
      { method: 'GET', path: '/v1/crdb_tasks/zzz', query: {}, status: 404, user: 'db_viewer@example.com', cluster: 'test.cluster', at: new Date(T0 + 2000).toISOString(), duration_ms: expect.any(Number) },
      { method: 'GET', path: '/v1/crdb_tasks', query: {}, status: 401, user: null, cluster: 'test.cluster', at: new Date(T0 + 2000).toISOString(), duration_ms: expect.any(Number) }
    ])
    expect(res.body).not.toContain('secret-wrong-pw')
    expect(res.body.toLowerCase()).not.toContain('authorization')
  })

  it('filters by method, exact path and status, and empties on DELETE', async () => {
    await createTask('a')
    for (let i = 0; i < 3; i++) await t.call({ method: 'GET', url: '/v1/crdb_tasks/a' })
    await t.call({ method: 'POST', url: '/v1/crdb_tasks/a/actions/cancel' })
    await t.call({ method: 'POST', url: '/v1/crdb_tasks/a/actions/cancel' })
    const list = async (query: string): Promise<unknown[]> => (await t.call({ method: 'GET', url: `/__emulator/requests${query}` })).json
    expect(await list('?path=/v1/crdb_tasks/a')).toHaveLength(3)
    expect(await list('?method=post')).toHaveLength(2)
    expect(await list('?method=POST&status=406')).toHaveLength(1)
    expect(await list('?status=200')).toHaveLength(4)
    expect((await t.call({ method: 'GET', url: '/__emulator/requests?status=abc' })).status).toBe(400)
    expect((await t.call({ method: 'DELETE', url: '/__emulator/requests' })).status).toBe(204)
    expect(await list('')).toEqual([])
  })

  it('keeps only the last N requests', async () => {
    const small = await makeApp({ journalSize: 3 })
    try {
      for (let i = 0; i < 10; i++) await small.call({ method: 'GET', url: `/v1/crdb_tasks/t${i}` })
      const paths = (await small.call({ method: 'GET', url: '/__emulator/requests' })).json.map((e: { path: string }) => e.path)
      expect(paths).toEqual(['/v1/crdb_tasks/t7', '/v1/crdb_tasks/t8', '/v1/crdb_tasks/t9'])
    } finally {
      await small.app.close()
    }
  })

  it('records faulted requests with their faulted status, and not control API requests', async () => {
    await addFault({ action: { status: 503, error_code: 'busy', description: 'b' }, times: 1 })
    await t.call({ method: 'GET', url: '/v1/crdb_tasks' })
    await t.call({ method: 'GET', url: '/v1/crdb_tasks' })
    await t.call({ method: 'GET', url: '/__emulator/clock' })
    const statuses = (await t.call({ method: 'GET', url: '/__emulator/requests' })).json.map((e: { status: number }) => e.status)
    expect(statuses).toEqual([503, 200])
  })
})

describe('POST /__emulator/clock/run', () => {
  it('moves time event by event until the task has the status, with exact times', async () => {
    await createTask('a')
    const res = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'a', status: 'finished' } })
    expect(res.status).toBe(200)
    expect(res.json.clock.now).toBe(new Date(T0 + 14_000).toISOString())
    expect(res.json.task).toMatchObject({ id: 'a', status: 'finished', started: '2026-01-01T00:00:01Z', ended: '2026-01-01T00:00:14Z' })
    const started = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'a', status: 'finished' } })
    expect(started.json.clock.now).toBe(new Date(T0 + 14_000).toISOString())
  })

  it('answers 422 unreachable when the task can never have the status, and moves no time', async () => {
    await createTask('a')
    await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'a', status: 'finished' } })
    const failed = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'a', status: 'failed' } })
    expect(failed.status).toBe(422)
    expect(errorCodeOf(failed)).toBe('unreachable')
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'held', durations: { running: null } } })
    const held = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'held', status: 'finished' } })
    expect(held.status).toBe(422)
    expect(held.json.description).toContain('held')
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/held' })).json.status).toBe('started')
    const unknown = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'nope', status: 'finished' } })
    expect(unknown.status).toBe(404)
  })

  it('with status ended runs until the task has ended, finished or failed, whichever it does', async () => {
    await createTask('ok')
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'bad', outcome: 'failed', durations: { running: 30 } } })
    const ok = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'ok', status: 'ended' } })
    expect(ok.status).toBe(200)
    expect(ok.json.task).toMatchObject({ id: 'ok', status: 'finished' })
    expect(ok.json.clock.now).toBe(new Date(T0 + 14_000).toISOString())
    const bad = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'bad', status: 'ended' } })
    expect(bad.json.task).toMatchObject({ id: 'bad', status: 'failed' })
    expect(bad.json.clock.now).toBe(new Date(T0 + 31_000).toISOString())
    // an ended task has ended: no time moves
    const again = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'ok', status: 'ended' } })
    expect(again.json.clock.now).toBe(new Date(T0 + 31_000).toISOString())
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'held', durations: { running: null } } })
    const held = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'held', status: 'ended' } })
    expect(held.status).toBe(422)
    expect(held.json.description).toContain('held')
    const wrong = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'ok', status: 'done' } })
    expect(wrong.status).toBe(400)
  })

  it('with an empty body runs until no task is active', async () => {
    await createTask('a')
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'slow', durations: { running: 100 } } })
    const res = await t.call({ method: 'POST', url: '/__emulator/clock/run' })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ clock: { mode: 'manual', now: new Date(T0 + 104_000).toISOString(), scale: 1 } })
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json.map((x: { status: string }) => x.status)).toEqual(['finished', 'finished'])
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'held', durations: { queued: null } } })
    const held = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: {} })
    expect(held.status).toBe(422)
    expect(held.json.description).toContain('held (queued)')
  })

  it('answers 400 when only one of task_id and status is given', async () => {
    const res = await t.call({ method: 'POST', url: '/__emulator/clock/run', payload: { task_id: 'a' } })
    expect(res.status).toBe(400)
    expect(errorCodeOf(res)).toBe('invalid_request')
  })
})

describe('a drop fault over real HTTP', () => {
  it('closes the connection with no answer, journals status 0, and the server goes on', async () => {
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 })
    await createTask('a')
    await addFault({ match: { path: '/v1/crdb_tasks/a' }, action: { drop: true }, times: 1 })
    const headers = { authorization: basic('admin@example.com', 'pw-admin') }
    await expect(fetch(`${url}/v1/crdb_tasks/a`, { headers })).rejects.toThrow()
    const after = await fetch(`${url}/v1/crdb_tasks/a`, { headers })
    expect(after.status).toBe(200)
    const statuses = (await t.call({ method: 'GET', url: '/__emulator/requests?path=/v1/crdb_tasks/a' })).json.map((e: { status: number }) => e.status)
    expect(statuses).toEqual([0, 200])
  })
})
