import type { Crdb } from '../engine/crdbs.js'
import type { Engine, Task } from '../engine/engine.js'
import { PHASES, WORKER_NAME } from '../engine/phases.js'
import type { ClockWire, CrdbWire, HistoryWire, TaskWire } from './schemas.js'

/**
 * The one place where engine values become the wire's: tasks (short and verbose), CRDBs, the
 * clock, a task's history, and times in the real API's format or the control API's.
 */

/** `2022-10-12T09:33:41Z`: the real API's format, whole seconds, UTC. */
export function toWireTime (ms: number): string {
  const second = Math.floor(ms / 1000)
  let text = wireTimes.get(second)
  if (text === undefined) {
    // tasks share seconds and polls repeat them: formatting a Date per field per poll was a
    // visible part of a GET's cost, so the strings of recent seconds are kept
    if (wireTimes.size >= WIRE_TIMES) wireTimes.clear()
    text = new Date(second * 1000).toISOString().slice(0, 19) + 'Z'
    wireTimes.set(second, text)
  }
  return text
}

const WIRE_TIMES = 4096
const wireTimes = new Map<number, string>()

/** Control API times keep milliseconds: `2022-10-12T09:33:41.250Z`. */
export function toControlTime (ms: number): string {
  return new Date(ms).toISOString()
}

/** The one mapping of an engine task to the real API's task object (short form). */
export function toTaskWire (task: Task): TaskWire {
  const wire: TaskWire = { id: task.id, operation: task.operation, status: PHASES[task.phase].status }
  // a flush task never shows a GUID, as on real clusters
  if (task.crdbGuid !== null && task.operation !== 'flush_crdb') wire.crdb_guid = task.crdbGuid
  if (task.startedAt !== null) {
    wire.worker_name = WORKER_NAME
    wire.started = toWireTime(task.startedAt)
  }
  if (task.endedAt !== null) wire.ended = toWireTime(task.endedAt)
  if (task.errors.length > 0) wire.errors = task.errors as TaskWire['errors']
  return wire
}

/** The task with `progress` (what `verbose=true` adds). */
export function toTaskVerboseWire (task: Task): TaskWire {
  return {
    ...toTaskWire(task),
    progress: {
      worker: task.phase,
      clusters: task.clusters.map((name) => ({ name, progress: task.phase }))
    }
  }
}

/** The real API's CRDB object; credentials were never kept. */
export function toCrdbWire (crdb: Crdb): CrdbWire {
  return {
    guid: crdb.guid,
    name: crdb.name,
    default_db_config: crdb.default_db_config,
    instances: crdb.instances,
    encryption: crdb.encryption,
    status: crdb.status
  }
}

/** The control API's clock: mode, emulated now with milliseconds, scale. */
export function toClockWire (engine: Engine): ClockWire {
  return { mode: engine.clock.mode, now: toControlTime(engine.now()), scale: engine.clock.scale }
}

/** Every phase change of a task, with its emulated time, status and cause. */
export function toHistoryWire (task: Task): HistoryWire {
  return {
    id: task.id,
    history: task.history.map((h) => ({ at: toControlTime(h.at), phase: h.phase, status: PHASES[h.phase].status, cause: h.cause }))
  }
}
