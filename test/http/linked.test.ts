import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { basic, errorCodeOf, makeApp, type TestApp } from './helpers.js'

// Linked clusters on the main port, told apart by the Host header (as compose network aliases
// reach one container), and the rest of what a topology changes.
let t: TestApp
beforeEach(async () => {
  t = await makeApp({
    clusters: [
      { name: 'east.example.com' },
      { name: 'west.example.com', users: [{ email: 'ops@west.example.com', password: 'w3st', role: 'admin' }] }
    ]
  })
})
afterEach(async () => { await t.app.close() })

const EAST = { host: 'east.example.com:9443' }
const WEST = { host: 'west.example.com', authorization: basic('ops@west.example.com', 'w3st') }
const DURATION = 14
const instance = (name: string, username = 'admin@example.com', password = 'pw-admin') => ({ cluster: { name, url: `https://${name}:9443`, credentials: { username, password } } })
const BODY = { name: 'shop', instances: [instance('east.example.com'), instance('west.example.com', 'ops@west.example.com', 'w3st')] }

describe('linked clusters on one port, by Host', () => {
  it('answers as the cluster the Host header names, with its users and realm, and as the first one otherwise', async () => {
    const asWest = await t.call({ method: 'GET', url: '/v1/cluster', headers: WEST })
    expect(asWest.json.name).toBe('west.example.com')
    const wrong = await t.call({ method: 'GET', url: '/v1/cluster', headers: { host: 'west.example.com' } })
    expect(wrong.status).toBe(401)
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="west.example.com"')
    expect((await t.call({ method: 'GET', url: '/v1/cluster', headers: { host: 'localhost' } })).json.name).toBe('east.example.com')
  })

  it('keeps each cluster\'s tasks its own, the same X-Task-ID in both too, and shares the CRDB', async () => {
    const made = await t.call({ method: 'POST', url: '/v1/crdbs', payload: BODY, headers: { ...EAST, 'x-task-id': 'mk' } })
    expect(made.status).toBe(200)
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks/mk', headers: WEST })).status).toBe(404)
    expect((await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'mk' }, headers: WEST })).status).toBe(201)
    t.advance(DURATION)
    const guid = (await t.call({ method: 'GET', url: '/v1/crdb_tasks/mk', headers: EAST })).json.crdb_guid
    expect((await t.call({ method: 'GET', url: `/v1/crdbs/${guid as string}`, headers: WEST })).json.local_databases).toEqual([{ bdb_uid: '2', id: 2 }])
    // a change through west is west's task
    const flush = await t.call({ method: 'PUT', url: `/v1/crdbs/${guid as string}/flush`, headers: WEST })
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${flush.json.id as string}`, headers: WEST })).status).toBe(200)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${flush.json.id as string}`, headers: EAST })).status).toBe(404)
  })

  it('shows a cluster only the CRDBs that span it', async () => {
    const third = await makeApp({ clusters: [{ name: 'a.example.com' }, { name: 'b.example.com' }, { name: 'c.example.com' }] })
    try {
      await third.call({ method: 'POST', url: '/v1/crdbs', payload: { name: 'ab', instances: [instance('a.example.com'), instance('b.example.com')] }, headers: { host: 'a.example.com' } })
      third.advance(DURATION)
      expect((await third.call({ method: 'GET', url: '/v1/crdbs', headers: { host: 'b.example.com' } })).json.crdbs).toHaveLength(1)
      const fromC = await third.call({ method: 'GET', url: '/v1/crdbs', headers: { host: 'c.example.com' } })
      expect(fromC.json.crdbs).toEqual([])
    } finally {
      await third.app.close()
    }
  })

  it('fails a create that names no known cluster, the captured way, naming it', async () => {
    const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: { ...BODY, instances: [BODY.instances[0], instance('nowhere.example.com')] }, headers: EAST })
    t.advance(DURATION)
    expect((await t.call({ method: 'GET', url: `/v1/crdb_tasks/${res.json.id as string}`, headers: EAST })).json.errors).toEqual([
      { cluster_name: 'nowhere.example.com', description: 'Unavailable or invalid port', error_code: 'db_create_failed' }
    ])
  })

  it('closes the connection of a request to an unreachable cluster\'s API; its control API still answers', async () => {
    expect((await t.call({ method: 'PUT', url: '/__emulator/clusters/west.example.com', payload: { reachable: false } })).json).toEqual({ name: 'west.example.com', reachable: false, delay_ms: 0 })
    await expect(t.app.inject({ method: 'GET', url: '/v1/crdbs', headers: WEST })).rejects.toThrow()
    expect((await t.call({ method: 'GET', url: '/__emulator/clusters', headers: WEST })).json[1].reachable).toBe(false)
    const unknown = await t.call({ method: 'PUT', url: '/__emulator/clusters/nope', payload: { reachable: false } })
    expect(unknown.status).toBe(404)
    expect(errorCodeOf(unknown)).toBe('cluster_not_found')
  })

  it('keeps each namespace\'s cluster states its own: west down in one namespace still answers in the others', async () => {
    await t.call({ method: 'PUT', url: '/__emulator/namespaces/team-a' })
    await t.call({ method: 'PUT', url: '/ns/team-a/__emulator/clusters/west.example.com', payload: { reachable: false } })
    await expect(t.app.inject({ method: 'GET', url: '/ns/team-a/v1/crdbs', headers: WEST })).rejects.toThrow()
    expect((await t.call({ method: 'GET', url: '/v1/crdbs', headers: WEST })).status).toBe(200)
    expect((await t.call({ method: 'GET', url: '/__emulator/clusters' })).json[1].reachable).toBe(true)
  })

  it('keys fault rules and the journal on the cluster', async () => {
    await t.call({ method: 'POST', url: '/__emulator/faults', payload: { match: { cluster: 'west.example.com', path: '/v1/crdbs' }, action: { status: 503, error_code: 'cluster_busy', description: 'Busy.' } } })
    expect((await t.call({ method: 'GET', url: '/v1/crdbs', headers: WEST })).status).toBe(503)
    expect((await t.call({ method: 'GET', url: '/v1/crdbs', headers: EAST })).status).toBe(200)
    const west = (await t.call({ method: 'GET', url: '/__emulator/requests?cluster=west.example.com' })).json
    expect(west.map((e: any) => [e.path, e.status, e.cluster])).toEqual([['/v1/crdbs', 503, 'west.example.com']])
  })

  it('saves each cluster\'s state with the namespace, and loads it back', async () => {
    await t.call({ method: 'PUT', url: '/__emulator/clusters/west.example.com', payload: { reachable: false, delay_ms: 20 } })
    const state = (await t.call({ method: 'GET', url: '/__emulator/state' })).json
    expect(state.namespaces.default.clusters).toEqual([
      { name: 'east.example.com', reachable: true, delay_ms: 0 },
      { name: 'west.example.com', reachable: false, delay_ms: 20 }
    ])
    await t.call({ method: 'PUT', url: '/__emulator/clusters/west.example.com', payload: { reachable: true, delay_ms: 0 } })
    expect((await t.call({ method: 'PUT', url: '/__emulator/state', payload: state })).status).toBe(204)
    expect((await t.call({ method: 'GET', url: '/__emulator/clusters' })).json[1]).toEqual({ name: 'west.example.com', reachable: false, delay_ms: 20 })
  })
})
