import { describe, expect, it } from 'vitest'
import { createEmulator, type Emulator } from '../../src/lib/index.js'

// The test lifecycle: `await using` closes the emulator at the end of the block, and reset()
// puts it back as it started (msw's listen / resetHandlers / close).
const FAULT = { match: { path: '/v1/crdbs' }, action: { status: 503, error_code: 'busy', description: 'Busy' } }

describe('await using', () => {
  it('closes the emulator at the end of the block', async () => {
    let url: string
    {
      await using emulator = await createEmulator()
      url = emulator.url
      expect(await emulator.health()).toEqual({ status: 'ok' })
    }
    await expect(fetch(`${url}/__emulator/health`)).rejects.toThrow()
  })

  it('closes it when the block throws, too', async () => {
    let url = ''
    const failing = async (): Promise<void> => {
      await using emulator = await createEmulator()
      url = emulator.url
      throw new Error('the test failed')
    }
    await expect(failing()).rejects.toThrow('the test failed')
    await expect(fetch(`${url}/__emulator/health`)).rejects.toThrow()
  })

  it('is Symbol.asyncDispose, the one Node defines (Symbol.for("nodejs.asyncDispose"))', async () => {
    const emulator: Emulator = await createEmulator()
    expect(Symbol.asyncDispose).toBe(Symbol.for('nodejs.asyncDispose'))
    await emulator[Symbol.asyncDispose]()
    await expect(emulator.health()).rejects.toThrow()
  })

  it('removes a namespace made on a running emulator', async () => {
    await using shared = await createEmulator()
    {
      await using mine = await createEmulator({ url: shared.url, namespace: 'lifecycle-suite' })
      expect((await shared.namespaces.list()).map((n) => n.name)).toContain(mine.namespace)
    }
    expect((await shared.namespaces.list()).map((n) => n.name)).not.toContain('lifecycle-suite')
  })
})

describe('reset()', () => {
  it('puts back tasks, CRDBs, fault rules, the journal and a manual clock as they started', async () => {
    await using emulator = await createEmulator({ seed: 'lifecycle', faults: [FAULT] })
    const start = await emulator.clock.get()
    const first = await emulator.tasks.create()
    await emulator.faults.add({ ...FAULT, action: { ...FAULT.action, description: 'added' } })
    await emulator.client.getTask(first.id)
    await emulator.clock.advance(600)
    await emulator.reset()
    expect(await emulator.requests.list()).toEqual([])
    expect(await emulator.clock.get()).toEqual(start)
    expect(await emulator.client.listTasks()).toEqual([])
    expect((await emulator.faults.list()).map((f) => f.action)).toEqual([FAULT.action])
    // with a seed, the ids start over
    expect((await emulator.tasks.create()).id).toBe(first.id)
  })

  it('keeps the parts it is told to', async () => {
    await using emulator = await createEmulator()
    const start = Date.parse((await emulator.clock.get()).now)
    await emulator.tasks.create({ id: 'kept-around' })
    await emulator.faults.add(FAULT)
    await emulator.client.getTask('kept-around')
    await emulator.clock.advance(60)
    await emulator.reset({ keep: ['faults', 'journal', 'clock'] })
    expect(await emulator.client.listTasks()).toEqual([])
    expect(await emulator.faults.list()).toHaveLength(1)
    expect((await emulator.requests.list()).map((r) => r.path)).toEqual(['/v1/crdb_tasks/kept-around', '/v1/crdb_tasks'])
    expect(Date.parse((await emulator.clock.get()).now) - start).toBe(60_000)
  })

  it('answers in this process as POST /__emulator/reset does: a keep it refuses, and a closed emulator, still fail', async () => {
    const emulator = await createEmulator()
    await emulator.tasks.create({ id: 'gone' })
    await emulator.reset({ keep: [] })
    expect(await emulator.client.listTasks()).toEqual([])
    // what the body's schema refuses is the server's 400, as before
    await expect(emulator.reset({ keep: ['tasks' as never] })).rejects.toMatchObject({ status: 400, errorCode: 'invalid_request' })
    await expect(emulator.reset({ keep: ['clock', 'clock'] })).rejects.toMatchObject({ status: 400, errorCode: 'invalid_request' })
    await emulator.close()
    await expect(emulator.reset()).rejects.toThrow()
  })

  it('with a logger, goes over HTTP and logs its request line', async () => {
    const lines: string[] = []
    const { pino } = await import('pino')
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line) } })
    await using emulator = await createEmulator({ logger })
    await emulator.reset()
    expect(lines.map((l) => JSON.parse(l) as { url?: string }).filter((l) => l.url === '/__emulator/reset')).toHaveLength(1)
  })

  it('resets a namespace on a running emulator, and nothing of the others', async () => {
    await using shared = await createEmulator()
    await using a = await createEmulator({ url: shared.url })
    await using b = await createEmulator({ url: shared.url })
    const startA = await a.clock.get()
    await a.clock.advance(100)
    await b.clock.advance(200)
    await b.tasks.create({ id: 'b-task' })
    await a.reset()
    expect(await a.clock.get()).toEqual(startA)
    expect((await b.client.listTasks()).map((t) => t.id)).toEqual(['b-task'])
  })
})
