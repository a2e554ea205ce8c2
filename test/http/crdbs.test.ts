import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorCodeOf, makeApp, type TestApp } from './helpers.js'

let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

const BODY = {
  name: 'shop',
  default_db_config: { name: 'shop', memory_size: 1073741824, port: 12000 },
  instances: [
    { cluster: { url: 'https://east.example:9443', name: 'east.example', credentials: { username: 'admin@east', password: 'east-secret' } } },
    { cluster: { url: 'https://west.example:9443', name: 'west.example', credentials: { username: 'admin@west', password: 'west-secret' } }, compression: 3 }
  ],
  encryption: true,
  featureset_version: 5
}
const DURATION = 14 // queued 1 + running 10 + commit 3

const createCrdb = async (headers: Record<string, string> = {}): Promise<{ taskId: string, guid: string }> => {
  const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY, headers })
  expect(res.status).toBe(200)
  t.advance(DURATION)
  const task = (await t.call({ method: 'GET', url: `/v1/crdb_tasks/${res.json.id as string}` })).json
  expect(task.status).toBe('finished')
  return { taskId: res.json.id, guid: task.crdb_guid }
}
const crdbCount = async (): Promise<number> => (await t.call({ method: 'GET', url: '/v1/crdbs' })).json.crdbs.length
/** A problem-details body, as real clusters answer a request body that fails its schema. */
const problem = (detail: string) => ({ detail, status: 400, title: 'Bad Request', type: 'about:blank' })

