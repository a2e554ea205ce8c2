import { describe, it, expect } from 'vitest'
import type { Engine, Task } from '../../src/engine/engine.js'
import { C, CLUSTER, Q, R, T, at, historyOf, makeEngine, mustCreate, mustGet } from './helpers.js'

/** A task with the default durations, moved into `phase` (an active one) at T+`phase start`. */
function inPhase (engine: Engine, phase: 'queued' | 'running' | 'commit', spec: Parameters<Engine['create']>[0] = {}): Task {
  const task = mustCreate(engine, { id: 't', ...spec })
  if (phase === 'running') engine.advance(Q)
  if (phase === 'commit') engine.advance(Q + R)
  expect(task.phase).toBe(phase)
  return task
}

function expectCanceled (task: Task, endedAt: number, cause: 'cancel' | 'force_cancel'): void {
  expect(task.phase).toBe('canceled')
  expect(task.endedAt).toBe(endedAt)
  expect(task.expiresAt).toBe(endedAt + 500_000)
  expect(task.errors).toHaveLength(1)
  expect(task.errors[0]).toMatchObject({ cluster_name: CLUSTER, error_code: 'task_canceled' })
  expect(task.history.at(-1)).toEqual({ at: endedAt, phase: 'canceled', cause })
}

describe('cancel of a queued task', () => {
  for (const force of [false, true]) {
    it(`cancels it at once ${force ? 'with' : 'without'} force, and it never starts`, () => {
      const engine = makeEngine()
      const task = inPhase(engine, 'queued')
      engine.advance(1)
      const result = engine.cancel('t', force)
      expect(result).toMatchObject({ ok: true, task })
      expectCanceled(task, at(1), force ? 'force_cancel' : 'cancel')
      expect(task.startedAt).toBeNull()
      expect(task.pendingCancel).toBeNull()
      engine.advance(100)
      expect(task.phase).toBe('canceled')
      expect(task.startedAt).toBeNull()
      expect(task.endedAt).toBe(at(1))
    })
  }

  it('cancels it at once even when the task has a cancel_delay', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'queued', { cancelDelay: 5 })
    expect(engine.cancel('t', false).ok).toBe(true)
    expectCanceled(task, T, 'cancel')
    expect(task.startedAt).toBeNull()
  })
})

