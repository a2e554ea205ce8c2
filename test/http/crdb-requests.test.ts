import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { crdbBody, errorCodeOf, instanceOn, makeApp, type TestApp } from './helpers.js'

// The rest of the documented /v1/crdbs family (requests/crdbs: updates, purge, health_report,
// upgrade; instance ids; the documented value rules; --rs-version) as a client drives it.
let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

const DURATION = 14 // queued 1 + running 10 + commit 3
const problem = (detail: string) => ({ detail, status: 400, title: 'Bad Request', type: 'about:blank' })

/** Starts a change and runs its task to the end; returns the finished task. */
async function done (method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object): Promise<any> {
  const res = await t.call({ method, url, ...(payload === undefined ? {} : { payload }) })
  expect(res.status, `${method} ${url}: ${res.body}`).toBe(200)
  t.advance(DURATION)
  return (await t.call({ method: 'GET', url: `/v1/crdb_tasks/${res.json.id as string}?verbose=true` })).json
}

/** Creates a CRDB on these clusters and returns its GUID. */
async function create (clusters = ['east.example.com', 'west.example.com'], body: object = {}): Promise<string> {
  const task = await done('POST', '/v1/crdbs', { ...crdbBody('shop', clusters), ...body })
  expect(task.status).toBe('finished')
  return task.crdb_guid
}
const get = async (url: string): Promise<any> => (await t.call({ method: 'GET', url })).json

describe('a CRDB through its whole life, as a client drives it', () => {
  it('creates on two clusters, adds a third, force-removes one, purges it, reads the health report, flushes and deletes', async () => {
    const guid = await create()
    expect((await get(`/v1/crdbs/${guid}`)).instances.map((i: any) => [i.id, i.cluster.name])).toEqual([[1, 'east.example.com'], [2, 'west.example.com']])

    const added = await done('POST', `/v1/crdbs/${guid}/updates`, { add_instances: [instanceOn('north.example.com')] })
    expect(added).toMatchObject({ operation: 'update_crdb', status: 'finished', crdb_guid: guid })
    expect(added.progress.clusters.map((c: any) => c.name)).toEqual(['east.example.com', 'west.example.com', 'north.example.com'])
    expect((await get(`/v1/crdbs/${guid}`)).instances.map((i: any) => i.id)).toEqual([1, 2, 3])

    await done('POST', `/v1/crdbs/${guid}/updates`, { remove_instances: [2], force_remove: true })
    expect((await get(`/v1/crdbs/${guid}`)).instances.map((i: any) => i.id)).toEqual([1, 3])

    const purged = await done('PUT', `/v1/crdbs/${guid}/purge`, { instances: [2] })
    expect(purged).toMatchObject({ operation: 'purge_crdb', status: 'finished' })
    expect(purged.progress.clusters.map((c: any) => c.name)).toContain('west.example.com')
    // purged once, it is gone for good
    const again = await t.call({ method: 'PUT', url: `/v1/crdbs/${guid}/purge`, payload: { instances: [2] } })
    expect(again.status).toBe(404)
    expect(errorCodeOf(again)).toBe('crdb_instance_not_found')

    const report = await get(`/v1/crdbs/${guid}/health_report`)
    expect(report.map((r: any) => r.cluster_name)).toEqual(['east.example.com', 'north.example.com'])
    expect(report[0]).toMatchObject({ guid, name: 'shop', active_config_version: 3, connection_error: null })
    expect(report[0].configurations.map((c: any) => [c.version, c.status])).toEqual([[1, 'commit-completed'], [2, 'commit-completed'], [3, 'commit-completed']])
    expect(report[0].connections).toEqual([{ name: 'north.example.com', status: 'ok', replication_links: [{ link_uid: '1:3', status: 'up' }] }])

    expect((await done('PUT', `/v1/crdbs/${guid}/flush`)).status).toBe('finished')
    expect((await done('DELETE', `/v1/crdbs/${guid}`)).status).toBe('finished')
    expect((await t.call({ method: 'GET', url: `/v1/crdbs/${guid}` })).status).toBe(404)
  })
})