describe('POST /v1/crdbs', () => {
  it('answers 200 with a queued create_crdb task, and the CRDB exists once the task completes', async () => {
    const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ id: expect.any(String), operation: 'create_crdb', status: 'queued' })
    expect(await crdbCount()).toBe(0)
    t.advance(1)
    const started = (await t.call({ method: 'GET', url: `/v1/crdb_tasks/${res.json.id as string}?verbose=true` })).json
    expect(started.crdb_guid).toMatch(/^[0-9a-f-]{36}$/)
    expect(started.progress.clusters).toEqual([{ name: 'east.example', progress: 'running' }, { name: 'west.example', progress: 'running' }])
    expect(await crdbCount()).toBe(0)
    t.advance(DURATION - 1)
    const crdb = await t.call({ method: 'GET', url: `/v1/crdbs/${started.crdb_guid as string}` })
    expect(crdb.status).toBe(200)
    // the documented CRDB object, with the defaults a real cluster fills in under what was given
    expect(crdb.json).toEqual({
      guid: started.crdb_guid,
      name: 'shop',
      default_db_config: {
        aof_policy: 'appendfsync-every-sec',
        data_persistence: 'aof',
        eviction_policy: 'noeviction',
        max_aof_load_time: 3600,
        memory_size: 1073741824,
        name: 'shop',
        oss_cluster: false,
        oss_sharding: false,
        port: 12000,
        rack_aware: false,
        replication: true,
        replication_oom_threshold_percent: 5,
        sharding: false,
        shards_count: 1,
        tls_mode: 'disabled'
      },
      instances: [
        // seen from the first instance: only it shows its database id
        { id: 1, cluster: { url: 'https://east.example:9443', name: 'east.example' }, compression: 3, db_config: {}, db_uid: '1' },
        { id: 2, cluster: { url: 'https://west.example:9443', name: 'west.example' }, compression: 3, db_config: {}, db_uid: '' }
      ],
      encryption: true,
      causal_consistency: false,
      featureset_version: 1,
      protocol_version: 1,
      local_databases: [{ bdb_uid: '1', id: 1 }],
      modules: [],
      managed_by: '',
      volatile_config_fields: [],
      status: 'active'
    })
    // real clusters wrap the list
    expect((await t.call({ method: 'GET', url: '/v1/crdbs' })).json).toEqual({ crdbs: [crdb.json] })
  })

  it('never shows the credentials it was given', async () => {
    await createCrdb()
    const list = (await t.call({ method: 'GET', url: '/v1/crdbs' })).body
    expect(list).not.toContain('secret')
    expect(list).not.toContain('credentials')
  })

  it('creates nothing when the task fails or is canceled before commit', async () => {
    const failing = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY })
    await t.call({ method: 'PATCH', url: `/__emulator/tasks/${failing.json.id as string}`, payload: { outcome: 'failed', errors: [{ error_code: 'db_create_failed', description: 'Unavailable or invalid port' }] } })
    const canceled = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY })
    t.advance(5)
    expect((await t.call({ method: 'POST', url: `/v1/crdb_tasks/${canceled.json.id as string}/actions/cancel` })).status).toBe(200)
    t.advance(DURATION)
    const failed = (await t.call({ method: 'GET', url: `/v1/crdb_tasks/${failing.json.id as string}` })).json
    expect(failed.status).toBe('failed')
    expect(failed.errors).toEqual([{ cluster_name: '', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }])
    expect(await crdbCount()).toBe(0)
  })

  it('leaves a CRDB inconsistent after a force-cancel during the commit of its creation', async () => {
    const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY })
    t.advance(11)
    expect((await t.call({ method: 'POST', url: `/v1/crdb_tasks/${res.json.id as string}/actions/cancel?force=true` })).status).toBe(200)
    const [crdb] = (await t.call({ method: 'GET', url: '/v1/crdbs' })).json.crdbs
    expect(crdb.status).toBe('inconsistent')
  })

  it('honours X-Task-ID and X-Result-TTL', async () => {
    const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY, headers: { 'x-task-id': 'create-shop', 'x-result-ttl': '20' } })
    expect(res.json.id).toBe('create-shop')
    t.advance(DURATION + 19)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/create-shop' })).status).toBe(200)
    t.advance(1)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/create-shop' })).status).toBe(404)
  })

  it('answers 409 task_exists to a live X-Task-ID, and starts nothing', async () => {
    await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY, headers: { 'x-task-id': 'same' } })
    const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY, headers: { 'x-task-id': 'same' } })
    expect(res.status).toBe(409)
    expect(errorCodeOf(res)).toBe('task_exists')
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toHaveLength(1)
  })

  it('answers 400 invalid_header to an X-Task-ID that is not 1-128 of [A-Za-z0-9._:-]', async () => {
    for (const id of ['has space', 'x'.repeat(129), 'semi;colon']) {
      const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY, headers: { 'x-task-id': id } })
      expect(res.status, id).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_header')
      expect(res.json.description).toContain('X-Task-ID')
    }
  })

  it('validates without starting anything when dry_run=true', async () => {
    const ok = await t.call({ method: 'POST', url: '/v1/crdbs?dry_run=true', payload: BODY })
    expect(ok.status).toBe(200)
    expect(ok.json).toEqual({})
    const bad = await t.call({ method: 'POST', url: '/v1/crdbs?dry_run=true', payload: { name: 'x' } })
    expect(bad.status).toBe(400)
    expect(bad.json).toEqual(problem('\'instances\' is a required property'))
    // the rules beyond the form too: one instance is not enough
    const one = await t.call({ method: 'POST', url: '/v1/crdbs?dry_run=true', payload: { ...BODY, instances: BODY.instances.slice(0, 1) } })
    expect(one.status).toBe(406)
    expect(errorCodeOf(one)).toBe('crdb_not_acceptable')
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toEqual([])
    t.advance(100)
    expect(await crdbCount()).toBe(0)
  })

  it('answers a body that fails its schema with 400 in the problem shape real clusters use, naming the field, and changes nothing', async () => {
    const { instances } = BODY
    const cases: Array<[unknown, string]> = [
      [{ instances }, '\'name\' is a required property'],
      [{ name: 'x' }, '\'instances\' is a required property'],
      [{ name: 'x', instances: [] }, '[] is too short - \'instances\''],
      [{ name: 'x', instances: [{}] }, '\'cluster\' is a required property - \'instances.0\''],
      [{ name: 'x', instances: [{ cluster: { url: 'https://a' } }] }, '\'name\' is a required property - \'instances.0.cluster\''],
      [{ name: 'x', instances: [instances[0], { cluster: { name: 'b', url: 7 } }] }, '7 is not of type \'string\' - \'instances.1.cluster.url\''],
      [{ name: 5, instances }, '5 is not of type \'string\' - \'name\''],
      [{ name: 'x', instances, encryption: 'yes' }, '\'yes\' is not of type \'boolean\' - \'encryption\''],
      [{ name: 'x', instances, default_db_config: [] }, '[] is not of type \'object\' - \'default_db_config\''],
      [[BODY], 'is not of type \'object\''],
      ['"shop"', '\'shop\' is not of type \'object\'']
    ]
    for (const [payload, detail] of cases) {
      const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: payload as object, headers: { 'content-type': 'application/json' } })
      expect(res.status, JSON.stringify(payload)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(Object.keys(res.json).sort()).toEqual(['detail', 'status', 'title', 'type'])
      expect(res.json.detail, JSON.stringify(payload)).toContain(detail)
    }
    // a payload that did not arrive as JSON: the captured answer
    for (const options of [{}, { headers: { 'content-type': 'text/plain' }, payload: 'name=shop' }]) {
      const res = await t.call({ method: 'POST', url: '/v1/crdbs', ...options })
      expect(res.status).toBe(400)
      expect(res.json).toEqual(problem('None is not of type \'object\''))
    }
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toEqual([])
  })
})

