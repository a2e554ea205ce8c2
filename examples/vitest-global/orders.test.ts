import { beforeEach, expect, it } from 'vitest'
// in your project: import { useEmulator } from 'crdb-tasks-emulator/vitest'
import { useEmulator } from '../../src/lib/vitest.js'

// This file's own namespace in the run's emulator, removed after the file.
const emulator = await useEmulator({ namespace: 'orders-suite' })
beforeEach(() => emulator.reset())

it('runs a task to the end on its own clock', async () => {
  const task = await emulator.tasks.create({ id: 'order-1' })
  await emulator.clock.advance(14)
  expect((await emulator.client.getTask(task.id)).status).toBe('finished')
  expect((await emulator.client.listTasks()).map((t) => t.id)).toEqual(['order-1'])
})

it('starts each test from scratch: no task, no fault, the clock at its start', async () => {
  expect(await emulator.client.listTasks()).toEqual([])
  expect(await emulator.faults.list()).toEqual([])
  expect(emulator.namespace).toBe('orders-suite')
})
