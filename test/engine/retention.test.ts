import { describe, it, expect } from 'vitest'
import { C, Q, R, at, listIds, makeEngine, mustCreate, mustGet, retainAndGet } from './helpers.js'

const END = Q + R + C

describe('retention of ended tasks', () => {
  it('keeps an ended task for the default TTL: there at ended + ttl - 1 s, gone at ended + ttl', () => {
    const engine = makeEngine({ resultTtl: 60 })
    const task = mustCreate(engine, { id: 'a' })
    mustCreate(engine, { id: 'keeper', durations: { queued: null } })
    engine.advance(END)
    expect(task.endedAt).toBe(at(END))
    expect(task.expiresAt).toBe(at(END + 60))

    engine.advance(59)
    expect(engine.get('a')).toBe(task)
    expect(listIds(engine)).toEqual(['a', 'keeper'])
    expect(engine.size).toBe(2)

    engine.advance(1)
    expect(engine.get('a')).toBeUndefined()
    expect(listIds(engine)).toEqual(['keeper'])
    expect(engine.cancel('a', false)).toMatchObject({ ok: false, reason: 'task_not_found' })
    expect(engine.cancel('a', true)).toMatchObject({ ok: false, reason: 'task_not_found' })
    expect(engine.step('a')).toMatchObject({ ok: false, reason: 'task_not_found' })
    expect(engine.size).toBe(1)
  })

  it('expires exactly at ended + ttl however the clock got there', () => {
    const engine = makeEngine({ resultTtl: 10 })
    mustCreate(engine, { id: 'a' })
    for (let i = 0; i < (END + 10) / 0.25 - 1; i++) engine.advance(0.25)
    expect(engine.now()).toBe(at(END + 10 - 0.25))
    expect(engine.get('a')?.phase).toBe('completed')
    engine.advance(0.25)
    expect(engine.get('a')).toBeUndefined()
  })

  it('keeps failed and canceled tasks for their TTL too', () => {
    const engine = makeEngine({ resultTtl: 20 })
    mustCreate(engine, { id: 'f', outcome: 'failed' })
    mustCreate(engine, { id: 'c' })
    engine.cancel('c', false)
    engine.advance(19)
    expect(listIds(engine)).toEqual(['f', 'c'])
    engine.advance(1)
    expect(listIds(engine)).toEqual(['f'])
    engine.advance(Q + R - 1)
    expect(listIds(engine)).toEqual(['f'])
    engine.advance(1)
    expect(listIds(engine)).toEqual([])
  })

  it('uses the spec\'s resultTtl over the default', () => {
    const engine = makeEngine({ resultTtl: 500 })
    const task = mustCreate(engine, { id: 'a', resultTtl: 30 })
    engine.advance(END + 29)
    expect(task.expiresAt).toBe(at(END + 30))
    expect(engine.get('a')).toBe(task)
    engine.advance(1)
    expect(engine.get('a')).toBeUndefined()
  })

  it('makes retain(id, ttl) on an ended task expire it ttl seconds after the call', () => {
    const engine = makeEngine({ resultTtl: 500 })
    mustCreate(engine, { id: 'a' })
    engine.advance(END + 100)
    const task = retainAndGet(engine, 'a', 10)
    expect(task?.phase).toBe('completed')
    expect(task?.expiresAt).toBe(at(END + 110))
    engine.advance(9)
    expect(engine.get('a')).toBe(task)
    engine.advance(1)
    expect(engine.get('a')).toBeUndefined()
  })

  it('lets retain(id, ttl) on an ended task lengthen its retention', () => {
    const engine = makeEngine({ resultTtl: 5 })
    mustCreate(engine, { id: 'a' })
    engine.advance(END + 4)
    expect(retainAndGet(engine, 'a', 1000)).toBeDefined()
    engine.advance(999)
    expect(engine.get('a')).toBeDefined()
    engine.advance(1)
    expect(engine.get('a')).toBeUndefined()
  })

  it('makes retain(id, ttl) on an active task expire it ttl seconds after it ends', () => {
    const engine = makeEngine({ resultTtl: 500 })
    mustCreate(engine, { id: 'a' })
    engine.advance(1)
    const task = retainAndGet(engine, 'a', 20)
    expect(task?.phase).toBe('queued')
    expect(task?.expiresAt).toBeNull()
    engine.advance(END - 1 + 19)
    expect(engine.get('a')?.expiresAt).toBe(at(END + 20))
    engine.advance(1)
    expect(engine.get('a')).toBeUndefined()
  })

  it('returns an ended task from retain(id, 0) and forgets it at the next settle of the same instant', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 'a' })
    engine.advance(END + 3)
    const task = retainAndGet(engine, 'a', 0)
    expect(task?.id).toBe('a')
    expect(task?.phase).toBe('completed')
    expect(engine.now()).toBe(at(END + 3))
    expect(engine.get('a')).toBeUndefined()
    expect(engine.size).toBe(0)
  })

  it('forgets a task with resultTtl 0 the instant it ends', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 'a', resultTtl: 0 })
    engine.advance(END - 1)
    expect(engine.get('a')?.phase).toBe('commit')
    engine.advance(1)
    expect(engine.get('a')).toBeUndefined()
  })

  it('frees the task: size is 0 and nothing is scheduled after expiry', () => {
    const engine = makeEngine({ resultTtl: 5 })
    mustCreate(engine)
    expect(engine.size).toBe(1)
    engine.advance(END + 5)
    expect(engine.size).toBe(0)
    expect(engine.nextEventAt()).toBeNull()
  })

  it('returns to size 0 after 10 000 tasks are created and expire', () => {
    const engine = makeEngine({ resultTtl: 10, maxTasks: 20_000 })
    for (let i = 0; i < 10_000; i++) {
      mustCreate(engine, { durations: { queued: (i % 7) / 4, running: 1, commit: 1 } })
      if (i % 1000 === 999) engine.advance(0.5)
    }
    expect(engine.size).toBe(10_000)
    engine.advance(15)
    expect(engine.size).toBe(0)
    expect([...engine.list()]).toEqual([])
    expect(engine.nextEventAt()).toBeNull()
  })

  it('lists live tasks oldest first', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 'b' })
    engine.advance(1)
    mustCreate(engine, { id: 'a' })
    engine.advance(1)
    mustCreate(engine, { id: 'c' })
    expect(listIds(engine)).toEqual(['b', 'a', 'c'])
    expect(mustGet(engine, 'b').createdAt).toBeLessThan(mustGet(engine, 'a').createdAt)
  })
})