describe('cancel of a running task', () => {
  for (const force of [false, true]) {
    it(`cancels it at once ${force ? 'with' : 'without'} force when its cancel_delay is 0, keeping startedAt`, () => {
      const engine = makeEngine()
      const task = inPhase(engine, 'running')
      engine.advance(1)
      const result = engine.cancel('t', force)
      expect(result).toMatchObject({ ok: true, task })
      expectCanceled(task, at(Q + 1), force ? 'force_cancel' : 'cancel')
      expect(task.startedAt).toBe(at(Q))
    })
  }

  it('accepts a cancel with a cancel_delay at once but keeps the task running until now + delay', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: 2, durations: { running: 10 } })
    const result = engine.cancel('t', false)
    expect(result).toMatchObject({ ok: true, task })
    expect(task.phase).toBe('running')
    expect(task.endedAt).toBeNull()
    expect(task.pendingCancel).toEqual({ at: at(Q + 2), force: false })
    expect(task.history.at(-1)).toEqual({ at: at(Q), phase: 'running', cause: 'cancel_requested' })
    expect(engine.nextEventAt()).toBe(at(Q + 2))

    engine.advance(1.999)
    expect(mustGet(engine, 't').phase).toBe('running')
    engine.advance(0.001)
    expectCanceled(task, at(Q + 2), 'cancel')
    expect(task.startedAt).toBe(at(Q))
    expect(task.pendingCancel).toBeNull()
  })

  it('stamps a delayed cancel with its due time when one big advance passes it', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: 2, durations: { running: 10 } })
    engine.advance(1)
    expect(engine.cancel('t', true).ok).toBe(true)
    engine.advance(1000)
    expectCanceled(task, at(Q + 3), 'force_cancel')
    expect(historyOf(task)).toEqual([
      [T, 'queued', 'created'],
      [at(Q), 'running', 'duration_elapsed'],
      [at(Q + 1), 'running', 'cancel_requested'],
      [at(Q + 3), 'canceled', 'force_cancel']
    ])
  })

  it('does not postpone a pending cancel when the cancel is repeated', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: 4, durations: { running: 10 } })
    engine.cancel('t', false)
    engine.advance(3)
    expect(engine.cancel('t', false).ok).toBe(true)
    expect(task.pendingCancel?.at).toBe(at(Q + 4))
    engine.advance(1)
    expectCanceled(task, at(Q + 4), 'cancel')
  })

  it('cancels a task held in running (null duration) after its cancel_delay', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: 5, durations: { running: null } })
    engine.cancel('t', false)
    expect(engine.nextEventAt()).toBe(at(Q + 5))
    engine.advance(5)
    expectCanceled(task, at(Q + 5), 'cancel')
  })

  it('still cancels when the running phase would have ended 1 ms after the pending cancel', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: 2.999, durations: { running: 3 } })
    engine.cancel('t', false)
    engine.advance(100)
    expectCanceled(task, at(Q + 2.999), 'cancel')
  })

  it('drops the pending cancel when the running phase ends first, and the task completes', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: 5 })
    engine.advance(1)
    const result = engine.cancel('t', false)
    expect(result).toMatchObject({ ok: true })
    expect(task.phase).toBe('running')
    engine.advance(100)
    expect(task.phase).toBe('completed')
    expect(task.errors).toEqual([])
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + R + C))
    expect(task.pendingCancel).toBeNull()
    expect(historyOf(task)).toEqual([
      [T, 'queued', 'created'],
      [at(Q), 'running', 'duration_elapsed'],
      [at(Q + 1), 'running', 'cancel_requested'],
      [at(Q + R), 'commit', 'duration_elapsed'],
      [at(Q + R), 'commit', 'cancel_dropped'],
      [at(Q + R + C), 'completed', 'duration_elapsed']
    ])
  })

  it('drops the pending cancel when the running phase ends at the same instant, and the task completes', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: R })
    engine.cancel('t', false)
    expect(engine.nextEventAt()).toBe(at(Q + R))
    engine.advance(R)
    expect(task.phase).toBe('commit')
    expect(task.history.at(-1)).toEqual({ at: at(Q + R), phase: 'commit', cause: 'cancel_dropped' })
    expect(engine.nextEventAt()).toBe(at(Q + R + C))
    engine.advance(C)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(Q + R + C))
    expect(task.errors).toEqual([])
  })

  it('drops the pending cancel at the same instant also when reached by many small advances', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: R })
    engine.cancel('t', false)
    for (let i = 0; i < 50; i++) engine.advance(0.3)
    expect(task.phase).toBe('completed')
    expect(task.history.some((h) => h.cause === 'cancel_dropped')).toBe(true)
    expect(task.endedAt).toBe(at(Q + R + C))
  })

  // The contract's table gives the same row for a running task with and without force, and its
  // race rule ("if the task reaches commit first, or at the same instant, the cancel is dropped
  // and the task completes") makes no exception for force.
  it('drops a pending force cancel too when the running phase ends first, and the task completes', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: R + 1 })
    expect(engine.cancel('t', true).ok).toBe(true)
    engine.advance(100)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(Q + R + C))
    expect(task.errors).toEqual([])
    expect(task.history.some((h) => h.cause === 'cancel_dropped')).toBe(true)
  })

  it('drops a pending cancel when the task is stepped into commit first', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: 2 })
    engine.cancel('t', false)
    engine.advance(1)
    expect(engine.step('t').ok).toBe(true)
    expect(task.phase).toBe('commit')
    expect(task.history.at(-1)).toEqual({ at: at(Q + 1), phase: 'commit', cause: 'cancel_dropped' })
    engine.advance(C)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(Q + 1 + C))
  })

  it('lets a pending cancel of a task with outcome failed lose the race to the failure', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'running', { cancelDelay: R, outcome: 'failed' })
    engine.cancel('t', false)
    engine.advance(100)
    expect(task.phase).toBe('failed')
    expect(task.endedAt).toBe(at(Q + R))
    expect(task.errors[0]?.error_code).toBe('internal_error')
  })
})

describe('cancel of a task in commit', () => {
  it('answers task_cannot_be_canceled to a cancel during commit without force, and the task completes', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'commit')
    engine.advance(1)
    const result = engine.cancel('t', false)
    expect(result).toMatchObject({ ok: false, reason: 'task_cannot_be_canceled' })
    expect(task.phase).toBe('commit')
    expect(task.history).toHaveLength(3)
    engine.advance(100)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(Q + R + C))
  })

  it('cancels a task in commit at once with force, with the task_canceled error', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'commit', { cancelDelay: 3 })
    engine.advance(1)
    const result = engine.cancel('t', true)
    expect(result).toMatchObject({ ok: true, task })
    expectCanceled(task, at(Q + R + 1), 'force_cancel')
    expect(task.errors[0]?.error_code).toBe('task_canceled')
    expect(task.startedAt).toBe(at(Q))
  })
})