describe('instances: ids, the local one, per-instance settings', () => {
  it('gives instance ids in order of joining and never reuses one after a removal', async () => {
    const guid = await create(['a.example.com', 'b.example.com', 'c.example.com'])
    await done('POST', `/v1/crdbs/${guid}/updates`, { remove_instances: [3] })
    await done('POST', `/v1/crdbs/${guid}/updates`, { add_instances: [instanceOn('d.example.com')] })
    expect((await get(`/v1/crdbs/${guid}`)).instances.map((i: any) => [i.id, i.cluster.name])).toEqual([[1, 'a.example.com'], [2, 'b.example.com'], [4, 'd.example.com']])
  })

  it('answers GET ?instance_id as that instance sees the CRDB: its db_uid and local_databases; 404 for an unknown one, 400 for a bad one', async () => {
    const guid = await create()
    const seen = await get(`/v1/crdbs/${guid}?instance_id=2`)
    expect(seen.instances.map((i: any) => i.db_uid)).toEqual(['', '2'])
    expect(seen.local_databases).toEqual([{ bdb_uid: '2', id: 2 }])
    const unknown = await t.call({ method: 'GET', url: `/v1/crdbs/${guid}?instance_id=9` })
    expect(unknown.status).toBe(404)
    expect(errorCodeOf(unknown)).toBe('crdb_instance_not_found')
    const bad = await t.call({ method: 'GET', url: `/v1/crdbs/${guid}?instance_id=two` })
    expect(bad.status).toBe(400)
    expect(errorCodeOf(bad)).toBe('invalid_parameter')
  })

  it('takes the instance on this cluster (--cluster-name) as the local one', async () => {
    const guid = await create(['east.example.com', 'test.cluster'])
    expect((await get(`/v1/crdbs/${guid}`)).local_databases).toEqual([{ bdb_uid: '2', id: 2 }])
  })

  it('changes one instance\'s db_config by id with PATCH, and resets an override with null (the documented form)', async () => {
    const guid = await create()
    await done('PATCH', `/v1/crdbs/${guid}`, { instances: [{ id: 1, db_config: { memory_size: 2048, shards_count: 2 } }] })
    let crdb = await get(`/v1/crdbs/${guid}`)
    expect(crdb.instances.map((i: any) => i.db_config)).toEqual([{ memory_size: 2048, shards_count: 2 }, {}])
    await done('PATCH', `/v1/crdbs/${guid}`, { instances: [{ id: 1, db_config: { memory_size: null } }] })
    crdb = await get(`/v1/crdbs/${guid}`)
    expect(crdb.instances.map((i: any) => i.db_config)).toEqual([{ shards_count: 2 }, {}])
    // a PATCH never drops the instances it does not list
    expect(crdb.instances).toHaveLength(2)
  })

  it('answers a PATCH of an unknown instance id with 404, one without an id with 400, and changes nothing', async () => {
    const guid = await create()
    const unknown = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { instances: [{ id: 7, db_config: {} }] } })
    expect(unknown.status).toBe(404)
    expect(errorCodeOf(unknown)).toBe('crdb_instance_not_found')
    expect(unknown.json.description).toContain('instances[0].id')
    const noId = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { instances: [instanceOn('x.example.com')] } })
    expect(noId.json).toEqual(problem('\'id\' is a required property - \'instances.0\''))
    expect((await get('/v1/crdb_tasks')).map((task: any) => task.operation)).toEqual(['create_crdb'])
  })

  it('refuses with 406 a change of what is fixed at creation (port, sharding, hashing, modules), and takes the same value', async () => {
    const guid = await create(undefined, { default_db_config: { port: 12000, sharding: true } })
    for (const change of [{ port: 12001 }, { sharding: false }, { oss_sharding: true }, { shard_key_regex: [{ regex: '.*' }] }, { module_list: [{ module_name: 'search' }] }]) {
      const res = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { default_db_config: change } })
      expect(res.status, JSON.stringify(change)).toBe(406)
      expect(res.json.description).toContain(`default_db_config.${Object.keys(change)[0] ?? ''}`)
    }
    const port = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { instances: [{ id: 1, db_config: { port: 13000 } }] } })
    expect(port.status).toBe(406)
    expect((await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { default_db_config: { port: 12000, sharding: true } } })).status).toBe(200)
  })
})

