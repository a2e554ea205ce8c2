import { describe, expect, it } from 'vitest'
import type { Task } from '../../src/engine/engine.js'
import { CLUSTER, Q, R, at, makeEngine, mustCreate } from './helpers.js'

// Linked clusters share one engine: each task belongs to the cluster that received its request.
describe('tasks of several clusters in one engine', () => {
  it('keeps the same id apart in two clusters, and finds each task only through its own cluster', () => {
    const engine = makeEngine()
    const mine = mustCreate(engine, { id: 'x' })
    const theirs = mustCreate(engine, { id: 'x', owner: 'west' })
    expect(mine.owner).toBe(CLUSTER)
    expect(theirs.owner).toBe('west')
    expect(engine.get('x')).toBe(mine)
    expect(engine.get('x', 'west')).toBe(theirs)
    expect(engine.get('x', 'north')).toBeUndefined()
    expect([...engine.list('west')]).toEqual([theirs])
    expect([...engine.list()]).toEqual([mine, theirs])
    expect(engine.create({ id: 'x', owner: 'west' })).toMatchObject({ ok: false, reason: 'task_exists' })
    expect(engine.cancel('x', false, 'west').ok).toBe(true)
    expect(theirs.phase).toBe('canceled')
    expect(theirs.errors[0]?.cluster_name).toBe('west')
    expect(mine.phase).toBe('queued')
    expect(engine.cancel('x', false, 'north')).toMatchObject({ ok: false, reason: 'task_not_found' })
  })

  it('round-trips owners through a state export', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 'x', owner: 'west' })
    const other = makeEngine()
    other.importState(engine.exportState())
    expect(other.get('x', 'west')?.owner).toBe('west')
    expect(other.get('x')).toBeUndefined()
  })
})

describe('the judge (participating clusters that refuse or cannot be reached)', () => {
  const errors = [{ cluster_name: 'west', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }]

  it('fails a task with the judge\'s errors as it leaves running, at that moment', () => {
    const judged: string[] = []
    const engine = makeEngine({ judge: (task: Task) => { judged.push(task.id); return task.id === 'bad' ? errors : undefined } })
    const bad = mustCreate(engine, { id: 'bad' })
    const good = mustCreate(engine, { id: 'good' })
    engine.advance(Q + R)
    expect(bad.phase).toBe('failed')
    expect(bad.errors).toEqual(errors)
    expect(bad.endedAt).toBe(at(Q + R))
    expect(good.phase).toBe('commit')
    expect(judged).toEqual(['bad', 'good'])
  })

  it('is not asked for a task already set to fail, nor before running ends', () => {
    const judged: string[] = []
    const engine = makeEngine({ judge: (task: Task) => { judged.push(task.id); return errors } })
    const failing = mustCreate(engine, { id: 'f', outcome: 'failed' })
    mustCreate(engine, { id: 'q' })
    engine.advance(Q)
    expect(judged).toEqual([])
    engine.advance(R)
    expect(failing.errors[0]?.error_code).toBe('internal_error')
    expect(judged).toEqual(['q'])
  })
})
