import { describe, it, expect } from 'vitest'
import type { Engine, Task } from '../../src/engine/engine.js'
import { ACTIVE_PHASES, PHASES, PHASE_NAMES, isEnded, type Phase } from '../../src/engine/phases.js'
import { Q, R, makeEngine, mustCreate } from './helpers.js'

/** For each phase, every way the engine can put a task in it. */
const MAKERS: Record<Phase, Array<(engine: Engine) => Task>> = {
  queued: [(e) => mustCreate(e)],
  running: [(e) => { const t = mustCreate(e); e.advance(Q); return t }],
  commit: [(e) => { const t = mustCreate(e); e.advance(Q + R); return t }],
  completed: [(e) => { const t = mustCreate(e); e.advance(100); return t }],
  failed: [(e) => { const t = mustCreate(e, { outcome: 'failed' }); e.advance(100); return t }],
  canceled: [
    (e) => { const t = mustCreate(e, { id: 'q' }); e.cancel('q', false); return t },
    (e) => { const t = mustCreate(e, { id: 'r' }); e.advance(Q); e.cancel('r', false); return t },
    (e) => { const t = mustCreate(e, { id: 'c' }); e.advance(Q + R); e.cancel('c', true); return t }
  ]
}

function checkShows (shows: string, value: number | null, task: Task): void {
  if (shows === 'absent') expect(value).toBeNull()
  else if (shows === 'set' || shows === 'kept') expect(value).not.toBeNull()
  else if (shows === 'kept (absent if never started)') {
    const started = task.history.some((h) => h.phase === 'running')
    if (started) expect(value).not.toBeNull()
    else expect(value).toBeNull()
  } else {
    throw new Error(`unknown shows value "${shows}"`)
  }
}

describe('the PHASES table', () => {
  it('covers exactly the phases the engine uses, active ones before ended ones', () => {
    expect(PHASE_NAMES).toEqual(['queued', 'running', 'commit', 'completed', 'failed', 'canceled'])
    expect(ACTIVE_PHASES).toEqual(['queued', 'running', 'commit'])
    for (const phase of PHASE_NAMES) expect(isEnded(phase)).toBe(!ACTIVE_PHASES.includes(phase as never))
  })

  it('chains the active phases from queued, through next, to completed', () => {
    const chain: Phase[] = ['queued']
    for (let p: Phase | null = PHASES.queued.next; p !== null; p = PHASES[p].next) chain.push(p)
    expect(chain).toEqual(['queued', 'running', 'commit', 'completed'])
  })

  /** A task held in `phase` (every duration null), reached by stepping. */
  const heldIn = (engine: Engine, phase: Phase, spec: Parameters<typeof mustCreate>[1] = {}): Task => {
    const task = mustCreate(engine, { durations: { queued: null, running: null, commit: null }, ...spec })
    for (let i = 0; i < 3 && task.phase !== phase; i++) engine.step(task.id)
    expect(task.phase).toBe(phase)
    return task
  }

  for (const phase of ACTIVE_PHASES) {
    const row = PHASES[phase]
    it(`moves a ${phase} task on to its row's next phase (${row.next}), and a failing one to ${row.onFailure ?? row.next}`, () => {
      const engine = makeEngine()
      const ok = heldIn(engine, phase)
      expect(engine.step(ok.id).ok).toBe(true)
      expect(ok.phase).toBe(row.next)
      const failing = heldIn(engine, phase)
      expect(engine.amend(failing.id, { outcome: 'failed' }).ok).toBe(true)
      engine.step(failing.id)
      expect(failing.phase).toBe(row.onFailure ?? row.next)
    })
  }

  for (const phase of PHASE_NAMES) {
    const rule = PHASES[phase].cancel
    it(`takes a cancel in ${phase} as its row says (${rule})`, () => {
      const engine = makeEngine()
      const other = makeEngine()
      const make = (e: Engine): Task => isEnded(phase) ? (MAKERS[phase][0] as (e: Engine) => Task)(e) : heldIn(e, phase, { cancelDelay: 5 })
      const plain = make(engine)
      const plainResult = engine.cancel(plain.id, false)
      const forced = make(other)
      const forcedResult = other.cancel(forced.id, true)
      switch (rule) {
        case 'now':
          expect([plainResult.ok, plain.phase, forcedResult.ok, forced.phase]).toEqual([true, 'canceled', true, 'canceled'])
          break
        case 'after_delay':
          expect([plainResult.ok, plain.phase, plain.pendingCancel?.at]).toEqual([true, phase, engine.now() + 5000])
          engine.advance(5)
          other.advance(5)
          expect([plain.phase, forced.phase]).toEqual(['canceled', 'canceled'])
          break
        case 'force_only':
          expect(plainResult).toMatchObject({ ok: false, reason: 'task_cannot_be_canceled' })
          expect([plain.phase, forcedResult.ok, forced.phase]).toEqual([phase, true, 'canceled'])
          break
        case 'never':
          expect(plainResult).toMatchObject({ ok: false, reason: 'task_cannot_be_canceled' })
          expect(forcedResult).toMatchObject({ ok: false, reason: 'task_cannot_be_canceled' })
          expect([plain.phase, forced.phase]).toEqual([phase, phase])
      }
    })
  }

  for (const phase of PHASE_NAMES) {
    it(`shows startedAt and endedAt on a ${phase} task as the table says`, () => {
      const { shows } = PHASES[phase]
      const makers = MAKERS[phase]
      expect(makers.length).toBeGreaterThan(0)
      for (const make of makers) {
        const task = make(makeEngine())
        expect(task.phase).toBe(phase)
        checkShows(shows.started, task.startedAt, task)
        checkShows(shows.ended, task.endedAt, task)
      }
    })
  }

  it('shows no startedAt on a task canceled while queued, as the canceled row says', () => {
    const task = (MAKERS.canceled[0] as (e: Engine) => Task)(makeEngine())
    expect(PHASES.canceled.shows.started).toBe('kept (absent if never started)')
    expect(task.startedAt).toBeNull()
    expect(task.endedAt).not.toBeNull()
  })
})