describe('POST /v1/crdbs/{guid}/updates', () => {
  it('refuses an instance already present (406), an unknown id to remove (404), and leaving one instance (406)', async () => {
    const guid = await create()
    for (const [body, status, code] of [
      [{ add_instances: [instanceOn('east.example.com')] }, 406, 'crdb_not_acceptable'],
      [{ add_instances: [{ cluster: { name: 'other', url: 'https://east.example.com:9443', credentials: { username: 'u', password: 'p' } } }] }, 406, 'crdb_not_acceptable'],
      [{ remove_instances: [5] }, 404, 'crdb_instance_not_found'],
      [{ remove_instances: [1] }, 406, 'crdb_not_acceptable']
    ] as const) {
      const res = await t.call({ method: 'POST', url: `/v1/crdbs/${guid}/updates`, payload: body })
      expect(res.status, JSON.stringify(body)).toBe(status)
      expect(errorCodeOf(res)).toBe(code)
    }
  })

  it('refuses a request that asks for nothing, and force_remove without remove_instances, with 400', async () => {
    const guid = await create()
    for (const body of [{}, { force_remove: true }]) {
      const res = await t.call({ method: 'POST', url: `/v1/crdbs/${guid}/updates`, payload: body })
      expect(res.status).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_request')
    }
    expect((await t.call({ method: 'POST', url: `/v1/crdbs/${guid}/updates`, payload: { remove_instances: ['x'] } })).json)
      .toEqual(problem('\'x\' is not of type \'integer\' - \'remove_instances.0\''))
  })

  it('validates only with dry_run=true, and pushes a new configuration version with force_update', async () => {
    const guid = await create()
    const dry = await t.call({ method: 'POST', url: `/v1/crdbs/${guid}/updates?dry_run=true`, payload: { add_instances: [instanceOn('n.example.com')] } })
    expect(dry.json).toEqual({})
    expect((await t.call({ method: 'POST', url: `/v1/crdbs/${guid}/updates?dry_run=true`, payload: { remove_instances: [9] } })).status).toBe(404)
    expect(await get('/v1/crdb_tasks')).toHaveLength(1)
    await done('POST', `/v1/crdbs/${guid}/updates`, { force_update: true })
    expect((await get(`/v1/crdbs/${guid}/health_report`))[0].active_config_version).toBe(2)
  })

  it('applies the crdb part like a PATCH', async () => {
    const guid = await create()
    await done('POST', `/v1/crdbs/${guid}/updates`, { crdb: { default_db_config: { memory_size: 99 }, causal_consistency: true } })
    const crdb = await get(`/v1/crdbs/${guid}`)
    expect(crdb.default_db_config.memory_size).toBe(99)
    expect(crdb.causal_consistency).toBe(true)
  })

  it('purges only an instance removed by force: a removed one without force, or a member, is 404', async () => {
    const guid = await create(['a.example.com', 'b.example.com', 'c.example.com'])
    await done('POST', `/v1/crdbs/${guid}/updates`, { remove_instances: [3] })
    for (const id of [3, 1]) {
      const res = await t.call({ method: 'PUT', url: `/v1/crdbs/${guid}/purge`, payload: { instances: [id] } })
      expect(res.status).toBe(404)
      expect(errorCodeOf(res)).toBe('crdb_instance_not_found')
    }
    expect((await t.call({ method: 'PUT', url: `/v1/crdbs/${guid}/purge`, payload: { instances: [] } })).json).toEqual(problem('[] is too short - \'instances\''))
  })
})

