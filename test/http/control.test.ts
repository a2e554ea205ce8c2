import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorCodeOf, makeApp, T0, type TestApp } from './helpers.js'

let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

describe('control API', () => {
  it('answers health without credentials', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/__emulator/health' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok' })
  })

  it('shows the clock and advances it, firing transitions on the way', async () => {
    expect((await t.call({ method: 'GET', url: '/__emulator/clock' })).json).toEqual({ mode: 'manual', now: new Date(T0).toISOString(), scale: 1 })
    const created = await t.call({ method: 'POST', url: '/__emulator/tasks', payload: {} })
    const res = await t.call({ method: 'POST', url: '/__emulator/clock/advance', payload: { seconds: 1.5 } })
    expect(res.status).toBe(200)
    expect(res.json.now).toBe(new Date(T0 + 1500).toISOString())
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${created.json.id as string}` })).json.status).toBe('started')
  })

  it('answers 400 invalid_request to an advance that is not a number above 0 and at most ten years', async () => {
    for (const payload of [{ seconds: 0 }, { seconds: -1 }, { seconds: '5' }, { seconds: 315_360_001 }, {}, { seconds: 1, extra: true }]) {
      const res = await t.call({ method: 'POST', url: '/__emulator/clock/advance', payload })
      expect(res.status, JSON.stringify(payload)).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_request')
    }
    const empty = await t.call({ method: 'POST', url: '/__emulator/clock/advance' })
    expect(empty.status).toBe(400)
    expect((await t.call({ method: 'POST', url: '/__emulator/clock/advance', payload: { seconds: 315_360_000 } })).status).toBe(200)
  })

  it('creates a task with the defaults from an empty POST and answers 201 with the verbose task', async () => {
    const res = await t.call({ method: 'POST', url: '/__emulator/tasks' })
    expect(res.status).toBe(201)
    expect(res.json).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      operation: 'create_crdb',
      status: 'queued',
      progress: { worker: 'queued', clusters: [{ name: 'test.cluster', progress: 'queued' }] }
    })
  })

  it('creates a task from every field of the body', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/__emulator/tasks',
      payload: {
        id: 'my-task:1',
        crdb_guid: 'g-1',
        operation: 'update_crdb',
        durations: { queued: 0, running: 2.5, commit: null },
        outcome: 'finished',
        result_ttl: 60,
        cancel: 'accept',
        cancel_delay: 1,
        clusters: ['a', 'b']
      }
    })
    expect(res.status).toBe(201)
    expect(res.json).toMatchObject({ id: 'my-task:1', crdb_guid: 'g-1', operation: 'update_crdb' })
    t.advance(2.5)
    const task = (await t.call({ method: 'GET', url: '/v1/crdb_tasks/my-task:1?verbose=true' })).json
    expect(task.progress.worker).toBe('commit')
    t.advance(100_000)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/my-task:1?verbose=true' })).json.progress.worker).toBe('commit')
  })

  it('answers 400 invalid_request naming the field for a bad body', async () => {
    const cases: Array<[unknown, string]> = [
      [{ durations: { queued: -1 } }, 'durations.queued'],
      [{ durations: { running: 'ten' } }, 'durations.running'],
      [{ durations: { commit: 315_360_001 } }, 'durations.commit'],
      [{ outcome: 'maybe' }, 'outcome'],
      [{ operation: 'drop_everything' }, 'operation'],
      [{ result_ttl: 1.5 }, 'result_ttl'],
      [{ result_ttl: 2_147_483_648 }, 'result_ttl'],
      [{ cancel: 'never' }, 'cancel'],
      [{ cancel_delay: -3 }, 'cancel_delay'],
      [{ id: 'has space' }, 'id'],
      [{ id: 'x'.repeat(129) }, 'id'],
      [{ clusters: [] }, 'clusters'],
      [{ errors: [{ description: 'no code' }] }, 'error_code'],
      [{ duration: { queued: 1 } }, 'duration'],
      [[1, 2], 'JSON object'],
      ['"text"', 'JSON object']
    ]
    for (const [payload, field] of cases) {
      const res = await t.call({ method: 'POST', url: '/__emulator/tasks', payload: payload as object, headers: { 'content-type': 'application/json' } })
      expect(res.status, JSON.stringify(payload)).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_request')
      expect(res.json.description, JSON.stringify(payload)).toContain(field)
    }
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toEqual([])
  })

  it('answers 409 task_exists for a live id', async () => {
    expect((await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'dup' } })).status).toBe(201)
    const res = await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'dup' } })
    expect(res.status).toBe(409)
    expect(errorCodeOf(res)).toBe('task_exists')
  })

  it('steps a task through its phases and answers 409 once it has ended', async () => {
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 's', durations: { queued: null, running: null, commit: null } } })
    const phases = []
    for (let i = 0; i < 3; i++) {
      const res = await t.call({ method: 'POST', url: '/__emulator/tasks/s/step' })
      expect(res.status).toBe(200)
      phases.push(res.json.progress.worker)
    }
    expect(phases).toEqual(['running', 'commit', 'completed'])
    const ended = await t.call({ method: 'POST', url: '/__emulator/tasks/s/step' })
    expect(ended.status).toBe(409)
    expect(errorCodeOf(ended)).toBe('task_already_ended')
    const unknown = await t.call({ method: 'POST', url: '/__emulator/tasks/nope/step' })
    expect(unknown.status).toBe(404)
    expect(errorCodeOf(unknown)).toBe('task_not_found')
  })

  it('shows a task\'s history with emulated times and causes', async () => {
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'h', cancel_delay: 5 } })
    t.advance(1)
    await t.call({ method: 'POST', url: '/v1/crdb_tasks/h/actions/cancel' })
    t.advance(20)
    const res = await t.call({ method: 'GET', url: '/__emulator/tasks/h/history' })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({
      id: 'h',
      history: [
        { at: new Date(T0).toISOString(), phase: 'queued', status: 'queued', cause: 'created' },
        { at: new Date(T0 + 1000).toISOString(), phase: 'running', status: 'started', cause: 'duration_elapsed' },
        { at: new Date(T0 + 1000).toISOString(), phase: 'running', status: 'started', cause: 'cancel_requested' },
        { at: new Date(T0 + 6000).toISOString(), phase: 'canceled', status: 'failed', cause: 'cancel' }
      ]
    })
    expect((await t.call({ method: 'GET', url: '/__emulator/tasks/nope/history' })).status).toBe(404)
  })

  it('resets: answers 204 and forgets every task, the clock stays', async () => {
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: {} })
    t.advance(30)
    const res = await t.call({ method: 'POST', url: '/__emulator/reset' })
    expect(res.status).toBe(204)
    expect(res.body).toBe('')
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toEqual([])
    expect((await t.call({ method: 'GET', url: '/__emulator/clock' })).json.now).toBe(new Date(T0 + 30_000).toISOString())
  })

  it('is for admins only: 401 without credentials, 403 for every other role', async () => {
    const routes = [
      { method: 'GET', url: '/__emulator/clock' },
      { method: 'POST', url: '/__emulator/clock/advance', payload: { seconds: 1 } },
      { method: 'POST', url: '/__emulator/tasks', payload: {} },
      { method: 'POST', url: '/__emulator/tasks/x/step' },
      { method: 'GET', url: '/__emulator/tasks/x/history' },
      { method: 'POST', url: '/__emulator/reset' }
    ] as const
    for (const route of routes) {
      const anonymous = await t.app.inject({ ...route })
      expect(anonymous.statusCode, route.url).toBe(401)
      for (const role of ['cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager', 'none'] as const) {
        const res = await t.call({ ...route, role })
        expect(res.status, `${role} ${route.url}`).toBe(403)
      }
    }
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toEqual([])
  })

  it('answers 503 too_many_tasks past --max-tasks, and accepts again once results expire', async () => {
    const small = await makeApp({ maxTasks: 2, resultTtl: 10 })
    try {
      for (let i = 0; i < 2; i++) expect((await small.call({ method: 'POST', url: '/__emulator/tasks', payload: { durations: { queued: 0, running: 0, commit: 0 } } })).status).toBe(201)
      const refused = await small.call({ method: 'POST', url: '/__emulator/tasks', payload: {} })
      expect(refused.status).toBe(503)
      expect(errorCodeOf(refused)).toBe('too_many_tasks')
      small.advance(10)
      expect((await small.call({ method: 'POST', url: '/__emulator/tasks', payload: {} })).status).toBe(201)
    } finally {
      await small.app.close()
    }
  })
})

describe('--no-control', () => {
  it('serves health and the task routes but none of the control API', async () => {
    const off = await makeApp({ control: false })
    try {
      expect((await off.app.inject({ method: 'GET', url: '/__emulator/health' })).statusCode).toBe(200)
      expect((await off.call({ method: 'GET', url: '/v1/crdb_tasks' })).status).toBe(200)
      for (const [method, url] of [['GET', '/__emulator/clock'], ['POST', '/__emulator/tasks'], ['POST', '/__emulator/reset']] as const) {
        const res = await off.call({ method, url })
        expect(res.status).toBe(404)
        expect(errorCodeOf(res)).toBe('not_found')
      }
    } finally {
      await off.app.close()
    }
  })
})
