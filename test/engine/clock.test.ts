import { describe, it, expect } from 'vitest'
import { createClock } from '../../src/engine/clock.js'
import { createEngine } from '../../src/engine/engine.js'
import { T } from './helpers.js'

describe('the manual clock', () => {
  it('stands still until advanced, then moves by exactly the given ms', () => {
    let system = 5_000_000
    const clock = createClock({ mode: 'manual', start: T, systemTime: () => system })
    expect(clock.mode).toBe('manual')
    expect(clock.now()).toBe(T)
    system += 60_000
    expect(clock.now()).toBe(T)
    clock.advance(1500)
    expect(clock.now()).toBe(T + 1500)
    clock.advance(0.4)
    expect(clock.now()).toBe(T + 1500)
    clock.advance(299.6)
    expect(clock.now()).toBe(T + 1800)
  })

  it('starts at the system time rounded down to a whole second when no start is given', () => {
    const clock = createClock({ mode: 'manual', systemTime: () => 1_767_225_601_789 })
    expect(clock.now()).toBe(1_767_225_601_000)
  })

  it('ignores scale', () => {
    const clock = createClock({ mode: 'manual', start: T, scale: 10 })
    expect(clock.scale).toBe(1)
    clock.advance(1000)
    expect(clock.now()).toBe(T + 1000)
  })
})

describe('the real clock', () => {
  it('moves 10 emulated ms per real ms at scale 10', () => {
    let system = 1_000_000
    const clock = createClock({ mode: 'real', scale: 10, start: T, systemTime: () => system })
    expect(clock.mode).toBe('real')
    expect(clock.scale).toBe(10)
    expect(clock.now()).toBe(T)
    system += 1
    expect(clock.now()).toBe(T + 10)
    system += 99
    expect(clock.now()).toBe(T + 1000)
    system += 0.05
    expect(clock.now()).toBe(T + 1000)
  })

  it('follows the system time at scale 1 by default, starting at the system time', () => {
    let system = 1_767_225_600_123
    const clock = createClock({ mode: 'real', systemTime: () => system })
    expect(clock.scale).toBe(1)
    expect(clock.now()).toBe(1_767_225_600_123)
    system += 250
    expect(clock.now()).toBe(1_767_225_600_373)
  })

  it('adds advances on top of the passing time', () => {
    let system = 0
    const clock = createClock({ mode: 'real', scale: 10, start: T, systemTime: () => system })
    clock.advance(5000)
    expect(clock.now()).toBe(T + 5000)
    system += 2
    expect(clock.now()).toBe(T + 5020)
  })

  it('drives an engine: phases end at exact emulated times as system time passes and on advance', () => {
    let system = 0
    const clock = createClock({ mode: 'real', scale: 10, start: T, systemTime: () => system })
    const engine = createEngine({ clock, clusterName: 'c', durations: { queued: 1, running: 2, commit: 3 }, resultTtl: 500, maxTasks: 10 })
    const result = engine.create({ id: 't' })
    expect(result.ok).toBe(true)
    system += 99.9
    expect(engine.get('t')?.phase).toBe('queued')
    system += 0.1
    expect(engine.get('t')?.phase).toBe('running')
    system += 199.9
    const task = engine.get('t')
    expect(task?.phase).toBe('running')
    system += 0.1
    expect(engine.get('t')?.phase).toBe('commit')
    expect(task?.startedAt).toBe(T + 1000)
    engine.advance(2.999)
    expect(task?.phase).toBe('commit')
    engine.advance(10)
    expect(engine.now()).toBe(T + 3000 + 12_999)
    expect(task?.phase).toBe('completed')
    expect(task?.endedAt).toBe(T + 6000)
  })
})
