// A namespace of its own (tasks, clock, fault rules, journal) in the emulator that
// global-setup.cjs started for the run, removed after the file.
const { afterAll, beforeAll, expect, test } = require('@jest/globals')
const { createEmulator } = require('crdb-tasks-emulator')

let emulator
beforeAll(async () => {
  emulator = await createEmulator({ url: process.env.CRDB_TASKS_EMULATOR_URL, namespace: 'jest-shared' })
})
afterAll(async () => { await emulator.close() })

test('drives a task to finished on its own clock', async () => {
  const task = await emulator.tasks.create({ id: 'shared-task' })
  const done = await emulator.runUntil(task.id, 'finished')
  expect(done).toMatchObject({ id: 'shared-task', status: 'finished' })
  expect(emulator.url).toMatch(/\/ns\/jest-shared$/)
  expect((await emulator.client.listTasks()).map((t) => t.id)).toEqual(['shared-task'])
})
