import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createEmulator, type Emulator } from '../../src/lib/index.js'

// Linked clusters: east and west of one Active-Active deployment, each on a port of its own,
// each with its own users, as automation meets them.
const EAST = { name: 'east.example.com', users: [{ email: 'admin@example.com', password: 'admin', role: 'admin' as const }] }
const WEST = { name: 'west.example.com', users: [{ email: 'ops@west.example.com', password: 'w3st', role: 'admin' as const }] }
const DURATION = 14

let emulator: Emulator
beforeAll(async () => { emulator = await createEmulator({ clusters: [EAST, WEST], seed: 'linked' }) })
afterAll(async () => { await emulator.close() })
beforeEach(async () => {
  await emulator.reset()
  await emulator.setClusterState(WEST.name, { reachable: true, delay_ms: 0 })
})

const east = () => emulator.clusters[EAST.name] as { url: string, client: Emulator['client'] }
const west = () => emulator.clusters[WEST.name] as { url: string, client: Emulator['client'] }

/** A create body through east, with these credentials for west. */
const body = (westPassword = 'w3st') => ({
  name: 'shop',
  instances: [
    { cluster: { name: EAST.name, url: `https://${EAST.name}:9443`, credentials: { username: 'admin@example.com', password: 'admin' } } },
    { cluster: { name: WEST.name, url: `https://${WEST.name}:9443`, credentials: { username: 'ops@west.example.com', password: westPassword } } }
  ]
})

describe('linked clusters', () => {
  it('answer each as itself: its own users, and its name as the realm', async () => {
    expect(east().url).not.toBe(west().url)
    const wrong = await fetch(`${west().url}/v1/crdbs`, { headers: { authorization: `Basic ${Buffer.from('admin@example.com:admin').toString('base64')}` } })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toBe(`Basic realm="${WEST.name}"`)
    expect((await west().client.listCrdbs()).crdbs).toEqual([])
    const cluster = await (await fetch(`${west().url}/v1/cluster`, { headers: { authorization: `Basic ${Buffer.from('ops@west.example.com:w3st').toString('base64')}` } })).json() as { name: string }
    expect(cluster.name).toBe(WEST.name)
  })

  it('fail a create, the captured way, when west rejects the credentials east was given for it', async () => {
    const task = await east().client.createCrdb(body('wrong-password'))
    await emulator.clock.advance(DURATION)
    expect(await east().client.getTask(task.id)).toMatchObject({
      status: 'failed',
      errors: [{ cluster_name: '', description: 'Error [401]', error_code: 'internal_error' }]
    })
    expect((await east().client.listCrdbs()).crdbs).toEqual([])
  })

  it('fail a create, the other captured way, with west unreachable, and show west\'s connection error in east\'s health report', async () => {
    const first = await east().client.createCrdb(body())
    await emulator.clock.advance(DURATION)
    const guid = (await east().client.getTask(first.id)).crdb_guid as string
    await emulator.setClusterState(WEST.name, { reachable: false })
    // a down cluster's API answers nothing
    await expect(fetch(`${west().url}/v1/crdbs`)).rejects.toThrow()
    const report = await east().client.healthReport(guid)
    expect(report.find((r) => r.cluster_name === EAST.name)?.connections).toEqual([
      { name: WEST.name, status: 'error', replication_links: [{ link_uid: '1:2', status: 'down' }] }
    ])
    expect(report.find((r) => r.cluster_name === WEST.name)?.connection_error).toBe('Unavailable or invalid port')
    const second = await east().client.createCrdb({ ...body(), name: 'cart' })
    await emulator.clock.advance(DURATION)
    expect(await east().client.getTask(second.id)).toMatchObject({
      status: 'failed',
      errors: [{ cluster_name: WEST.name, description: 'Unavailable or invalid port', error_code: 'db_create_failed' }]
    })
    // a change that needs west fails too; once west is back, it goes through
    const update = await east().client.updateCrdb(guid, { encryption: true })
    await emulator.clock.advance(DURATION)
    expect((await east().client.getTask(update.id)).status).toBe('failed')
    await emulator.setClusterState(WEST.name, { reachable: true })
    const again = await east().client.updateCrdb(guid, { encryption: true })
    await emulator.clock.advance(DURATION)
    expect((await east().client.getTask(again.id)).status).toBe('finished')
  })

  it('show one database through both clusters\' URLs once created through east; the task only through east', async () => {
    const task = await east().client.createCrdb(body())
    await emulator.clock.advance(DURATION)
    const guid = (await east().client.getTask(task.id)).crdb_guid as string
    const throughEast = await east().client.getCrdb(guid)
    const throughWest = await west().client.getCrdb(guid)
    expect(throughWest.guid).toBe(guid)
    expect(throughWest.instances.map((i) => i.id)).toEqual(throughEast.instances.map((i) => i.id))
    // each sees its own instance as the local one
    expect(throughEast.local_databases).toEqual([{ bdb_uid: '1', id: 1 }])
    expect(throughWest.local_databases).toEqual([{ bdb_uid: '2', id: 2 }])
    expect((await west().client.listCrdbs()).crdbs.map((c) => c.guid)).toEqual([guid])
    await expect(west().client.getTask(task.id)).rejects.toMatchObject({ status: 404, errorCode: 'task_not_found' })
    expect((await west().client.listTasks())).toEqual([])
  })

  it('slow a cluster\'s requests down with delay_ms, and list the clusters with their state', async () => {
    await emulator.setClusterState(WEST.name, { delay_ms: 50 })
    expect(await emulator.listClusters()).toEqual([
      { name: EAST.name, reachable: true, delay_ms: 0 },
      { name: WEST.name, reachable: true, delay_ms: 50 }
    ])
    const startedAt = performance.now()
    await west().client.listCrdbs()
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(45)
  })
})
