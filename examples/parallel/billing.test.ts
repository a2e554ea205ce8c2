import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createEmulator, type Emulator } from '../../src/lib/index.js'

// The "billing" suite: its own namespace (own tasks, clock, faults, journal) in the shared emulator.
let emulator: Emulator
beforeAll(async () => { emulator = await createEmulator({ url: inject('emulatorUrl'), namespace: 'billing-suite' }) })
afterAll(async () => { await emulator.close() })

it('advances its own clock, and sees only its own tasks, faults and requests', async () => {
  const start = Date.parse((await emulator.clock.get()).now)
  const task = await emulator.tasks.create({ id: 'billing-task' })
  await emulator.faults.add({ match: { path: '/v1/crdbs' }, action: { status: 503, error_code: 'busy', description: 'billing' } })
  // the other files advance their clocks at the same time, by other amounts
  for (let i = 0; i < 500; i++) await emulator.clock.advance(1)
  expect(Date.parse((await emulator.clock.get()).now) - start).toBe(500 * 1000)
  const mine = await emulator.client.getTask(task.id)
  expect(mine.status).toBe('finished')
  expect((await emulator.client.listTasks()).map((t) => t.id)).toEqual(['billing-task'])
  expect((await emulator.faults.list()).map((f) => f.action)).toEqual([{ status: 503, error_code: 'busy', description: 'billing' }])
  expect((await emulator.requests.list()).map((r) => r.path)).toEqual(['/v1/crdb_tasks/billing-task', '/v1/crdb_tasks'])
})
