import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ApiError, CrdbClient, describeFailure } from '../../examples/crdb-client.js'
import { buildApp } from '../../src/http/app.js'
import { NamespaceRegistry } from '../../src/emulator/namespaces.js'

// The example client, unchanged, against the emulator over real HTTP on a loopback port.
// Its sleep moves the emulator's manual clock instead of waiting.

const ADMIN = { username: 'admin@example.com', password: 'admin' }
const CRDB = {
  name: 'shop',
  default_db_config: { name: 'shop', memory_size: 1073741824 },
  instances: [
    { cluster: { name: 'east', url: 'https://east:9443', credentials: { username: 'a', password: 'b' } } },
    { cluster: { name: 'west', url: 'https://west:9443', credentials: { username: 'a', password: 'b' } } }
  ]
}

let app: FastifyInstance
let baseUrl: string
let slept: number[]

/** What a test does through the control API, as it would against a remote emulator. */
async function control (method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  expect(res.status).toBeLessThan(300)
  return res.status === 204 ? undefined : await res.json()
}

const newClient = (): CrdbClient => new CrdbClient({
  baseUrl,
  ...ADMIN,
  pollIntervalMs: 2000,
  maxPolls: 50,
  sleep: async (ms) => {
    slept.push(ms)
    await control('POST', '/__emulator/clock/advance', { seconds: ms / 1000 })
  }
})

beforeAll(async () => {
  const registry = new NamespaceRegistry({
    cluster: { clock: 'manual', timeScale: 1, clusterName: 'cluster.local', durations: { queued: 1, running: 10, commit: 3 }, resultTtl: 500, maxTasks: 1000, journalSize: 100 },
    maxNamespaces: 10,
    idleTtlMs: 3_600_000,
    now: () => 0
  })
  app = await buildApp({ registry, users: [{ email: ADMIN.username, password: ADMIN.password, role: 'admin' }], clusterName: 'cluster.local', control: true })
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
})
afterAll(async () => { await app.close() })
beforeEach(async () => {
  slept = []
  await control('POST', '/__emulator/reset')
})

describe('the example client', () => {
  it('creates a CRDB and polls its task until finished, then reads the CRDB', async () => {
    const client = newClient()
    const task = await client.createCrdb(CRDB)
    expect(task.status).toBe('queued')
    const done = await client.waitForTask(task.id)
    expect(done.status).toBe('finished')
    // 14 s of task, polled every 2 s: polls at 0, 2, ..., 14 s
    expect(client.polls).toBe(8)
    expect(slept).toEqual(Array(7).fill(2000))
    const crdb = await client.getCrdb(done.crdb_guid as string)
    expect(crdb).toMatchObject({ name: 'shop', status: 'active' })
    expect(JSON.stringify(crdb)).not.toContain('credentials')
  })

  it('reports the errors of a task that fails (set up through the control API)', async () => {
    const client = newClient()
    const task = await client.createCrdb(CRDB)
    await control('PATCH', `/__emulator/tasks/${task.id}`, {
      outcome: 'failed',
      errors: [{ cluster_name: 'west', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }]
    })
    const done = await client.waitForTask(task.id)
    expect(done.status).toBe('failed')
    expect(describeFailure(done)).toBe(`task ${task.id} failed on west: db_create_failed: Unavailable or invalid port`)
    expect(await control('GET', '/v1/crdbs')).toEqual({ crdbs: [] })
  })

  it('sees a canceled task end as failed with task_canceled, and no CRDB', async () => {
    const client = newClient()
    const task = await client.createCrdb(CRDB)
    await control('POST', '/__emulator/clock/advance', { seconds: 5 })
    expect(await client.cancelTask(task.id)).toEqual({ id: task.id, status: 'failed' })
    const done = await client.waitForTask(task.id)
    expect(done.status).toBe('failed')
    expect(done.errors?.[0]?.error_code).toBe('task_canceled')
    expect(client.polls).toBe(1)
    expect(await control('GET', '/v1/crdbs')).toEqual({ crdbs: [] })
  })

  it('gets the 406 of a cancel during commit as a typed error', async () => {
    const client = newClient()
    const task = await client.createCrdb(CRDB)
    await control('POST', '/__emulator/clock/advance', { seconds: 12 })
    const refusal = await client.cancelTask(task.id).catch((err: unknown) => err)
    expect(refusal).toBeInstanceOf(ApiError)
    expect(refusal).toMatchObject({ status: 406, errorCode: 'task_cannot_be_canceled' })
  })
})