describe('cancel of an ended task', () => {
  const enders: Record<string, (engine: Engine) => Task> = {
    completed: (engine) => { const t = mustCreate(engine, { id: 't' }); engine.advance(Q + R + C); return t },
    failed: (engine) => { const t = mustCreate(engine, { id: 't', outcome: 'failed' }); engine.advance(Q + R); return t },
    canceled: (engine) => { const t = mustCreate(engine, { id: 't' }); engine.cancel('t', false); return t }
  }
  for (const [phase, end] of Object.entries(enders)) {
    for (const force of [false, true]) {
      it(`answers task_cannot_be_canceled to a cancel of a ${phase} task ${force ? 'with' : 'without'} force`, () => {
        const engine = makeEngine()
        const task = end(engine)
        expect(task.phase).toBe(phase)
        const before = { endedAt: task.endedAt, errors: task.errors, history: task.history.length, expiresAt: task.expiresAt }
        engine.advance(1)
        const result = engine.cancel('t', force)
        expect(result).toMatchObject({ ok: false, reason: 'task_cannot_be_canceled' })
        expect(task.phase).toBe(phase)
        expect({ endedAt: task.endedAt, errors: task.errors, history: task.history.length, expiresAt: task.expiresAt }).toEqual(before)
      })
    }
  }
})

describe('cancel of an unknown task', () => {
  for (const force of [false, true]) {
    it(`answers task_not_found to a cancel of an unknown id ${force ? 'with' : 'without'} force`, () => {
      const engine = makeEngine()
      mustCreate(engine, { id: 'known' })
      expect(engine.cancel('unknown', force)).toMatchObject({ ok: false, reason: 'task_not_found' })
      expect(engine.size).toBe(1)
    })
  }
})

describe('cancel of a task set up to refuse cancels', () => {
  for (const phase of ['queued', 'running'] as const) {
    for (const force of [false, true]) {
      it(`answers task_cancel_failed to a cancel of a ${phase} task ${force ? 'with' : 'without'} force, and the task goes on`, () => {
        const engine = makeEngine()
        const task = inPhase(engine, phase, { cancel: 'conflict' })
        const result = engine.cancel('t', force)
        expect(result).toMatchObject({ ok: false, reason: 'task_cancel_failed' })
        expect(task.phase).toBe(phase)
        expect(task.pendingCancel).toBeNull()
        engine.advance(100)
        expect(task.phase).toBe('completed')
        expect(task.startedAt).toBe(at(Q))
        expect(task.endedAt).toBe(at(Q + R + C))
        expect(task.errors).toEqual([])
      })
    }
  }

  it('answers task_cancel_failed to a force cancel during commit, and the task completes', () => {
    const engine = makeEngine()
    const task = inPhase(engine, 'commit', { cancel: 'conflict' })
    expect(engine.cancel('t', true)).toMatchObject({ ok: false, reason: 'task_cancel_failed' })
    engine.advance(C)
    expect(task.phase).toBe('completed')
  })

  it('answers task_cannot_be_canceled to a cancel during commit without force', () => {
    const engine = makeEngine()
    inPhase(engine, 'commit', { cancel: 'conflict' })
    expect(engine.cancel('t', false)).toMatchObject({ ok: false, reason: 'task_cannot_be_canceled' })
  })

  for (const force of [false, true]) {
    it(`answers task_cannot_be_canceled to a cancel of an ended task ${force ? 'with' : 'without'} force (406 wins)`, () => {
      const engine = makeEngine()
      const task = mustCreate(engine, { id: 't', cancel: 'conflict' })
      engine.advance(Q + R + C)
      expect(task.phase).toBe('completed')
      expect(engine.cancel('t', force)).toMatchObject({ ok: false, reason: 'task_cannot_be_canceled' })
    })
  }
})

describe('timestamps of canceled and failed tasks', () => {
  it('keeps startedAt on a task canceled after it started and has none when canceled while queued', () => {
    const engine = makeEngine()
    const queued = mustCreate(engine, { id: 'q', durations: { queued: 10 } })
    const running = mustCreate(engine, { id: 'r', durations: { queued: 1, running: 10 } })
    const commit = mustCreate(engine, { id: 'c', durations: { queued: 1, running: 1, commit: 10 } })
    engine.advance(5)
    expect(engine.cancel('q', false).ok).toBe(true)
    expect(engine.cancel('r', false).ok).toBe(true)
    expect(engine.cancel('c', true).ok).toBe(true)
    expect(queued.startedAt).toBeNull()
    expect(running.startedAt).toBe(at(1))
    expect(commit.startedAt).toBe(at(1))
    for (const task of [queued, running, commit]) {
      expect(task.phase).toBe('canceled')
      expect(task.endedAt).toBe(at(5))
    }
  })

  it('keeps startedAt on a failed task', () => {
    const engine = makeEngine()
    const task = mustCreate(engine, { outcome: 'failed' })
    engine.advance(100)
    expect(task.phase).toBe('failed')
    expect(task.startedAt).toBe(at(Q))
    expect(task.endedAt).toBe(at(Q + R))
  })
})
