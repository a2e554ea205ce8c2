import { describe, it, expect } from 'vitest'
import type { TaskError } from '../../src/engine/engine.js'
import { C, CLUSTER, Q, R, T, at, historyOf, makeEngine, mustCreate, mustGet } from './helpers.js'

const END = Q + R + C

const DB_ERROR: TaskError = { cluster_name: 'east', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }

describe('amend: durations of the current phase', () => {
  it('counts a new running duration from the start of running, not from the amend', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(Q + 0.5)
    expect(task.phase).toBe('running')
    const result = engine.amend('t', { durations: { running: 1 } })
    expect(result).toMatchObject({ ok: true, task })
    expect(task.phaseEndsAt).toBe(at(Q + 1))
    expect(engine.nextEventAt()).toBe(at(Q + 1))

    engine.advance(0.499)
    expect(mustGet(engine, 't').phase).toBe('running')
    engine.advance(0.001)
    expect(task.phase).toBe('commit')
    engine.advance(C)
    expect(task.phase).toBe('completed')
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + 1 + C))
    expect(historyOf(task)).toEqual([
      [T, 'queued', 'created'],
      [at(Q), 'running', 'duration_elapsed'],
      [at(Q + 1), 'commit', 'duration_elapsed'],
      [at(Q + 1 + C), 'completed', 'duration_elapsed']
    ])
  })

  it('lengthens the current phase counting from its start', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(Q + R + 1)
    expect(task.phase).toBe('commit')
    engine.amend('t', { durations: { commit: 10 } })
    expect(engine.nextEventAt()).toBe(at(Q + R + 10))
    engine.advance(8.999)
    expect(mustGet(engine, 't').phase).toBe('commit')
    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(Q + R + 10))
  })

  it('counts a new queued duration from the task\'s creation, and starts it then', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', durations: { queued: 10 } })
    engine.advance(1)
    engine.amend('t', { durations: { queued: 1.5 } })
    engine.advance(0.499)
    expect(mustGet(engine, 't').phase).toBe('queued')
    engine.advance(0.001)
    expect(task.phase).toBe('running')
    expect(task.startedAt).toBe(at(1.5))
    expect(task.crdbGuid).not.toBeNull()
  })

  it('ends the phase at the current time, not in the past, when the new duration is shorter than the time already spent', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', durations: { running: 10 } })
    engine.advance(Q + 2)
    expect(engine.amend('t', { durations: { running: 0.5 } }).ok).toBe(true)
    expect(mustGet(engine, 't').phase).toBe('commit')
    expect(task.phaseStartedAt).toBe(at(Q + 2))
    engine.advance(C)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(Q + 2 + C))
    expect(historyOf(task)).toEqual([
      [T, 'queued', 'created'],
      [at(Q), 'running', 'duration_elapsed'],
      [at(Q + 2), 'commit', 'duration_elapsed'],
      [at(Q + 2 + C), 'completed', 'duration_elapsed']
    ])
  })

  it('starts a queued task now, not in the past, when its new queued duration is already over', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', durations: { queued: 10 } })
    engine.advance(3)
    engine.amend('t', { durations: { queued: 0 } })
    expect(mustGet(engine, 't').phase).toBe('running')
    expect(task.startedAt).toBe(at(3))
    engine.advance(R + C)
    expect(task.endedAt).toBe(at(3 + R + C))
  })

  it('answers the amend with the task already moved on when the new duration is already over', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', durations: { running: 10 } })
    engine.advance(Q + 2)
    const result = engine.amend('t', { durations: { running: 0.5 } })
    expect(result.ok).toBe(true)
    // PATCH /__emulator/tasks/{id} answers with this task: it must not show a phase that has ended
    expect(task.phase).toBe('commit')
    expect(task.history.at(-1)).toEqual({ at: at(Q + 2), phase: 'commit', cause: 'duration_elapsed' })
  })

  it('ends the commit phase now when amended to a duration already past, completing the task now', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(Q + R + 3)
    engine.amend('t', { durations: { commit: 1 } })
    expect(mustGet(engine, 't').phase).toBe('completed')
    expect(task.endedAt).toBe(at(Q + R + 3))
    expect(task.expiresAt).toBe(at(Q + R + 3 + 500))
  })
})

