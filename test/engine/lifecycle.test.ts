import { describe, it, expect } from 'vitest'
import { C, CLUSTER, Q, R, T, at, historyOf, makeEngine, mustCreate, mustGet } from './helpers.js'

describe('the task lifecycle', () => {
  it('starts a new task queued at the clock\'s now, with no start, end or errors', () => {
    const engine = makeEngine()
    engine.advance(7)
    const task = mustCreate(engine, { id: 'a' })
    expect(task.phase).toBe('queued')
    expect(task.createdAt).toBe(at(7))
    expect(task.startedAt).toBeNull()
    expect(task.endedAt).toBeNull()
    expect(task.expiresAt).toBeNull()
    expect(task.errors).toEqual([])
  })

  it('moves queued -> running -> commit -> completed exactly at T+q, T+q+r and T+q+r+c', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 'a' })

    engine.advance(Q - 1)
    expect(mustGet(engine, 'a').phase).toBe('queued')
    engine.advance(1)
    expect(task.phase).toBe('running')
    expect(task.startedAt).toBe(at(Q))

    engine.advance(R - 1)
    expect(mustGet(engine, 'a').phase).toBe('running')
    engine.advance(1)
    expect(task.phase).toBe('commit')
    expect(task.endedAt).toBeNull()

    engine.advance(C - 1)
    expect(mustGet(engine, 'a').phase).toBe('commit')
    engine.advance(1)
    expect(task.phase).toBe('completed')
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + R + C))
    expect(task.errors).toEqual([])
  })

  it('gives exact timestamps after one big advance', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 'a' })
    engine.advance(100)
    expect(mustGet(engine, 'a').phase).toBe('completed')
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + R + C))
    expect(historyOf(task)).toEqual([
      [T, 'queued', 'created'],
      [at(Q), 'running', 'duration_elapsed'],
      [at(Q + R), 'commit', 'duration_elapsed'],
      [at(Q + R + C), 'completed', 'duration_elapsed']
    ])
  })

  it('gives the same timestamps after many 0.3 s advances as after one big advance', () => {
    const big = makeEngine()
    const small = makeEngine()
    const a = mustCreate(big, { id: 'a' })
    const b = mustCreate(small, { id: 'a' })

    big.advance(30)
    for (let i = 0; i < 100; i++) small.advance(0.3)

    expect(big.now()).toBe(at(30))
    expect(small.now()).toBe(at(30))
    expect(b.phase).toBe('completed')
    expect(b.startedAt).toBe(at(Q))
    expect(b.endedAt).toBe(at(Q + R + C))
    expect(b.startedAt).toBe(a.startedAt)
    expect(b.endedAt).toBe(a.endedAt)
    expect(b.expiresAt).toBe(a.expiresAt)
    expect(historyOf(b)).toEqual(historyOf(a))
  })

  it('keeps exact timestamps with durations that the advance steps never land on', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { durations: { queued: 1.25, running: 0.5, commit: 2.001 } })
    for (let i = 0; i < 20; i++) engine.advance(0.3)
    expect(task.phase).toBe('completed')
    expect(task.startedAt).toBe(T + 1250)
    expect(task.endedAt).toBe(T + 1250 + 500 + 2001)
  })

  it('applies events of several tasks in due-time order, each stamped with its own due time', () => {
    const engine = makeEngine()
    const slow = mustCreate(engine, { id: 'slow', durations: { queued: 5, running: 5, commit: 5 } })
    engine.advance(1)
    const fast = mustCreate(engine, { id: 'fast', durations: { queued: 1, running: 1, commit: 1 } })
    engine.advance(50)
    expect(slow.startedAt).toBe(at(5))
    expect(slow.endedAt).toBe(at(15))
    expect(fast.startedAt).toBe(at(2))
    expect(fast.endedAt).toBe(at(4))
  })

  it('uses the spec\'s durations over the engine\'s defaults, phase by phase', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { durations: { running: 10 } })
    engine.advance(100)
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + 10 + C))
  })

  it('ends a task with outcome failed at the end of running, with the spec\'s errors', () => {
    const engine = makeEngine()
    const errors = [{ cluster_name: 'other', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }]
    const task = mustCreate(engine, { id: 'f', outcome: 'failed', errors })
    engine.advance(Q + R - 1)
    expect(task.phase).toBe('running')
    expect(task.errors).toEqual([])
    engine.advance(1)
    expect(task.phase).toBe('failed')
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + R))
    expect(task.errors).toEqual(errors)
    expect(task.history.map((h) => h.phase)).toEqual(['queued', 'running', 'failed'])
    engine.advance(C + 10)
    expect(mustGet(engine, 'f').phase).toBe('failed')
    expect(task.endedAt).toBe(at(Q + R))
  })

  it('gives a failed task the default error when the spec gives none', () => {
    for (const errors of [undefined, []]) {
      const engine = makeEngine()
      const task = mustCreate(engine, { outcome: 'failed', errors })
      engine.advance(100)
      expect(task.phase).toBe('failed')
      expect(task.errors).toHaveLength(1)
      expect(task.errors[0]).toMatchObject({ cluster_name: CLUSTER, error_code: 'internal_error' })
      expect(task.errors[0]?.description).toMatch(/\S/)
    }
  })

  it('holds a task in a phase whose duration is null until it is stepped', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 'h', durations: { running: null } })
    engine.advance(Q)
    expect(task.phase).toBe('running')
    expect(engine.nextEventAt()).toBeNull()
    engine.advance(1_000_000)
    expect(mustGet(engine, 'h').phase).toBe('running')
    expect(task.phaseEndsAt).toBeNull()

    const stepped = engine.step('h')
    expect(stepped.ok).toBe(true)
    expect(task.phase).toBe('commit')
    expect(task.phaseStartedAt).toBe(at(Q + 1_000_000))
    engine.advance(C)
    expect(task.phase).toBe('completed')
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + 1_000_000 + C))
  })

  it('holds a queued task forever when the engine\'s default queued duration is null', () => {
    const engine = makeEngine({ durations: { queued: null, running: 1, commit: 1 } })
    const task = mustCreate(engine)
    engine.advance(10_000)
    expect(task.phase).toBe('queued')
    expect(task.startedAt).toBeNull()
  })

  it('passes zero-length phases through on the next settle, all at the same instant', () => {
    const engine = makeEngine()
    engine.advance(3)
    const task = mustCreate(engine, { id: 'z', durations: { queued: 0, running: 0, commit: 0 } })
    expect(task.phase).toBe('queued')
    expect(engine.nextEventAt()).toBe(at(3 + 500))
    expect(task.phase).toBe('completed')
    expect(task.startedAt).toBe(at(3))
    expect(task.endedAt).toBe(at(3))
    expect(engine.now()).toBe(at(3))
    expect(historyOf(task)).toEqual([
      [at(3), 'queued', 'created'],
      [at(3), 'running', 'duration_elapsed'],
      [at(3), 'commit', 'duration_elapsed'],
      [at(3), 'completed', 'duration_elapsed']
    ])
  })

  it('passes a single zero-length phase through and times the others from it', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 'z', durations: { queued: 0 } })
    expect(mustGet(engine, 'z').phase).toBe('running')
    expect(task.startedAt).toBe(T)
    engine.advance(R + C)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(R + C))
  })
})
