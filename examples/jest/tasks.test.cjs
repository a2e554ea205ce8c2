// An emulator of this file's own, in Jest's sandbox: started before the tests, back at its
// start before each, stopped after the file. Its clock is manual: time moves when a test says.
const { afterAll, beforeAll, beforeEach, expect, test } = require('@jest/globals')
const { createEmulator, EmulatorError } = require('crdb-tasks-emulator')

let emulator
beforeAll(async () => { emulator = await createEmulator({ seed: 'jest-example' }) })
beforeEach(async () => { await emulator.reset() })
afterAll(async () => { await emulator.close() })

test('a task finishes once the clock has moved past its phases', async () => {
  const task = await emulator.tasks.create({ id: 'jest-task' })
  expect((await emulator.client.getTask(task.id)).status).toBe('queued')
  await emulator.clock.advance(14) // queued 1 s, running 10 s, commit 3 s
  expect(await emulator.client.getTask(task.id)).toMatchObject({ id: 'jest-task', status: 'finished' })
})

test('a cancel during commit is refused with 406 unless forced', async () => {
  const task = await emulator.tasks.create()
  await emulator.clock.advance(11)
  const refused = await emulator.client.cancelTask(task.id).catch((err) => err)
  expect(refused).toBeInstanceOf(EmulatorError)
  expect(refused).toMatchObject({ status: 406, errorCode: 'task_cannot_be_canceled' })
  expect(await emulator.client.cancelTask(task.id, { force: true })).toMatchObject({ status: 'failed' })
})

test('starts each test from scratch', async () => {
  expect(await emulator.client.listTasks()).toEqual([])
})