describe('amend: durations of later phases and null', () => {
  it('applies durations of later phases when those phases are reached', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(1)
    engine.amend('t', { durations: { running: 7, commit: 0.25 } })
    expect(engine.nextEventAt()).toBe(at(Q))
    engine.advance(100)
    expect(task.startedAt).toBe(at(Q))
    expect(historyOf(task)).toEqual([
      [T, 'queued', 'created'],
      [at(Q), 'running', 'duration_elapsed'],
      [at(Q + 7), 'commit', 'duration_elapsed'],
      [at(Q + 7.25), 'completed', 'duration_elapsed']
    ])
  })

  it('ignores a new duration of a phase already passed', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(Q + 1)
    engine.amend('t', { durations: { queued: 100 } })
    expect(task.phase).toBe('running')
    expect(engine.nextEventAt()).toBe(at(Q + R))
    engine.advance(100)
    expect(task.endedAt).toBe(at(END))
  })

  it('leaves the durations not named as they were', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.amend('t', { durations: {} })
    engine.amend('t', { durations: { commit: 1 } })
    engine.advance(100)
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + R + 1))
  })

  it('holds the current phase with null until stepped', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(Q + 1)
    engine.amend('t', { durations: { running: null } })
    expect(task.phaseEndsAt).toBeNull()
    expect(engine.nextEventAt()).toBeNull()
    engine.advance(10_000)
    expect(mustGet(engine, 't').phase).toBe('running')
    expect(engine.step('t').ok).toBe(true)
    expect(task.phase).toBe('commit')
    expect(task.phaseStartedAt).toBe(at(Q + 10_001))
    engine.advance(C)
    expect(task.endedAt).toBe(at(Q + 10_001 + C))
  })

  it('holds a later phase with null when it is reached', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.amend('t', { durations: { commit: null } })
    engine.advance(10_000)
    expect(mustGet(engine, 't').phase).toBe('commit')
    expect(task.phaseStartedAt).toBe(at(Q + R))
    expect(engine.nextEventAt()).toBeNull()
  })

  it('releases a held phase with a duration counted from its start, ending it now if that is past', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', durations: { running: null } })
    engine.advance(Q + 1)
    engine.amend('t', { durations: { running: 3 } })
    expect(engine.nextEventAt()).toBe(at(Q + 3))
    engine.amend('t', { durations: { running: null } })
    engine.advance(100)
    expect(mustGet(engine, 't').phase).toBe('running')
    engine.amend('t', { durations: { running: 3 } })
    expect(mustGet(engine, 't').phase).toBe('commit')
    expect(task.phaseStartedAt).toBe(at(Q + 101))
  })

  it('keeps a pending cancel that falls before the new end of running', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', cancelDelay: 2, durations: { running: 10 } })
    engine.advance(Q)
    engine.cancel('t', false)
    engine.amend('t', { durations: { running: 5 } })
    expect(engine.nextEventAt()).toBe(at(Q + 2))
    engine.advance(100)
    expect(task.phase).toBe('canceled')
    expect(task.endedAt).toBe(at(Q + 2))
  })

  it('drops a pending cancel when the amended running phase ends before it', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', cancelDelay: 5, durations: { running: 10 } })
    engine.advance(Q)
    engine.cancel('t', false)
    engine.amend('t', { durations: { running: 1 } })
    engine.advance(100)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(Q + 1 + C))
    expect(historyOf(task)).toContainEqual([at(Q + 1), 'commit', 'cancel_dropped'])
  })
})

