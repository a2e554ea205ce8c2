import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { basic, errorCodeOf, makeApp, T0, type TestApp } from './helpers.js'

let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

const create = async (body: Record<string, unknown> = {}): Promise<string> => {
  const res = await t.call({ method: 'POST', url: '/__emulator/tasks', payload: body })
  expect(res.status).toBe(201)
  return res.json.id
}
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z')

describe('GET /v1/crdb_tasks', () => {
  it('answers 200 with every live task in short form, oldest first', async () => {
    const a = await create({ id: 'a' })
    const b = await create({ id: 'b' })
    const res = await t.call({ method: 'GET', url: '/v1/crdb_tasks' })
    expect(res.status).toBe(200)
    expect(res.json).toEqual([
      { id: a, operation: 'create_crdb', status: 'queued' },
      { id: b, operation: 'create_crdb', status: 'queued' }
    ])
  })

  it('answers an empty array when there are no tasks', async () => {
    const res = await t.call({ method: 'GET', url: '/v1/crdb_tasks' })
    expect(res.status).toBe(200)
    expect(res.json).toEqual([])
  })

  it('keeps ended tasks until their retention runs out', async () => {
    await create({ id: 'short', durations: { queued: 0, running: 0, commit: 0 } })
    t.advance(499)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toHaveLength(1)
    t.advance(1)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toEqual([])
  })
})

describe('GET /v1/crdb_tasks/{task_id}', () => {
  it('answers 200 with the task in the real API\'s form through its whole life', async () => {
    const id = await create({ id: 'life', crdb_guid: 'guid-1' })
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).json).toEqual({ id, operation: 'create_crdb', status: 'queued' })
    t.advance(1)
    const started = { id, crdb_guid: 'guid-1', operation: 'create_crdb', status: 'started', worker_name: 'crdb_worker:1:0', started: iso(T0 + 1000) }
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).json).toEqual(started)
    t.advance(13)
    const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ ...started, status: 'finished', ended: iso(T0 + 14_000) })
  })

  it('adds progress with the phase and the clusters when verbose is true, 1 or TRUE', async () => {
    const id = await create({ clusters: ['east', 'west'] })
    t.advance(5)
    for (const verbose of ['true', '1', 'TRUE', 'True']) {
      const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}?verbose=${verbose}` })
      expect(res.json.progress).toEqual({ worker: 'running', clusters: [{ name: 'east', progress: 'running' }, { name: 'west', progress: 'running' }] })
    }
    for (const verbose of ['false', '0', 'FALSE']) {
      const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}?verbose=${verbose}` })
      expect(res.status).toBe(200)
      expect(res.json.progress).toBeUndefined()
    }
  })

  it('shows a failed task\'s errors', async () => {
    const errors = [{ cluster_name: 'east', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }]
    const id = await create({ outcome: 'failed', errors })
    t.advance(11)
    const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })
    expect(res.json.status).toBe('failed')
    expect(res.json.errors).toEqual(errors)
  })

  it('answers 400 invalid_parameter to a verbose that is not true, false, 1 or 0', async () => {
    const id = await create()
    for (const verbose of ['perhaps', 'yes', '2', '']) {
      const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}?verbose=${verbose}` })
      expect(res.status).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_parameter')
      expect(res.json.description).toContain('verbose')
    }
  })

  it('ignores unknown query parameters', async () => {
    const id = await create()
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}?foo=bar` })).status).toBe(200)
  })

  it('answers 404 task_not_found for an unknown id', async () => {
    const res = await t.call({ method: 'GET', url: '/v1/crdb_tasks/no-such-task' })
    expect(res.status).toBe(404)
    expect(errorCodeOf(res)).toBe('task_not_found')
  })

  it('answers 404 task_not_found once the result has expired, not a second before', async () => {
    const id = await create({ durations: { queued: 1, running: 1, commit: 1 } })
    t.advance(3 + 499)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).status).toBe(200)
    t.advance(1)
    const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })
    expect(res.status).toBe(404)
    expect(errorCodeOf(res)).toBe('task_not_found')
  })

  it('keeps an ended task X-Result-TTL seconds after the request that sets it', async () => {
    const id = await create({ durations: { queued: 0, running: 0, commit: 0 } })
    t.advance(100)
    const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}`, headers: { 'x-result-ttl': '10' } })
    expect(res.status).toBe(200)
    expect(res.json.status).toBe('finished')
    t.advance(9)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).status).toBe(200)
    t.advance(1)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).status).toBe(404)
  })

  it('keeps an active task X-Result-TTL seconds after it ends', async () => {
    const id = await create()
    await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}`, headers: { 'x-result-ttl': '2000' } })
    t.advance(14 + 1999)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).status).toBe(200)
    t.advance(1)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).status).toBe(404)
  })

  it('answers 400 invalid_header to an X-Result-TTL that is not a decimal integer from 0 to 2147483647', async () => {
    const id = await create()
    for (const ttl of ['abc', '-1', '1.5', '1e3', '2147483648', '99999999999', ' ']) {
      const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}`, headers: { 'x-result-ttl': ttl } })
      expect(res.status, ttl).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_header')
      expect(res.json.description).toContain('X-Result-TTL')
    }
    const max = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}`, headers: { 'x-result-ttl': '2147483647' } })
    expect(max.status).toBe(200)
  })
})