describe('PATCH, DELETE and flush of /v1/crdbs/{guid}', () => {
  it('applies a PATCH only when its task completes, merging default_db_config', async () => {
    const { guid } = await createCrdb()
    const res = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { name: 'shop2', default_db_config: { memory_size: 2 } } })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ id: expect.any(String), crdb_guid: guid, operation: 'update_crdb', status: 'queued' })
    t.advance(DURATION - 1)
    expect((await t.call({ method: 'GET', url: `/v1/crdbs/${guid}` })).json.name).toBe('shop')
    t.advance(1)
    const crdb = (await t.call({ method: 'GET', url: `/v1/crdbs/${guid}` })).json
    expect(crdb.name).toBe('shop2')
    expect(crdb.default_db_config).toMatchObject({ name: 'shop', memory_size: 2, port: 12000 })
    expect(crdb.instances.map((i: { id: number }) => i.id)).toEqual([1, 2])
  })

  it('makes an inconsistent CRDB active again with the next update that completes', async () => {
    const { guid } = await createCrdb()
    const first = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { encryption: false } })
    t.advance(11)
    await t.call({ method: 'POST', url: `/v1/crdb_tasks/${first.json.id as string}/actions/cancel?force=true` })
    const after = (await t.call({ method: 'GET', url: `/v1/crdbs/${guid}` })).json
    expect(after.status).toBe('inconsistent')
    expect(after.encryption).toBe(true)
    expect((await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: {} })).status).toBe(200)
    t.advance(DURATION)
    expect((await t.call({ method: 'GET', url: `/v1/crdbs/${guid}` })).json.status).toBe('active')
  })

  it('deletes a CRDB when the delete task completes, refuses other changes meanwhile with 406, and a second delete after with 406', async () => {
    const { guid } = await createCrdb()
    const del = await t.call({ method: 'DELETE', url: `/v1/crdbs/${guid}` })
    expect(del.status).toBe(200)
    expect(del.json.operation).toBe('delete_crdb')
    for (const [method, url] of [['PATCH', `/v1/crdbs/${guid}`], ['DELETE', `/v1/crdbs/${guid}`], ['PUT', `/v1/crdbs/${guid}/flush`]] as const) {
      const res = await t.call({ method, url, ...(method === 'PATCH' ? { payload: { name: 'n' } } : {}) })
      expect(res.status, `${method} ${url}`).toBe(406)
      expect(errorCodeOf(res)).toBe('crdb_not_acceptable')
    }
    expect((await t.call({ method: 'GET', url: `/v1/crdbs/${guid}` })).status).toBe(200)
    t.advance(DURATION)
    const gone = await t.call({ method: 'GET', url: `/v1/crdbs/${guid}` })
    expect(gone.status).toBe(404)
    expect(errorCodeOf(gone)).toBe('crdb_not_found')
    // the delete page: 406 when "the Active-Active database was already deleted"
    const again = await t.call({ method: 'DELETE', url: `/v1/crdbs/${guid}` })
    expect(again.status).toBe(406)
    expect(again.json.description).toContain('already deleted')
  })

  it('answers one change at a time: any change while another task of the CRDB is active is 406, and accepted once it ends', async () => {
    const { guid } = await createCrdb()
    const first = await t.call({ method: 'PUT', url: `/v1/crdbs/${guid}/flush` })
    expect(first.status).toBe(200)
    for (const [method, url, payload] of [
      ['PATCH', `/v1/crdbs/${guid}`, { name: 'n' }], ['PUT', `/v1/crdbs/${guid}/flush`, undefined], ['DELETE', `/v1/crdbs/${guid}`, undefined],
      ['POST', `/v1/crdbs/${guid}/updates`, { force_update: true }], ['POST', `/v1/crdbs/${guid}/upgrade`, {}]
    ] as const) {
      const res = await t.call({ method, url, ...(payload === undefined ? {} : { payload }) })
      expect(res.status, `${method} ${url}`).toBe(406)
      expect(errorCodeOf(res)).toBe('crdb_not_acceptable')
      expect(res.json.description).toContain(first.json.id)
    }
    t.advance(DURATION)
    expect((await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { name: 'next' } })).status).toBe(200)
  })

  it('accepts changes again after a delete task is canceled', async () => {
    const { guid } = await createCrdb()
    const del = await t.call({ method: 'DELETE', url: `/v1/crdbs/${guid}` })
    await t.call({ method: 'POST', url: `/v1/crdb_tasks/${del.json.id as string}/actions/cancel` })
    expect((await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { name: 'kept' } })).status).toBe(200)
    expect(await crdbCount()).toBe(1)
  })

  it('starts a flush_crdb task that shows no crdb_guid', async () => {
    const { guid } = await createCrdb()
    const res = await t.call({ method: 'PUT', url: `/v1/crdbs/${guid}/flush` })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ id: expect.any(String), operation: 'flush_crdb', status: 'queued' })
    t.advance(DURATION)
    const task = (await t.call({ method: 'GET', url: `/v1/crdb_tasks/${res.json.id as string}?verbose=1` })).json
    expect(task.status).toBe('finished')
    expect(task.crdb_guid).toBeUndefined()
    expect(task.progress.clusters.map((c: { name: string }) => c.name)).toEqual(['east.example', 'west.example'])
    // async_flush is taken (a boolean, as documented)
    expect((await t.call({ method: 'PUT', url: `/v1/crdbs/${guid}/flush?async_flush=true` })).status).toBe(200)
    t.advance(DURATION)
    const bad = await t.call({ method: 'PUT', url: `/v1/crdbs/${guid}/flush?async_flush=maybe` })
    expect(bad.status).toBe(400)
    expect(errorCodeOf(bad)).toBe('invalid_parameter')
  })

  it('answers 404 crdb_not_found for an unknown GUID on every route, and 406 to a DELETE of a GUID that is not one', async () => {
    const unknown = '0b6a4f1e-5c3d-4e2f-8a1b-9c8d7e6f5a4b'
    for (const [method, url, payload] of [
      ['GET', `/v1/crdbs/${unknown}`], ['PATCH', `/v1/crdbs/${unknown}`, {}], ['DELETE', `/v1/crdbs/${unknown}`], ['PUT', `/v1/crdbs/${unknown}/flush`],
      ['GET', `/v1/crdbs/${unknown}/health_report`], ['POST', `/v1/crdbs/${unknown}/updates`, { force_update: true }],
      ['PUT', `/v1/crdbs/${unknown}/purge`, { instances: [1] }], ['POST', `/v1/crdbs/${unknown}/upgrade`, {}], ['PATCH', '/v1/crdbs/nope', {}]
    ] as const) {
      const res = await t.call({ method, url, ...(payload === undefined ? {} : { payload }) })
      expect(res.status, `${method} ${url}`).toBe(404)
      expect(errorCodeOf(res)).toBe('crdb_not_found')
    }
    // the delete page: 406 "The Active-Active GUID is invalid"
    const malformed = await t.call({ method: 'DELETE', url: '/v1/crdbs/nope' })
    expect(malformed.status).toBe(406)
    expect(errorCodeOf(malformed)).toBe('crdb_not_acceptable')
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toEqual([])
  })

  it('answers 400 to a PATCH with a wrong type, and changes nothing', async () => {
    const { guid } = await createCrdb()
    const res = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { name: 42 } })
    expect(res.status).toBe(400)
    expect(res.json).toEqual(problem('42 is not of type \'string\' - \'name\''))
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toHaveLength(1)
  })

  it('answers 503 too_many_tasks when the task cap is reached', async () => {
    const small = await makeApp({ maxTasks: 1 })
    try {
      expect((await small.call({ method: 'POST', url: '/v1/crdbs', payload: BODY })).status).toBe(200)
      const res = await small.call({ method: 'POST', url: '/v1/crdbs', payload: BODY })
      expect(res.status).toBe(503)
      expect(errorCodeOf(res)).toBe('too_many_tasks')
    } finally {
      await small.app.close()
    }
  })
})