describe('amend: outcome and errors', () => {
  it('makes a task fail at the end of running with the default errors', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.amend('t', { outcome: 'failed' })
    engine.advance(100)
    expect(task.phase).toBe('failed')
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + R))
    expect(task.errors).toHaveLength(1)
    expect(task.errors[0]).toMatchObject({ cluster_name: CLUSTER, error_code: 'internal_error' })
    expect(task.expiresAt).toBe(at(Q + R + 500))
  })

  it('makes a running task fail at the end of running with the given errors', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(Q + 1)
    engine.amend('t', { outcome: 'failed', errors: [DB_ERROR] })
    expect(task.phase).toBe('running')
    expect(task.errors).toEqual([])
    engine.advance(R - 1)
    expect(task.phase).toBe('failed')
    expect(task.endedAt).toBe(at(Q + R))
    expect(task.errors).toEqual([DB_ERROR])
  })

  it('changes the errors of a task already set to fail, and an empty list restores the default', () => {
    const engine = makeEngine()
    const a = mustCreate(engine, { id: 'a', outcome: 'failed', errors: [DB_ERROR] })
    const b = mustCreate(engine, { id: 'b', outcome: 'failed', errors: [DB_ERROR] })
    const other: TaskError = { cluster_name: 'west', error_code: 'timeout', description: 'Timed out' }
    engine.amend('a', { errors: [other] })
    engine.amend('b', { errors: [] })
    engine.advance(100)
    expect(a.errors).toEqual([other])
    expect(b.errors).toHaveLength(1)
    expect(b.errors[0]).toMatchObject({ cluster_name: CLUSTER, error_code: 'internal_error' })
  })

  it('applies the outcome and errors of the same amendment when its new duration ends running now', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', durations: { running: 10 } })
    engine.advance(Q + 2)
    engine.amend('t', { durations: { running: 0 }, outcome: 'failed', errors: [DB_ERROR] })
    expect(mustGet(engine, 't').phase).toBe('failed')
    expect(task.endedAt).toBe(at(Q + 2))
    expect(task.errors).toEqual([DB_ERROR])
  })

  it('makes a task set to fail finish instead', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', outcome: 'failed' })
    engine.advance(Q)
    engine.amend('t', { outcome: 'finished' })
    engine.advance(100)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(END))
    expect(task.errors).toEqual([])
  })

  it('does not fail a task already in commit', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(Q + R)
    engine.amend('t', { outcome: 'failed' })
    engine.advance(100)
    expect(task.phase).toBe('completed')
    expect(task.errors).toEqual([])
  })
})

describe('amend: cancel settings', () => {
  it('makes later cancels fail with task_cancel_failed when set to conflict, and the task goes on', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.amend('t', { cancel: 'conflict' })
    expect(engine.cancel('t', false)).toMatchObject({ ok: false, reason: 'task_cancel_failed' })
    engine.advance(Q)
    expect(engine.cancel('t', true)).toMatchObject({ ok: false, reason: 'task_cancel_failed' })
    expect(task.phase).toBe('running')
    expect(task.pendingCancel).toBeNull()
    engine.advance(100)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(END))
  })

  it('accepts cancels again when set back to accept', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', cancel: 'conflict' })
    expect(engine.cancel('t', false)).toMatchObject({ ok: false, reason: 'task_cancel_failed' })
    engine.amend('t', { cancel: 'accept' })
    expect(engine.cancel('t', false).ok).toBe(true)
    expect(task.phase).toBe('canceled')
  })

  it('applies a new cancel_delay to later cancels of a running task', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', durations: { running: 10 } })
    engine.advance(Q)
    engine.amend('t', { cancelDelay: 2.5 })
    expect(task.phase).toBe('running')
    expect(engine.cancel('t', false).ok).toBe(true)
    expect(task.pendingCancel).toEqual({ at: at(Q + 2.5), force: false })
    engine.advance(2.499)
    expect(mustGet(engine, 't').phase).toBe('running')
    engine.advance(0.001)
    expect(task.phase).toBe('canceled')
    expect(task.endedAt).toBe(at(Q + 2.5))
  })

  it('does not move a cancel already pending when the cancel_delay changes', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', cancelDelay: 2, durations: { running: 10 } })
    engine.advance(Q)
    engine.cancel('t', false)
    engine.amend('t', { cancelDelay: 0 })
    expect(task.pendingCancel).toEqual({ at: at(Q + 2), force: false })
    engine.advance(100)
    expect(task.endedAt).toBe(at(Q + 2))
  })

  it('makes later cancels of a running task take effect at once with a cancel_delay of 0', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', cancelDelay: 5 })
    engine.advance(Q + 1)
    engine.amend('t', { cancelDelay: 0 })
    engine.cancel('t', false)
    expect(task.phase).toBe('canceled')
    expect(task.endedAt).toBe(at(Q + 1))
  })
})

