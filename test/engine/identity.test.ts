import { describe, it, expect } from 'vitest'
import { C, Q, R, T, at, makeEngine, mustCreate, mustGet } from './helpers.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const END = Q + R + C

describe('task ids and CRDB GUIDs', () => {
  it('gives tasks UUID v4 ids by default, each different', () => {
    const engine = makeEngine()
    const a = mustCreate(engine)
    const b = mustCreate(engine)
    expect(a.id).toMatch(UUID_V4)
    expect(b.id).toMatch(UUID_V4)
    expect(a.id).not.toBe(b.id)
  })

  it('makes the same ids and GUIDs from the same seed, again after a reset, and uses the spec\'s id when given', () => {
    const run = (engine: ReturnType<typeof makeEngine>): string[] => {
      const a = mustCreate(engine)
      const b = mustCreate(engine, { operation: 'update_crdb' })
      engine.advance(Q)
      return [a.id, a.crdbGuid as string, b.id, b.crdbGuid as string]
    }
    const first = makeEngine({ seed: 'suite-1' })
    const ids = run(first)
    for (const id of ids) expect(id).toMatch(UUID_V4)
    expect(new Set(ids).size).toBe(4)
    expect(run(makeEngine({ seed: 'suite-1' }))).toEqual(ids)
    first.reset()
    expect(run(first)).toEqual(ids)
    expect(run(makeEngine({ seed: 'suite-2' }))).not.toEqual(ids)
    expect(mustCreate(first, { id: 'mine' }).id).toBe('mine')
  })

  it('gives a create_crdb task no GUID until it starts, then a UUID v4', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { operation: 'create_crdb' })
    expect(task.operation).toBe('create_crdb')
    engine.advance(Q - 1)
    expect(mustGet(engine, task.id).crdbGuid).toBeNull()
    engine.advance(1)
    expect(task.phase).toBe('running')
    expect(task.crdbGuid).toMatch(UUID_V4)
    const guid = task.crdbGuid
    engine.advance(R + C)
    expect(task.crdbGuid).toBe(guid)
  })

  it('makes create_crdb the default operation', () => {
    const engine = makeEngine()
    const task = mustCreate(engine)
    expect(task.operation).toBe('create_crdb')
    expect(task.crdbGuid).toBeNull()
  })

  it('gives a create_crdb task the spec\'s crdbGuid, but only once it starts', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { operation: 'create_crdb', crdbGuid: 'guid-1' })
    expect(task.crdbGuid).toBeNull()
    engine.advance(Q)
    expect(task.crdbGuid).toBe('guid-1')
  })

  it('gives a create_crdb task its GUID when it is stepped into running', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', crdbGuid: 'guid-1', durations: { queued: null } })
    engine.advance(100)
    expect(task.crdbGuid).toBeNull()
    engine.step('t')
    expect(task.crdbGuid).toBe('guid-1')
  })

  it('never gives a create_crdb task canceled while queued a GUID', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', crdbGuid: 'guid-1' })
    engine.cancel('t', false)
    engine.advance(100)
    expect(task.crdbGuid).toBeNull()
  })

  it('gives an update_crdb task the spec\'s GUID from the start', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { operation: 'update_crdb', crdbGuid: 'guid-9' })
    expect(task.crdbGuid).toBe('guid-9')
    engine.advance(END)
    expect(task.crdbGuid).toBe('guid-9')
  })

  it('gives update_crdb, delete_crdb and purge_crdb tasks a GUID from the start even without one in the spec', () => {
    const engine = makeEngine()
    for (const operation of ['update_crdb', 'delete_crdb', 'purge_crdb'] as const) {
      const task = mustCreate(engine, { operation })
      expect(task.phase).toBe('queued')
      expect(task.crdbGuid).toMatch(UUID_V4)
    }
  })

  it('gives a flush_crdb task no GUID in any phase', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { operation: 'flush_crdb' })
    const seen: Array<string | null> = [task.crdbGuid]
    for (let i = 0; i < END; i++) {
      engine.advance(1)
      seen.push(task.crdbGuid)
    }
    expect(task.phase).toBe('completed')
    expect(seen.every((g) => g === null)).toBe(true)
  })
})

describe('creating tasks', () => {
  it('refuses a second task with the id of a live one with task_exists, active or retained', () => {
    const engine = makeEngine({ resultTtl: 10 })
    const first = mustCreate(engine, { id: 'dup' })
    expect(engine.create({ id: 'dup' })).toMatchObject({ ok: false, reason: 'task_exists' })
    engine.advance(END)
    expect(first.phase).toBe('completed')
    expect(engine.create({ id: 'dup' })).toMatchObject({ ok: false, reason: 'task_exists' })
    expect(engine.size).toBe(1)
    expect(engine.get('dup')).toBe(first)
  })

  it('allows reusing an id once the first task has expired', () => {
    const engine = makeEngine({ resultTtl: 10 })
    mustCreate(engine, { id: 'dup' })
    engine.advance(END + 9)
    expect(engine.create({ id: 'dup' })).toMatchObject({ ok: false, reason: 'task_exists' })
    engine.advance(1)
    const second = engine.create({ id: 'dup' })
    expect(second.ok).toBe(true)
    const task = mustGet(engine, 'dup')
    expect(task.phase).toBe('queued')
    expect(task.createdAt).toBe(at(END + 10))
    expect(task.history).toEqual([{ at: at(END + 10), phase: 'queued', cause: 'created' }])
  })

  it('refuses creation past maxTasks with too_many_tasks, counting retained tasks, until some expire', () => {
    const engine = makeEngine({ maxTasks: 2, resultTtl: 10 })
    mustCreate(engine, { id: 'a' })
    engine.advance(1)
    mustCreate(engine, { id: 'b' })
    expect(engine.create({ id: 'c' })).toMatchObject({ ok: false, reason: 'too_many_tasks' })
    expect(engine.create()).toMatchObject({ ok: false, reason: 'too_many_tasks' })
    engine.advance(END)
    expect(engine.create({ id: 'c' })).toMatchObject({ ok: false, reason: 'too_many_tasks' })
    expect(engine.size).toBe(2)

    engine.advance(9)
    expect(engine.size).toBe(1)
    expect(engine.create({ id: 'c' }).ok).toBe(true)
    expect(engine.create({ id: 'd' })).toMatchObject({ ok: false, reason: 'too_many_tasks' })
    expect(engine.size).toBe(2)
  })

  it('accepts creation again after maxTasks is reached and a task is canceled and expires', () => {
    const engine = makeEngine({ maxTasks: 1, resultTtl: 1 })
    mustCreate(engine, { id: 'a' })
    expect(engine.create()).toMatchObject({ ok: false, reason: 'too_many_tasks' })
    engine.cancel('a', false)
    expect(engine.create()).toMatchObject({ ok: false, reason: 'too_many_tasks' })
    engine.advance(1)
    expect(engine.create().ok).toBe(true)
    expect(engine.now()).toBe(T + 1000)
  })
})