describe('permissions on /v1/crdbs', () => {
  it('lets every role but none read, and only admin, cluster_member and db_member change', async () => {
    const { guid } = await createCrdb()
    for (const role of ['cluster_viewer', 'db_viewer', 'user_manager'] as const) {
      expect((await t.call({ method: 'GET', url: '/v1/crdbs', role })).status).toBe(200)
      expect((await t.call({ method: 'GET', url: `/v1/crdbs/${guid}`, role })).status).toBe(200)
      expect((await t.call({ method: 'GET', url: `/v1/crdbs/${guid}/health_report`, role })).status).toBe(200)
      for (const [method, url] of [
        ['POST', '/v1/crdbs'], ['PATCH', `/v1/crdbs/${guid}`], ['DELETE', `/v1/crdbs/${guid}`], ['PUT', `/v1/crdbs/${guid}/flush`],
        ['POST', `/v1/crdbs/${guid}/updates`], ['PUT', `/v1/crdbs/${guid}/purge`], ['POST', `/v1/crdbs/${guid}/upgrade`]
      ] as const) {
        const res = await t.call({ method, url, role, payload: BODY })
        expect(res.status, `${role} ${method} ${url}`).toBe(403)
        expect(errorCodeOf(res)).toBe('forbidden')
      }
    }
    expect((await t.call({ method: 'GET', url: '/v1/crdbs', role: 'none' })).status).toBe(403)
    for (const role of ['cluster_member', 'db_member'] as const) {
      expect((await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, role, payload: {} })).status).toBe(200)
      t.advance(DURATION)
    }
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).json).toHaveLength(3)
  })

  it('follows 7.4\'s table with --rs-version 7.4: user_manager may not read CRDBs or their tasks', async () => {
    const old = await makeApp({ rsVersion: '7.4' })
    try {
      for (const url of ['/v1/crdbs', '/v1/crdb_tasks']) {
        expect((await old.call({ method: 'GET', url, role: 'user_manager' })).status, url).toBe(403)
        expect((await old.call({ method: 'GET', url, role: 'db_viewer' })).status, url).toBe(200)
      }
    } finally {
      await old.app.close()
    }
  })
})

