import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { connectEmulator, createEmulator, EmulatorClient, EmulatorError, type Emulator } from '../../src/lib/index.js'

/** Code under test: polls a task until it ends, retrying once on a 503. */
async function pollUntilDone (client: EmulatorClient, id: string, wait: () => Promise<void>): Promise<string> {
  for (let polls = 0; polls < 100; polls++) {
    let status: string
    try {
      status = (await client.getTask(id)).status
    } catch (err) {
      if (err instanceof EmulatorError && err.status === 503) {
        await wait()
        continue
      }
      throw err
    }
    if (status === 'finished' || status === 'failed') return status
    await wait()
  }
  throw new Error('gave up')
}

let emulator: Emulator
beforeAll(async () => { emulator = await createEmulator() })
afterAll(async () => { await emulator.close() })
beforeEach(async () => {
  await emulator.reset()
  await emulator.faults.clear()
  await emulator.requests.clear()
})

describe('createEmulator', () => {
  it('lets a test run a task to finished, inject a 503 for the next poll and see one retry in the journal', async () => {
    const task = await emulator.tasks.create()
    await emulator.faults.add({ match: { method: 'GET', path: '/v1/crdb_tasks/*' }, action: { status: 503, error_code: 'cluster_busy', description: 'Busy' }, times: 1 })
    const status = await pollUntilDone(emulator.client, task.id, async () => { await emulator.clock.advance(5) })
    expect(status).toBe('finished')
    const polls = await emulator.requests.list({ method: 'GET', path: `/v1/crdb_tasks/${task.id}` })
    // polls at 0 s (the 503), 5 s, 10 s and 15 s (finished at 14 s)
    expect(polls.map((p) => p.status)).toEqual([503, 200, 200, 200])
    expect(polls.filter((p) => p.status === 503)).toHaveLength(1)
  })

  it('runs until a status, and until idle', async () => {
    const a = await emulator.tasks.create({ id: 'a' })
    const b = await emulator.tasks.create({ id: 'b', durations: { queued: 0, running: 100, commit: 1 } })
    expect((await emulator.runUntil(a.id, 'started')).status).toBe('started')
    expect((await emulator.runUntil(a.id, 'finished')).ended).toBeDefined()
    await emulator.runUntilIdle()
    expect((await emulator.client.getTask(b.id)).status).toBe('finished')
    const history = await emulator.tasks.history('b')
    expect(history.history.map((h) => h.phase)).toEqual(['queued', 'running', 'commit', 'completed'])
  })

  it('rejects with a typed error carrying error_code', async () => {
    const task = await emulator.tasks.create({ durations: { running: null } })
    await emulator.tasks.step(task.id)
    const unreachable = await emulator.runUntil(task.id, 'finished').catch((err: unknown) => err)
    expect(unreachable).toBeInstanceOf(EmulatorError)
    expect(unreachable).toMatchObject({ status: 422, errorCode: 'unreachable' })
    await emulator.tasks.step(task.id)
    const refused = await emulator.client.cancelTask(task.id).catch((err: unknown) => err)
    expect(refused).toMatchObject({ status: 406, errorCode: 'task_cannot_be_canceled' })
    expect((await emulator.client.cancelTask(task.id, { force: true })).status).toBe('failed')
  })

  it('drives CRDBs through the typed client', async () => {
    const task = await emulator.client.createCrdb({ name: 'db', instances: ['a', 'b'].map((name) => ({ cluster: { name, url: `https://${name}:9443`, credentials: { username: 'u', password: 'p' } } })) }, { taskId: 'create-db', resultTtl: 60 })
    expect(task).toEqual({ id: 'create-db', operation: 'create_crdb', status: 'queued' })
    const done = await emulator.runUntil('create-db', 'finished')
    const crdb = await emulator.client.getCrdb(done.crdb_guid as string)
    expect(crdb.status).toBe('active')
    await emulator.client.updateCrdb(crdb.guid, { name: 'db2' }, { taskId: 'rename' })
    await emulator.runUntil('rename', 'finished')
    expect((await emulator.client.listCrdbs()).crdbs[0]?.name).toBe('db2')
    expect((await emulator.client.healthReport(crdb.guid)).map((r) => r.cluster_name)).toEqual(['a', 'b'])
    // a body that fails its schema: the problem shape, status 400
    await expect(emulator.client.validateCrdb({ name: 'x', instances: [] })).rejects.toMatchObject({ status: 400, errorCode: 'invalid_request', description: "[] is too short - 'instances'" })
  })

  it('makes whole responses reproducible with a seed', async () => {
    const run = async (): Promise<unknown[]> => {
      const seeded = await createEmulator({ seed: 'snapshot' })
      try {
        const t = await seeded.tasks.create({ operation: 'update_crdb' })
        const started = await seeded.runUntil(t.id, 'started')
        return [t, { ...started, started: undefined }]
      } finally {
        await seeded.close()
      }
    }
    const first = await run()
    expect(await run()).toEqual(first)
  })

  it('refuses users without an admin, who could not reach the control API', async () => {
    await expect(createEmulator({ users: [{ email: 'v@x', password: 'p', role: 'db_viewer' }] })).rejects.toThrow(/admin/)
  })
})

describe('connectEmulator', () => {
  it('gives the same handle for an emulator reached by URL', async () => {
    const remote = connectEmulator({ url: emulator.url })
    const task = await remote.tasks.create({ id: 'remote' })
    expect((await remote.runUntil(task.id, 'finished')).status).toBe('finished')
    expect((await emulator.client.getTask('remote')).status).toBe('finished')
    await remote.close()
    expect((await emulator.health()).status).toBe('ok')
  })
})

describe('createEmulator({ url }) against a shared emulator', () => {
  it('hands each caller its own namespace, with its own clock, and removes it on close', async () => {
    const a = await createEmulator({ url: emulator.url, namespace: 'suite-a' })
    const b = await createEmulator({ url: emulator.url })
    expect(a.url).toBe(`${emulator.url}/ns/suite-a`)
    expect(b.namespace).toMatch(/^t-[0-9a-f-]+$/)
    await a.tasks.create({ id: 'shared-id' })
    await b.tasks.create({ id: 'shared-id' })
    await a.clock.advance(600)
    expect((await a.client.listTasks())).toEqual([])
    expect((await b.client.getTask('shared-id')).status).toBe('queued')
    const listed = (await emulator.namespaces.list()).map((n) => n.name)
    expect(listed).toContain('suite-a')
    expect(listed).toContain(b.namespace)
    await a.close()
    await b.close()
    expect((await emulator.namespaces.list()).map((n) => n.name)).toEqual(['default'])
  })

  it('connects to an existing namespace by name', async () => {
    const a = await createEmulator({ url: emulator.url, namespace: 'named' })
    await a.tasks.create({ id: 'x' })
    const again = connectEmulator({ url: emulator.url, namespace: 'named' })
    expect((await again.client.getTask('x')).id).toBe('x')
    await a.close()
  })
})