describe('GET /v1/crdbs/{guid}/health_report', () => {
  it('shows the new configuration posted, then ready, then commit-completed as the task moves', async () => {
    const guid = await create()
    const task = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { encryption: true } })
    const statuses = async () => (await get(`/v1/crdbs/${guid}/health_report`))[0].configurations.map((c: any) => `${c.version as number}:${c.status as string}`)
    expect(await statuses()).toEqual(['1:commit-completed'])
    t.advance(1)
    expect(await statuses()).toEqual(['1:commit-completed', '2:posted'])
    t.advance(10)
    expect(await statuses()).toEqual(['1:commit-completed', '2:ready'])
    t.advance(3)
    expect(await statuses()).toEqual(['1:commit-completed', '2:commit-completed'])
    expect((await get(`/v1/crdb_tasks/${task.json.id as string}`)).status).toBe('finished')
  })

  it('marks a configuration failed, and shows a connection error to the cluster a failed task names, until a change completes', async () => {
    const guid = await create()
    const task = await t.call({ method: 'PATCH', url: `/v1/crdbs/${guid}`, payload: { encryption: true } })
    await t.call({ method: 'PATCH', url: `/__emulator/tasks/${task.json.id as string}`, payload: { outcome: 'failed', errors: [{ cluster_name: 'west.example.com', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }] } })
    t.advance(DURATION)
    const [east, west] = await get(`/v1/crdbs/${guid}/health_report`)
    expect(east.configurations.map((c: any) => c.status)).toEqual(['commit-completed', 'failed'])
    expect(east.connection_error).toBeNull()
    expect(east.connections).toEqual([{ name: 'west.example.com', status: 'error', replication_links: [{ link_uid: '1:2', status: 'down' }] }])
    expect(west.connection_error).toBe('Unavailable or invalid port')
    await done('PATCH', `/v1/crdbs/${guid}`, { encryption: true })
    expect((await get(`/v1/crdbs/${guid}/health_report`))[1].connection_error).toBeNull()
  })

  it('answers only instance_id\'s report, and every instance\'s when that instance does not exist (as documented)', async () => {
    const guid = await create()
    expect((await get(`/v1/crdbs/${guid}/health_report?instance_id=2`)).map((r: any) => r.cluster_name)).toEqual(['west.example.com'])
    expect(await get(`/v1/crdbs/${guid}/health_report?instance_id=8`)).toHaveLength(2)
  })
})

describe('POST /v1/crdbs/{guid}/upgrade', () => {
  it('starts an upgrade_crdb task that sets redis_version when it completes', async () => {
    const guid = await create()
    const task = await done('POST', `/v1/crdbs/${guid}/upgrade`, { redis_version: '8.2', preserve_roles: true, may_discard_data: false })
    expect(task).toMatchObject({ operation: 'upgrade_crdb', status: 'finished' })
    expect((await get(`/v1/crdbs/${guid}`)).default_db_config.redis_version).toBe('8.2')
  })

  it('answers 406 for a module the database does not have, 400 for a bad version', async () => {
    const guid = await create(undefined, { default_db_config: { module_list: [{ module_name: 'search', module_args: '' }] } })
    const foreign = await t.call({ method: 'POST', url: `/v1/crdbs/${guid}/upgrade`, payload: { modules: [{ module_name: 'timeseries' }] } })
    expect(foreign.status).toBe(406)
    expect(foreign.json.description).toContain('timeseries')
    expect((await t.call({ method: 'POST', url: `/v1/crdbs/${guid}/upgrade`, payload: { modules: [{ module_name: 'search' }] } })).status).toBe(200)
    t.advance(DURATION)
    const bad = await t.call({ method: 'POST', url: `/v1/crdbs/${guid}/upgrade`, payload: { redis_version: 'latest' } })
    expect(bad.json.detail).toContain('- \'redis_version\'')
  })

  it('does not exist before 8.0 (--rs-version 7.22)', async () => {
    const old = await makeApp({ rsVersion: '7.22' })
    try {
      const res = await old.call({ method: 'POST', url: '/v1/crdbs/0b6a4f1e-5c3d-4e2f-8a1b-9c8d7e6f5a4b/upgrade', payload: {} })
      expect(res.status).toBe(404)
      expect(errorCodeOf(res)).toBe('not_found')
    } finally {
      await old.app.close()
    }
  })
})

