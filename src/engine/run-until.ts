import type { Clock } from './clock.js'
import { MAX_RUN_EVENTS } from './limits.js'
import { isEnded, PHASES, type RunTarget } from './phases.js'
import { taskNotFound, type Refusal, type Result } from './refusals.js'
import type { Task } from './task.js'
import type { Timeline } from './timeline.js'

/** What running time from event to event needs of an engine. */
export interface RunHost {
  readonly clock: Clock
  readonly tasks: ReadonlyMap<string, Task>
  readonly timeline: Timeline
  settle: () => void
}

/**
 * Moves time from event to event until the task shows `status` (`ended`: until it has ended,
 * finished or failed). Refuses (`unreachable`) when it never can: unknown or expired, ended
 * otherwise, past that status, or held in a phase.
 */
export function runUntil (host: RunHost, key: string, id: string, status: RunTarget): Result<'task_not_found' | 'unreachable'> {
  host.settle()
  for (let fired = 0; fired < MAX_RUN_EVENTS; fired++) {
    const task = host.tasks.get(key)
    if (task === undefined) return taskNotFound(id)
    const shown = PHASES[task.phase].status
    if (shown === status || (status === 'ended' && isEnded(task.phase))) return { ok: true, task }
    if (isEnded(task.phase) || (status === 'queued') || (status === 'started' && shown !== 'queued')) {
      return { ok: false, reason: 'unreachable', detail: `Task ${id} is ${shown} (${task.phase}) and can never be ${status}.` }
    }
    if (task.heapIndex < 0) {
      return { ok: false, reason: 'unreachable', detail: `Task ${id} is held in ${task.phase} (its duration is null) and will not be ${status} until stepped.` }
    }
    jumpToNextEvent(host)
  }
  return { ok: false, reason: 'unreachable', detail: `Task ${id} was not ${status} after ${MAX_RUN_EVENTS} events.` }
}

/** Moves time from event to event until no task is active. */
export function runUntilIdle (host: RunHost): { ok: true } | Refusal<'unreachable'> {
  host.settle()
  for (let fired = 0; fired < MAX_RUN_EVENTS && host.timeline.active > 0; fired++) {
    if (host.timeline.scheduledActive === 0) {
      const held = [...host.tasks.values()].filter((t) => !isEnded(t.phase)).slice(0, 5).map((t) => `${t.id} (${t.phase})`)
      return { ok: false, reason: 'unreachable', detail: `Tasks are held in their phase until stepped: ${held.join(', ')}.` }
    }
    jumpToNextEvent(host)
  }
  return host.timeline.active === 0 ? { ok: true } : { ok: false, reason: 'unreachable', detail: `Tasks were still active after ${MAX_RUN_EVENTS} events.` }
}

/** Moves the clock to the next due event and fires what is due then. */
function jumpToNextEvent (host: RunHost): void {
  const next = host.timeline.nextAt()
  if (next === null) return
  const gap = next - host.clock.now()
  if (gap > 0) host.clock.advance(gap)
  host.settle()
}