describe('PATCH /__emulator/tasks/{id}', () => {
  it('changes durations of an active task, counted from the start of its phase', async () => {
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'a' } })
    t.advance(3) // running since T+1
    const res = await t.call({ method: 'PATCH', url: '/__emulator/tasks/a', payload: { durations: { running: 4, commit: 1 } } })
    expect(res.status).toBe(200)
    t.advance(1.999)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/a?verbose=1' })).json.progress.worker).toBe('running')
    t.advance(0.001)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/a?verbose=1' })).json.progress.worker).toBe('commit')
    t.advance(1)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/a' })).json.status).toBe('finished')
  })

  it('answers 409 for an ended task, 404 for an unknown one and 400 for a bad field', async () => {
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'e', durations: { queued: 0, running: 0, commit: 0 } } })
    t.advance(1)
    expect((await t.call({ method: 'PATCH', url: '/__emulator/tasks/e', payload: { outcome: 'failed' } })).status).toBe(409)
    expect((await t.call({ method: 'PATCH', url: '/__emulator/tasks/nope', payload: {} })).status).toBe(404)
    const bad = await t.call({ method: 'PATCH', url: '/__emulator/tasks/e', payload: { id: 'renamed' } })
    expect(bad.status).toBe(400)
    expect(bad.json.description).toContain('id')
  })
})
