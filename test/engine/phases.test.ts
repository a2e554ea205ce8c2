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

  it('chains the active phases through next, ending in completed', () => {
    expect(PHASES.queued.next).toBe('running')
    expect(PHASES.running.next).toBe('commit')
    expect(PHASES.commit.next).toBe('completed')
  })

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
