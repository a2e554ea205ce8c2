import { beforeEach, expect, it } from 'vitest'
// in your project: import { useEmulator } from 'crdb-tasks-emulator/vitest'
import { useEmulator } from '../../src/lib/vitest.js'

// A random namespace of its own, removed after the file.
const emulator = await useEmulator()
beforeEach(() => emulator.reset())

it('sees its own fault rules and requests only', async () => {
  await emulator.faults.add({ match: { method: 'GET', path: '/v1/crdb_tasks' }, action: { status: 503, error_code: 'busy', description: 'Busy' }, times: 1 })
  const refused = await emulator.client.listTasks().catch((err: unknown) => err)
  expect(refused).toMatchObject({ status: 503, errorCode: 'busy' })
  await emulator.clock.advance(500)
  expect(await emulator.client.listTasks()).toEqual([])
  expect((await emulator.requests.list()).map((r) => r.status)).toEqual([503, 200])
})

it('has a clock of its own, back at its start after each reset', async () => {
  const start = (await emulator.clock.get()).now
  await emulator.clock.advance(60)
  await emulator.reset()
  expect((await emulator.clock.get()).now).toBe(start)
})
