import type { CrdbStore } from './crdb-store.js'
import { ACTIVE_INDEX, CANCELED_PHASE, isEnded, PHASES, type ActivePhase, type EndPhase, type HistoryCause } from './phases.js'
import type { Refusal } from './refusals.js'
import { NO_ERRORS, type HistoryEntry, type Task, type TaskError } from './task.js'
import type { Timeline } from './timeline.js'

/** What the transitions need from the engine around them. */
export interface LifecycleHost {
  readonly timeline: Timeline
  readonly crdbs: CrdbStore
  readonly clusterName: string
  /** The GUID a create_crdb task takes when it starts without a planned one. */
  newGuid: () => string
  /** Errors that make a task fail as it leaves the phase in which it can fail (see `EngineOptions.judge`). */
  judge: (task: Task) => readonly TaskError[] | undefined
  /** Appends an entry to the task's history and tells the listeners. */
  log: (task: Task, entry: HistoryEntry) => void
  /** An ended task's retention ran out: forget it. */
  expire: (task: Task) => void
}

/**
 * Every phase change of a task, as the phase table says: where a phase leads (`next`, or
 * `onFailure` for a task set to fail), and how a cancel is taken in it (`cancel`). Each change
 * is stamped with the time it is due, not the time it is noticed.
 */
export class Lifecycle {
  constructor (private readonly host: LifecycleHost) {}

  /** Begins a new task's first phase. */
  begin (task: Task, at: number): void {
    this.host.timeline.add(task)
    this.enter(task, task.phase as ActivePhase, at, 'created')
  }

  /** The task's event is due at `at`: its expiry, its pending cancel, or its phase's end. */
  fire (task: Task, at: number): void {
    if (isEnded(task.phase)) {
      this.host.expire(task)
      return
    }
    const pending = task.pendingCancel
    if (pending !== null && (task.phaseEndsAt === null || pending.at < task.phaseEndsAt)) {
      this.cancelNow(task, at, pending.force)
    } else {
      this.moveOn(task, at, 'duration_elapsed')
    }
  }

  /** Moves an active task to the phase its row leads to. */
  moveOn (task: Task, at: number, cause: HistoryCause): void {
    const row = PHASES[task.phase]
    if (row.onFailure !== null && task.outcome !== 'failed') {
      const errors = this.host.judge(task)
      if (errors !== undefined && errors.length > 0) {
        this.finish(task, row.onFailure, at, cause, errors)
        return
      }
    }
    const next = task.outcome === 'failed' && row.onFailure !== null ? row.onFailure : row.next
    if (next === null) return
    if (isEnded(next)) this.finish(task, next, at, cause, next === 'failed' ? task.failErrors : NO_ERRORS)
    else this.enter(task, next, at, cause)
  }

  /**
   * A cancel, as the task's phase takes it: refused, pending until the task's `cancelDelay` has
   * passed, or done now. Returns the refusal, or null when the cancel was accepted.
   */
  cancel (task: Task, at: number, force: boolean): Refusal<'task_cannot_be_canceled' | 'task_cancel_failed'> | null {
    const rule = PHASES[task.phase].cancel
    if (rule === 'never') {
      return { ok: false, reason: 'task_cannot_be_canceled', detail: `Task ${task.id} has already ended (${task.phase}) and cannot be canceled.` }
    }
    if (rule === 'force_only' && !force) {
      return {
        ok: false,
        reason: 'task_cannot_be_canceled',
        detail: `Task ${task.id} has reached the ${task.phase} phase and cannot be canceled. Cancel with force=true to cancel it anyway (the CRDB is not rolled back).`
      }
    }
    if (task.cancelPolicy === 'conflict') {
      return { ok: false, reason: 'task_cancel_failed', detail: `The cluster failed to cancel task ${task.id}; the task goes on.` }
    }
    if (rule === 'after_delay' && task.cancelDelay > 0) {
      const pending = task.pendingCancel
      task.pendingCancel = pending === null ? { at: at + task.cancelDelay, force } : { at: pending.at, force: pending.force || force }
      this.host.log(task, { at, phase: task.phase, cause: 'cancel_requested' })
      this.host.timeline.plan(task)
    } else {
      this.cancelNow(task, at, force)
    }
    return null
  }

  private cancelNow (task: Task, at: number, force: boolean): void {
    const forcedThrough = PHASES[task.phase].cancel === 'force_only'
    if (forcedThrough) this.host.crdbs.brokenByForceCancel(task)
    const description = forcedThrough
      ? `The task was canceled with force during ${task.phase}; the CRDB was not rolled back and may be inconsistent.`
      : 'The task was canceled.'
    this.finish(task, CANCELED_PHASE, at, force ? 'force_cancel' : 'cancel', [
      { cluster_name: task.owner, error_code: 'task_canceled', description }
    ])
  }

  private enter (task: Task, phase: ActivePhase, at: number, cause: HistoryCause): void {
    // a task starts when it first shows `started`; a create_crdb task gets its GUID then, as
    // on real clusters
    if (task.startedAt === null && PHASES[phase].status === 'started') {
      task.startedAt = at
      if (task.operation === 'create_crdb') task.crdbGuid = task.plannedGuid ?? this.host.newGuid()
    }
    task.phase = phase
    task.phaseStartedAt = at
    const duration = task.durations[ACTIVE_INDEX[phase]] ?? null
    task.phaseEndsAt = duration === null ? null : at + duration
    this.host.log(task, { at, phase, cause })
    this.host.timeline.plan(task)
    this.host.crdbs.taskEntered(task, phase)
    // a pending cancel, forced or not, is dropped once the task is in a phase that takes
    // cancels otherwise (the documented race: "tasks may complete before they can be cancelled")
    if (task.pendingCancel !== null && PHASES[phase].cancel !== 'after_delay') {
      task.pendingCancel = null
      this.host.log(task, { at, phase, cause: 'cancel_dropped' })
      this.host.timeline.plan(task)
    }
  }

  private finish (task: Task, phase: EndPhase, at: number, cause: HistoryCause, errors: readonly TaskError[]): void {
    task.phase = phase
    task.phaseStartedAt = at
    task.phaseEndsAt = null
    task.pendingCancel = null
    task.endedAt = at
    task.errors = errors
    task.expiresAt = at + task.resultTtl * 1000
    this.host.log(task, { at, phase, cause })
    this.host.timeline.ended(task)
    this.host.crdbs.taskEnded(task)
  }
}
