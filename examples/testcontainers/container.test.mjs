// The emulator's image started through Testcontainers, as an integration test starts it:
// `node --test examples/testcontainers/` with a container engine (DOCKER_HOST) and the image
// (CRDB_TASKS_EMULATOR_IMAGE, default crdb-tasks-emulator:latest). scripts/test-docker-testcontainers.sh
// runs it against the image that test:docker builds.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import { EmulatorError } from 'crdb-tasks-emulator'
import { CrdbTasksEmulatorContainer } from 'crdb-tasks-emulator/testcontainers'

const IMAGE = process.env.CRDB_TASKS_EMULATOR_IMAGE ?? 'crdb-tasks-emulator:latest'
// a label of this run's own, so that whoever runs it can find and remove what is left
const LABELS = process.env.CRDB_TASKS_EMULATOR_RUN === undefined ? {} : { 'crdb-tasks-emulator.test-run': process.env.CRDB_TASKS_EMULATOR_RUN }

describe('CrdbTasksEmulatorContainer, imported', () => {
  let container
  before(async () => {
    container = await new CrdbTasksEmulatorContainer(IMAGE).withClock('manual').withSeed('testcontainers').withLabels(LABELS).start()
  })
  after(async () => { await container?.stop() })

  it('is healthy, and a task driven by its manual clock finishes', async () => {
    assert.match(container.getUrl(), /^http:\/\/[^/]+:\d+$/)
    assert.equal(container.getPort(), container.getMappedPort(8080))
    const emulator = container.getEmulator()
    assert.deepEqual(await emulator.health(), { status: 'ok' })
    const task = await emulator.tasks.create({ id: 'tc-task' })
    assert.equal((await container.getClient().getTask(task.id)).status, 'queued')
    await emulator.clock.advance(14)
    const done = await container.getClient().getTask(task.id)
    assert.equal(done.id, 'tc-task')
    assert.equal(done.status, 'finished')
  })

  it('answers a cancel during commit with 406, as an EmulatorError of the package', async () => {
    const emulator = container.getEmulator()
    const task = await emulator.tasks.create()
    await emulator.clock.advance(11)
    const refused = await container.getClient().cancelTask(task.id).catch((err) => err)
    assert.ok(refused instanceof EmulatorError)
    assert.equal(refused.status, 406)
    assert.equal(refused.errorCode, 'task_cannot_be_canceled')
  })
})

describe('CrdbTasksEmulatorContainer, required (CommonJS), with users and durations of its own', () => {
  const require = createRequire(import.meta.url)
  const { CrdbTasksEmulatorContainer: Container } = require('crdb-tasks-emulator/testcontainers')
  const { EmulatorClient, EmulatorError: CjsEmulatorError } = require('crdb-tasks-emulator')
  let container
  before(async () => {
    container = await new Container(IMAGE)
      .withClock('manual')
      .withDurations({ queued: 2, running: 5, commit: 1 })
      .withUsers([
        { email: 'viewer@example.com', password: 'look', role: 'cluster_viewer' },
        { email: 'ops@example.com', password: 's3cret:with:colons', role: 'admin' }
      ])
      .withLabels(LABELS)
      .start()
  })
  after(async () => { await container?.stop() })

  it('logs its client in as the first admin, and runs tasks with the durations given', async () => {
    assert.equal(container.getUsername(), 'ops@example.com')
    assert.equal(container.getPassword(), 's3cret:with:colons')
    const emulator = container.getEmulator()
    const task = await emulator.tasks.create()
    await emulator.clock.advance(7)
    assert.equal((await container.getClient().getTask(task.id)).status, 'started')
    await emulator.clock.advance(1)
    assert.equal((await container.getClient().getTask(task.id)).status, 'finished')
  })

  it('lets in only the users given, with their roles', async () => {
    await container.getEmulator().reset() // no task left by the test before
    const viewer = new EmulatorClient({ url: container.getUrl(), username: 'viewer@example.com', password: 'look' })
    assert.deepEqual(await viewer.listTasks(), [])
    const task = await container.getEmulator().tasks.create()
    assert.deepEqual((await viewer.listTasks()).map((t) => t.id), [task.id])
    const forbidden = await viewer.cancelTask(task.id).catch((err) => err)
    assert.ok(forbidden instanceof CjsEmulatorError)
    assert.equal(forbidden.status, 403)
    const defaultUser = new EmulatorClient({ url: container.getUrl() }) // admin@example.com / admin
    assert.equal((await defaultUser.listTasks().catch((err) => err)).status, 401)
  })

  it('refuses users the environment variable cannot carry, and a list without an admin', () => {
    assert.throws(() => new Container(IMAGE).withUsers([{ email: 'a@example.com', password: 'x,y', role: 'admin' }]), /password without a comma/)
    assert.throws(() => new Container(IMAGE).withUsers([{ email: 'v@example.com', password: 'v', role: 'db_viewer' }]), /admin role/)
  })
})
