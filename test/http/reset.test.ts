import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorCodeOf, makeApp, T0, type TestApp } from './helpers.js'

// POST /__emulator/reset with a body: {"keep": [...]} puts back everything it does not list.
let t: TestApp
beforeEach(async () => { t = await makeApp({ clusters: [{ name: 'east.example.com' }, { name: 'west.example.com' }] }) })
afterEach(async () => { await t.app.close() })

const FAULT = { match: { path: '/v1/crdbs' }, action: { status: 503, error_code: 'busy', description: 'Busy' } }

async function dirty (): Promise<void> {
  await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'x' } })
  await t.call({ method: 'POST', url: '/__emulator/faults', payload: FAULT })
  await t.call({ method: 'GET', url: '/v1/crdb_tasks/x' })
  await t.call({ method: 'POST', url: '/__emulator/clock/advance', payload: { seconds: 30 } })
  await t.call({ method: 'PUT', url: '/__emulator/clusters/west.example.com', payload: { reachable: false } })
}

async function seen (): Promise<{ tasks: number, faults: number, journal: number, now: string, west: boolean }> {
  const faults = (await t.call({ method: 'GET', url: '/__emulator/faults' })).json.length as number
  const journal = (await t.call({ method: 'GET', url: '/__emulator/requests' })).json.length as number
  const now = (await t.call({ method: 'GET', url: '/__emulator/clock' })).json.now as string
  const west = ((await t.call({ method: 'GET', url: '/__emulator/clusters' })).json as Array<{ name: string, reachable: boolean }>).find((c) => c.name === 'west.example.com')?.reachable as boolean
  const tasks = t.engine.size
  return { tasks, faults, journal, now, west }
}

describe('POST /__emulator/reset {"keep": [...]}', () => {
  it('with "keep": [], puts everything back as it started: tasks, fault rules, journal, clock, clusters', async () => {
    await dirty()
    const res = await t.call({ method: 'POST', url: '/__emulator/reset', payload: { keep: [] } })
    expect(res.status).toBe(204)
    expect(await seen()).toEqual({ tasks: 0, faults: 0, journal: 0, now: new Date(T0).toISOString(), west: true })
  })

  it('keeps what it lists, and forgets tasks and CRDBs all the same', async () => {
    await dirty()
    await t.call({ method: 'POST', url: '/__emulator/reset', payload: { keep: ['faults', 'clock'] } })
    expect(await seen()).toEqual({ tasks: 0, faults: 1, journal: 0, now: new Date(T0 + 30_000).toISOString(), west: true })
    await dirty()
    await t.call({ method: 'POST', url: '/__emulator/reset', payload: { keep: ['journal', 'clusters'] } })
    // the first reset emptied the journal: it holds the second round's GET
    expect(await seen()).toEqual({ tasks: 0, faults: 0, journal: 1, now: new Date(T0).toISOString(), west: false })
  })

  it('without a body, or without "keep", forgets only tasks and CRDBs, as before', async () => {
    for (const payload of [undefined, {}]) {
      await dirty()
      const res = await t.call({ method: 'POST', url: '/__emulator/reset', ...(payload === undefined ? {} : { payload }) })
      expect(res.status).toBe(204)
      const after = await seen()
      expect(after.tasks).toBe(0)
      expect(after.faults).toBeGreaterThan(0)
      expect(after.journal).toBeGreaterThan(0)
      expect(after.now).not.toBe(new Date(T0).toISOString())
      expect(after.west).toBe(false)
    }
  })

  it('resets only the namespace it is sent to', async () => {
    await t.call({ method: 'PUT', url: '/__emulator/namespaces/other', payload: { clock: 'manual' } })
    const start = (await t.call({ method: 'GET', url: '/ns/other/__emulator/clock' })).json.now as string
    await t.call({ method: 'POST', url: '/ns/other/__emulator/clock/advance', payload: { seconds: 100 } })
    await dirty()
    await t.call({ method: 'POST', url: '/ns/other/__emulator/reset', payload: { keep: [] } })
    expect((await t.call({ method: 'GET', url: '/ns/other/__emulator/clock' })).json.now).toBe(start)
    expect((await seen()).tasks).toBe(1)
    expect((await seen()).now).toBe(new Date(T0 + 30_000).toISOString())
  })

  it('answers 400 invalid_request to a "keep" that is not a list of known parts, each once', async () => {
    for (const payload of [{ keep: ['tasks'] }, { keep: 'faults' }, { keep: ['faults', 'faults'] }, { keep: [], extra: 1 }]) {
      const res = await t.call({ method: 'POST', url: '/__emulator/reset', payload })
      expect(res.status, JSON.stringify(payload)).toBe(400)
      expect(errorCodeOf(res)).toBe('invalid_request')
    }
  })
})