describe('the documented value rules of a create', () => {
  it('refuses each documented form rule with 400 in the problem shape, naming the field', async () => {
    const base = crdbBody('shop')
    const withConfig = (config: object) => ({ ...base, default_db_config: config })
    for (const [body, field] of [
      [{ ...base, name: 'a'.repeat(64) }, 'name'], [{ ...base, name: 'under_score' }, 'name'], [{ ...base, name: '-dash' }, 'name'],
      [withConfig({ eviction_policy: 'sometimes' }), 'default_db_config.eviction_policy'],
      [withConfig({ shards_count: 9999 }), 'default_db_config.shards_count'],
      [withConfig({ shards_count: 0 }), 'default_db_config.shards_count'],
      [withConfig({ memory_size: 'lots' }), 'default_db_config.memory_size'],
      [withConfig({ replication_oom_threshold_percent: 99 }), 'default_db_config.replication_oom_threshold_percent'],
      [withConfig({ tls_mode: 'on' }), 'default_db_config.tls_mode'],
      [withConfig({ data_persistence: 'rdb' }), 'default_db_config.data_persistence'],
      [withConfig({ module_list: [{ module_name: 'search', module_args: 'a&b' }] }), 'default_db_config.module_list.0.module_args'],
      [{ ...base, instances: [{ ...base.instances[0], compression: 7 }, base.instances[1]] }, 'instances.0.compression'],
      [{ ...base, guid: 'not-a-guid' }, 'guid']
    ] as const) {
      const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: body })
      expect(res.status, field).toBe(400)
      expect(res.json.detail, field).toMatch(new RegExp(` - '${field.replaceAll('.', '\\.')}'$`))
    }
    expect(await get('/v1/crdb_tasks')).toEqual([])
  })

  it('refuses credentials and certificate_auth together, or neither, with 400 naming the cluster', async () => {
    const [a, b] = crdbBody('shop').instances as [any, any]
    const cert = { client_cert: 'PEM', client_key: 'PEM' }
    for (const first of [{ cluster: { ...a.cluster, certificate_auth: cert } }, { cluster: { name: a.cluster.name, url: a.cluster.url } }]) {
      const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: { name: 'shop', instances: [first, b] } })
      expect(res.status).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_request')
      expect(res.json.description).toContain('instances[0].cluster')
    }
    const certOnly = { cluster: { name: a.cluster.name, url: a.cluster.url, certificate_auth: cert } }
    expect((await t.call({ method: 'POST', url: '/v1/crdbs', payload: { name: 'shop', instances: [certOnly, b] } })).status).toBe(200)
    const old = await makeApp({ rsVersion: '7.22' })
    try {
      const res = await old.call({ method: 'POST', url: '/v1/crdbs', payload: { name: 'shop', instances: [certOnly, b] } })
      expect(res.status).toBe(400)
      expect(res.json.description).toContain('before Redis Software 8.0')
    } finally {
      await old.app.close()
    }
  })

  it('refuses with 406 what cannot be accepted: one cluster, two instances on one cluster, snapshot persistence, a GUID in use', async () => {
    const base = crdbBody('shop')
    const guid = await create()
    for (const [body, words] of [
      [{ ...base, instances: base.instances.slice(0, 1) }, 'at least two'],
      [{ ...base, instances: [base.instances[0], base.instances[0]] }, 'its own cluster'],
      [{ ...base, default_db_config: { data_persistence: 'snapshot' } }, 'snapshot'],
      [{ ...base, guid }, 'already exists']
    ] as const) {
      const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: body })
      expect(res.status, words).toBe(406)
      expect(errorCodeOf(res)).toBe('crdb_not_acceptable')
      expect(res.json.description).toContain(words)
    }
  })

  it('takes a GUID chosen in the body (as the certificate-auth page sends one)', async () => {
    const chosen = '5f0e8d2a-1b3c-4d5e-8f70-a1b2c3d4e5f6'
    const task = await done('POST', '/v1/crdbs', { ...crdbBody('shop'), guid: chosen })
    expect(task.crdb_guid).toBe(chosen)
    expect((await get(`/v1/crdbs/${chosen}`)).guid).toBe(chosen)
  })
})

describe('the emulated version (--rs-version)', () => {
  it('answers GET /v1/cluster with the cluster\'s name and GET /v1/nodes with the software version', async () => {
    expect(await get('/v1/cluster')).toMatchObject({ name: 'test.cluster' })
    expect((await get('/v1/nodes'))[0].software_version).toBe('8.0.18')
  })

  it('shows 7.x\'s database_config under --rs-version 7.8: bigstore, and no eviction_policy', async () => {
    const old = await makeApp({ rsVersion: '7.8' })
    try {
      await old.call({ method: 'POST', url: '/v1/crdbs', payload: crdbBody('shop') })
      old.advance(DURATION)
      const [crdb] = (await old.call({ method: 'GET', url: '/v1/crdbs' })).json.crdbs
      expect(crdb.default_db_config).toMatchObject({ bigstore: false, bigstore_ram_size: 0 })
      expect(crdb.default_db_config.eviction_policy).toBeUndefined()
      expect(crdb.default_db_config.replication_oom_threshold_percent).toBeUndefined()
      expect((await old.call({ method: 'GET', url: '/v1/nodes' })).json[0].software_version).toBe('7.8.6')
    } finally {
      await old.app.close()
    }
  })
})