describe('amend: result TTL and clusters', () => {
  it('changes how long the result is kept once the task ends', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't', resultTtl: 100 })
    engine.advance(1)
    engine.amend('t', { resultTtl: 10 })
    expect(task.resultTtl).toBe(10)
    engine.advance(END - 1)
    expect(task.expiresAt).toBe(at(END + 10))
    engine.advance(9.999)
    expect(engine.get('t')).toBe(task)
    engine.advance(0.001)
    expect(engine.get('t')).toBeUndefined()
  })

  it('makes a result expire at its end with a result TTL of 0', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 't' })
    engine.amend('t', { resultTtl: 0 })
    engine.advance(END - 0.001)
    expect(mustGet(engine, 't').phase).toBe('commit')
    engine.advance(0.001)
    expect(engine.get('t')).toBeUndefined()
    expect(engine.size).toBe(0)
  })

  it('changes the clusters shown, and ignores an empty list', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    expect(task.clusters).toEqual([CLUSTER])
    engine.amend('t', { clusters: ['east', 'west'] })
    expect(task.clusters).toEqual(['east', 'west'])
    engine.amend('t', { clusters: [] })
    expect(task.clusters).toEqual(['east', 'west'])
  })

  it('leaves everything as it was with an empty amendment', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { id: 't' })
    engine.advance(Q + 1)
    const before = structuredClone({ ...task, history: [...task.history] })
    expect(engine.amend('t', {})).toMatchObject({ ok: true, task })
    expect({ ...task, history: [...task.history] }).toEqual(before)
    expect(engine.nextEventAt()).toBe(at(Q + R))
  })
})

describe('amend: refusals', () => {
  it('refuses an unknown id with task_not_found', () => {
    const engine = makeEngine()
    const result = engine.amend('nope', { outcome: 'failed' })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.reason).toBe('task_not_found')
      expect(result.detail).toContain('nope')
    }
  })

  it('refuses an expired task with task_not_found', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 't', resultTtl: 1 })
    engine.advance(END + 1)
    expect(engine.amend('t', { resultTtl: 100 })).toMatchObject({ ok: false, reason: 'task_not_found' })
  })

  for (const end of ['completed', 'failed', 'canceled'] as const) {
    it(`refuses a ${end} task with task_already_ended and changes nothing`, () => {
      const engine = makeEngine()
      const task = mustCreate(engine, { id: 't', outcome: end === 'failed' ? 'failed' : 'finished' })
      if (end === 'canceled') engine.cancel('t', false)
      else engine.advance(100)
      expect(task.phase).toBe(end)
      const expiresAt = task.expiresAt
      const endedAt = task.endedAt
      const errors = task.errors
      const result = engine.amend('t', { durations: { commit: 1 }, outcome: 'failed', errors: [DB_ERROR], resultTtl: 1, cancel: 'conflict', cancelDelay: 3, clusters: ['x'] })
      expect(result).toMatchObject({ ok: false, reason: 'task_already_ended' })
      expect(task.phase).toBe(end)
      expect(task.endedAt).toBe(endedAt)
      expect(task.expiresAt).toBe(expiresAt)
      expect(task.resultTtl).toBe(500)
      expect(task.errors).toBe(errors)
      expect(task.cancelPolicy).toBe('accept')
      expect(task.cancelDelay).toBe(0)
      expect(task.clusters).toEqual([CLUSTER])
      engine.advance(400)
      expect(engine.get('t')).toBe(task)
    })
  }
})