describe('POST /v1/crdb_tasks/{task_id}/actions/cancel', () => {
  const cancel = (id: string, query = '') => t.call({ method: 'POST', url: `/v1/crdb_tasks/${id}/actions/cancel${query}` })

  it('answers 200 with the id and the status after the call for a queued task', async () => {
    const id = await create()
    const res = await cancel(id)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ id, status: 'failed' })
    const task = (await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}?verbose=1` })).json
    expect(task.status).toBe('failed')
    expect(task.progress.worker).toBe('canceled')
    expect(task.errors).toEqual([{ cluster_name: 'test.cluster', error_code: 'task_canceled', description: expect.any(String) }])
    expect(task.started).toBeUndefined()
    expect(task.ended).toBe(iso(T0))
  })

  it('accepts a cancel of a running task with a cancel_delay and applies it later', async () => {
    const id = await create({ cancel_delay: 2 })
    t.advance(1)
    const res = await cancel(id)
    expect(res.json).toEqual({ id, status: 'started' })
    t.advance(2)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).json.status).toBe('failed')
  })

  it('answers 406 task_cannot_be_canceled during commit without force, and 200 with force=true', async () => {
    const id = await create()
    t.advance(11)
    const refused = await cancel(id)
    expect(refused.status).toBe(406)
    expect(errorCodeOf(refused)).toBe('task_cannot_be_canceled')
    expect(refused.json.description).toContain('force=true')
    const forced = await cancel(id, '?force=true')
    expect(forced.status).toBe(200)
    expect(forced.json).toEqual({ id, status: 'failed' })
  })

  it('answers 406 to a cancel of an ended task, with or without force', async () => {
    const id = await create()
    t.advance(14)
    for (const query of ['', '?force=true']) {
      const res = await cancel(id, query)
      expect(res.status).toBe(406)
      expect(errorCodeOf(res)).toBe('task_cannot_be_canceled')
    }
  })

  it('answers 404 to a cancel of an unknown or expired task', async () => {
    expect((await cancel('nope')).status).toBe(404)
    const id = await create({ durations: { queued: 0, running: 0, commit: 0 }, result_ttl: 5 })
    t.advance(5)
    const res = await cancel(id, '?force=true')
    expect(res.status).toBe(404)
    expect(errorCodeOf(res)).toBe('task_not_found')
  })

  it('answers 409 task_cancel_failed for a task set up to refuse cancels, and the task goes on', async () => {
    const id = await create({ cancel: 'conflict' })
    const res = await cancel(id, '?force=true')
    expect(res.status).toBe(409)
    expect(errorCodeOf(res)).toBe('task_cancel_failed')
    t.advance(14)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).json.status).toBe('finished')
  })

  it('checks the form before the state: force=perhaps on an ended task is 400', async () => {
    const id = await create()
    t.advance(14)
    const res = await cancel(id, '?force=perhaps')
    expect(res.status).toBe(400)
    expect(errorCodeOf(res)).toBe('invalid_parameter')
  })

  it('answers 406, not 409, to a cancel of an ended task set up to refuse cancels', async () => {
    const id = await create({ cancel: 'conflict' })
    t.advance(14)
    expect((await cancel(id)).status).toBe(406)
  })

  it('accepts the body {} and an empty JSON body, as real clients send', async () => {
    const a = await create()
    const b = await create()
    const withBody = await t.call({ method: 'POST', url: `/v1/crdb_tasks/${a}/actions/cancel?force=true`, payload: {} })
    expect(withBody.status).toBe(200)
    const empty = await t.call({ method: 'POST', url: `/v1/crdb_tasks/${b}/actions/cancel`, headers: { 'content-type': 'application/json' }, payload: '' })
    expect(empty.status).toBe(200)
  })
})

describe('auth on the task routes', () => {
  it('answers 401 with the realm without credentials, with a wrong password and for an unknown user', async () => {
    const id = await create()
    const attempts = [
      {},
      { authorization: basic('admin@example.com', 'wrong') },
      { authorization: basic('nobody@example.com', 'pw-admin') },
      { authorization: 'Basic !!!not-base64' },
      { authorization: 'Bearer abc' }
    ]
    for (const url of ['/v1/crdb_tasks', `/v1/crdb_tasks/${id}`]) {
      for (const headers of attempts) {
        const res = await t.app.inject({ method: 'GET', url, headers })
        expect(res.statusCode).toBe(401)
        expect(res.headers['www-authenticate']).toBe('Basic realm="test.cluster"')
        expect(res.json().error_code).toBe('unauthorized')
      }
    }
  })

  it('lets every role but none read tasks', async () => {
    const id = await create()
    for (const role of ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager'] as const) {
      expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}`, role })).status).toBe(200)
      expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks', role })).status).toBe(200)
    }
    const res = await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}`, role: 'none' })
    expect(res.status).toBe(403)
    expect(errorCodeOf(res)).toBe('forbidden')
  })

  it('lets only admin, cluster_member and db_member cancel', async () => {
    for (const role of ['cluster_viewer', 'db_viewer', 'user_manager', 'none'] as const) {
      const id = await create()
      const res = await t.call({ method: 'POST', url: `/v1/crdb_tasks/${id}/actions/cancel`, role })
      expect(res.status, role).toBe(403)
      expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${id}` })).json.status).toBe('queued')
    }
    for (const role of ['admin', 'cluster_member', 'db_member'] as const) {
      const id = await create()
      expect((await t.call({ method: 'POST', url: `/v1/crdb_tasks/${id}/actions/cancel`, role })).status, role).toBe(200)
    }
  })

  it('checks credentials before the request\'s form, and permission before the form', async () => {
    const unauth = await t.app.inject({ method: 'GET', url: '/v1/crdb_tasks/x?verbose=perhaps' })
    expect(unauth.statusCode).toBe(401)
    const forbidden = await t.call({ method: 'POST', url: '/v1/crdb_tasks/x/actions/cancel?force=perhaps', role: 'db_viewer' })
    expect(forbidden.status).toBe(403)
  })
})
