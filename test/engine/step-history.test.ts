import { describe, it, expect } from 'vitest'
import { C, Q, R, T, at, historyOf, listIds, makeEngine, mustCreate } from './helpers.js'

describe('step', () => {
  it('moves a task queued -> running -> commit -> completed, each at now with cause step', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', durations: { queued: 100, running: 100, commit: 100 } })
    engine.advance(1)
    expect(engine.step('t')).toMatchObject({ ok: true, task })
    expect(task.phase).toBe('running')
    expect(task.startedAt).toBe(at(1))
    engine.advance(2)
    expect(engine.step('t')).toMatchObject({ ok: true, task })
    expect(task.phase).toBe('commit')
    engine.advance(0.5)
    expect(engine.step('t')).toMatchObject({ ok: true, task })
    expect(task.phase).toBe('completed')
    expect(task.startedAt).toBe(at(1))
    expect(task.endedAt).toBe(at(3.5))
    expect(task.expiresAt).toBe(at(3.5 + 500))
    expect(task.errors).toEqual([])
    expect(historyOf(task)).toEqual([
      [T, 'queued', 'created'],
      [at(1), 'running', 'step'],
      [at(3), 'commit', 'step'],
      [at(3.5), 'completed', 'step']
    ])
  })

  it('times the next phase from the step, not from the original schedule', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(0.5)
    engine.step('t')
    expect(engine.nextEventAt()).toBe(at(0.5 + R))
    engine.advance(100)
    expect(task.startedAt).toBe(at(0.5))
    expect(task.endedAt).toBe(at(0.5 + R + C))
  })

  it('steps a task with outcome failed out of running into failed with its errors', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', outcome: 'failed' })
    engine.step('t')
    engine.step('t')
    expect(task.phase).toBe('failed')
    expect(task.endedAt).toBe(T)
    expect(task.errors[0]?.error_code).toBe('internal_error')
  })

  it('answers task_already_ended to a step of a completed, failed or canceled task', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 'done' })
    mustCreate(engine, { id: 'failed', outcome: 'failed' })
    mustCreate(engine, { id: 'canceled' })
    engine.cancel('canceled', false)
    engine.advance(Q + R + C)
    for (const id of ['done', 'failed', 'canceled']) {
      const before = engine.get(id)?.history.length
      expect(engine.step(id)).toMatchObject({ ok: false, reason: 'task_already_ended' })
      expect(engine.get(id)?.history.length).toBe(before)
    }
  })

  it('answers task_not_found to a step of an unknown id', () => {
    const engine = makeEngine()
    expect(engine.step('nope')).toMatchObject({ ok: false, reason: 'task_not_found' })
  })
})

describe('history and the next event', () => {
  it('records the creation at T and each phase change at its due time, not the time of the advance', () => {
    const engine = makeEngine()
    engine.advance(10)
    const task = mustCreate(engine)
    engine.advance(Q + 0.7)
    expect(historyOf(task)).toEqual([
      [at(10), 'queued', 'created'],
      [at(10 + Q), 'running', 'duration_elapsed']
    ])
    engine.advance(1000)
    expect(historyOf(task)).toEqual([
      [at(10), 'queued', 'created'],
      [at(10 + Q), 'running', 'duration_elapsed'],
      [at(10 + Q + R), 'commit', 'duration_elapsed'],
      [at(10 + Q + R + C), 'completed', 'duration_elapsed']
    ])
    expect(task.phaseStartedAt).toBe(at(10 + Q + R + C))
  })

  it('returns the next due time from nextEventAt, or null when nothing is scheduled', () => {
    const engine = makeEngine({ resultTtl: 50 })
    expect(engine.nextEventAt()).toBeNull()
    const task = mustCreate(engine)
    expect(engine.nextEventAt()).toBe(at(Q))
    expect(task.phaseEndsAt).toBe(at(Q))
    engine.advance(Q)
    expect(engine.nextEventAt()).toBe(at(Q + R))
    engine.advance(R)
    expect(engine.nextEventAt()).toBe(at(Q + R + C))
    engine.advance(C)
    expect(engine.nextEventAt()).toBe(at(Q + R + C + 50))
    expect(task.phaseEndsAt).toBeNull()
    engine.advance(50)
    expect(engine.nextEventAt()).toBeNull()
  })

  it('returns the earliest due time among several tasks', () => {
    const engine = makeEngine()
    mustCreate(engine, { durations: { queued: 9 } })
    mustCreate(engine, { durations: { queued: 4 } })
    mustCreate(engine, { durations: { queued: 6 } })
    expect(engine.nextEventAt()).toBe(at(4))
    engine.advance(4)
    expect(engine.nextEventAt()).toBe(at(6))
  })
})

describe('reset', () => {
  it('forgets every task and leaves the clock where it was', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 'a' })
    mustCreate(engine, { id: 'b', durations: { queued: 0, running: 0, commit: 0 } })
    engine.advance(7)
    engine.reset()
    expect(engine.now()).toBe(at(7))
    expect(engine.size).toBe(0)
    expect(listIds(engine)).toEqual([])
    expect(engine.get('a')).toBeUndefined()
    expect(engine.cancel('a', false)).toMatchObject({ ok: false, reason: 'task_not_found' })
    expect(engine.nextEventAt()).toBeNull()
    engine.advance(1000)
    expect(engine.size).toBe(0)
    expect(engine.now()).toBe(at(1007))
  })

  it('lets tasks be created after a reset, reusing ids, at the clock\'s now', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 'a' })
    engine.advance(1)
    engine.reset()
    const task = mustCreate(engine, { id: 'a' })
    expect(task.createdAt).toBe(at(1))
    expect(engine.nextEventAt()).toBe(at(1 + Q))
    engine.advance(100)
    expect(task.startedAt).toBe(at(1 + Q))
    expect(task.endedAt).toBe(at(1 + Q + R + C))
  })
})
