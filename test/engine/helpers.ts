import { createClock } from '../../src/engine/clock.js'
import { createEngine, type Engine, type EngineOptions, type Task, type TaskSpec } from '../../src/engine/engine.js'

/** 2026-01-01T00:00:00Z: every engine test starts its manual clock here. */
export const T = Date.UTC(2026, 0, 1)

export const CLUSTER = 'cluster-a.example.com'

/** The default durations of `makeEngine`: q = 2 s, r = 3 s, c = 4 s. */
export const Q = 2
export const R = 3
export const C = 4

/** Emulated ms of `T + seconds`. */
export const at = (seconds: number): number => T + Math.round(seconds * 1000)

/** An engine on a manual clock standing at T, with small known defaults. */
export function makeEngine (options: Partial<EngineOptions> = {}): Engine {
  return createEngine({
    clock: createClock({ mode: 'manual', start: T }),
    clusterName: CLUSTER,
    durations: { queued: Q, running: R, commit: C },
    resultTtl: 500,
    maxTasks: 1000,
    ...options
  })
}

/** Creates a task, failing the test when the engine refuses. */
export function mustCreate (engine: Engine, spec: TaskSpec = {}): Task {
  const result = engine.create(spec)
  if (!result.ok) throw new Error(`create refused: ${result.reason} (${result.detail})`)
  return result.task
}

/** The live task with this id, failing the test when it is gone. */
export function mustGet (engine: Engine, id: string): Task {
  const task = engine.get(id)
  if (task === undefined) throw new Error(`task ${id} is gone`)
  return task
}

/** Ids of the live tasks, in list order. */
export const listIds = (engine: Engine): string[] => [...engine.list()].map((t) => t.id)

/** A task's history as plain `[at, phase, cause]` triples, easy to compare. */
export const historyOf = (task: Task): Array<[number, string, string]> =>
  task.history.map((h) => [h.at, h.phase, h.cause])

/** `retain(id, ttl)` (what `X-Result-TTL` on a GET does): the task as it is, or undefined when gone. */
export function retainAndGet (engine: Engine, id: string, ttl: number | undefined): Task | undefined {
  if (ttl === undefined) return engine.get(id)
  const result = engine.retain(id, ttl)
  return result.ok ? result.task : undefined
}
