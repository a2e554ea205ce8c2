import type { Clock } from './clock.js'
import { applyPatch, clusterNames, newCrdb, OPERATION_OF, type Crdb, type CrdbChange } from './crdbs.js'
import { EventQueue, type Scheduled } from './event-queue.js'
import { isEnded, PHASES, type HistoryCause, type Operation, type Phase, type WireStatus } from './phases.js'
import { createSeededRandom, systemRandom, type Random } from './random.js'
import { resumeTime } from './clock.js'
import { crdbToRecord, parseTime, recordToCrdb, recordToTask, StateError, taskToRecord, type EngineState } from './state.js'

/** Phase durations in emulated seconds; `null` holds the task in that phase until stepped. */
export interface Durations {
  queued: number | null
  running: number | null
  commit: number | null
}

/** One entry of a task's `errors`, as the real API shows it. */
export interface TaskError {
  cluster_name: string
  error_code: string
  description: string
}

export type Outcome = 'finished' | 'failed'
export type CancelPolicy = 'accept' | 'conflict'

/** What a new task should do. Every field is optional; defaults come from the engine's options. */
export interface TaskSpec {
  id?: string
  crdbGuid?: string
  operation?: Operation
  durations?: Partial<Durations>
  outcome?: Outcome
  /** The errors a task with outcome `failed` reports. */
  errors?: TaskError[]
  /** Seconds an ended task's result is kept. */
  resultTtl?: number
  cancel?: CancelPolicy
  /** Seconds between an accepted cancel of a running task and its effect. */
  cancelDelay?: number
  /** Cluster names shown in `progress.clusters`. */
  clusters?: string[]
}

/** What the control API may still change on an active task. */
export type TaskAmendment = Pick<TaskSpec, 'durations' | 'outcome' | 'errors' | 'resultTtl' | 'cancel' | 'cancelDelay' | 'clusters'>

export interface HistoryEntry {
  /** Emulated ms. */
  readonly at: number
  /** The phase the task is in after this entry. */
  readonly phase: Phase
  readonly cause: HistoryCause
}

/** A task as the engine keeps it. Times are emulated ms; read it, never write it. */
export interface Task extends Scheduled {
  readonly id: string
  readonly operation: Operation
  /** The CRDB's GUID as the task shows it (a create_crdb task shows one once it has started). */
  crdbGuid: string | null
  /** The GUID a create_crdb task takes when it starts, when chosen in advance. */
  readonly plannedGuid: string | null
  phase: Phase
  readonly createdAt: number
  /** When the current phase began. */
  phaseStartedAt: number
  /** When the current active phase ends by itself; null when held or ended. */
  phaseEndsAt: number | null
  startedAt: number | null
  endedAt: number | null
  /** When an ended task's result disappears. */
  expiresAt: number | null
  /** Seconds an ended task is kept. */
  resultTtl: number
  /** ms per active phase: queued, running, commit. */
  durations: readonly [number | null, number | null, number | null]
  outcome: Outcome
  failErrors: readonly TaskError[]
  errors: readonly TaskError[]
  cancelPolicy: CancelPolicy
  /** ms */
  cancelDelay: number
  clusters: readonly string[]
  /** The change this task makes to its CRDB when it completes (tasks from `/v1/crdbs`). */
  readonly change: CrdbChange | null
  /** An accepted cancel waiting for its `cancelDelay`. */
  pendingCancel: { at: number, force: boolean } | null
  /** Replaced, never grown in place: an exact-size array costs a copy of a few entries, a grown one a dozen empty slots. */
  history: readonly HistoryEntry[]
}

/** Reasons the engine refuses a request; each is also the API's `error_code`. */
export type Refusal =
  | 'task_not_found'
  | 'task_exists'
  | 'too_many_tasks'
  | 'task_cannot_be_canceled'
  | 'task_cancel_failed'
  | 'task_already_ended'
  | 'crdb_not_found'
  | 'crdb_not_acceptable'
  | 'unreachable'

export type Result<R extends Refusal> =
  | { ok: true, task: Task }
  | { ok: false, reason: R, detail: string }

export interface EngineOptions {
  clock: Clock
  /** Shown in `errors[].cluster_name` and as the default `progress.clusters` entry. */
  clusterName: string
  /** Default phase durations (seconds). */
  durations: Durations
  /** Default result TTL (seconds). */
  resultTtl: number
  /** Live tasks (active plus retained) at most; past it, creation is refused. */
  maxTasks: number
  /** Makes task ids and GUIDs reproducible (the same sequence after each reset). Default: random. */
  seed?: string
  /** Live tasks at most across several engines (namespaces), shared by them. Default: this engine's own. */
  budget?: TaskBudget
}

/** A cap on live tasks shared by the engines of one emulator (`--max-tasks` in total). */
export class TaskBudget {
  used = 0
  constructor (readonly limit: number) {}
}

/** What the engine reports as it goes: for logs, and so that a state file knows when to save. */
export type EngineEvent =
  | { kind: 'history', task: Task, entry: HistoryEntry }
  | { kind: 'expired', id: string }
  | { kind: 'changed', what: string }

/** Events one run-until may fire at the most, so that a mistake cannot spin forever. */
export const MAX_RUN_EVENTS = 10_000_000

const ACTIVE_INDEX = { queued: 0, running: 1, commit: 2 } as const
const NO_ERRORS: readonly TaskError[] = Object.freeze([])
const NO_HISTORY: readonly HistoryEntry[] = Object.freeze([])

const toMs = (seconds: number | null | undefined): number | null =>
  seconds === null || seconds === undefined ? null : Math.round(seconds * 1000)

/**
 * The task engine of one fake cluster: its tasks, their lifecycle, retention and cancels, driven
 * by one queue of due events and the cluster's clock. It knows nothing of HTTP.
 *
 * Every public method first settles: it applies, in time order, every event due by the clock's
 * now, each stamped with its own due time. So a task's `started` and `ended` are exact however
 * time got there (one jump or many small steps).
 */
export class Engine {
  readonly clock: Clock
  readonly clusterName: string
  private readonly options: EngineOptions
  private readonly tasks = new Map<string, Task>()
  private readonly crdbs = new Map<string, Crdb>()
  private readonly queue = new EventQueue<Task>()
  private random: Random
  private readonly budget: TaskBudget
  /** Counts every change of state; a saver compares it with the count it last saved. */
  changes = 0
  /** Told of every history entry, expiry and other change. */
  listener: ((event: EngineEvent) => void) | null = null
  /** Tasks not ended yet, and how many of them have an event scheduled (for runUntilIdle). */
  private activeCount = 0
  private scheduledActive = 0
  private readonly defaultClusters: readonly string[]
  private readonly defaultFailErrors: readonly TaskError[]
  private readonly defaultDurations: readonly [number | null, number | null, number | null]

  constructor (options: EngineOptions) {
    this.options = options
    this.clock = options.clock
    this.clusterName = options.clusterName
    this.random = options.seed === undefined ? systemRandom : createSeededRandom(options.seed)
    this.budget = options.budget ?? new TaskBudget(Number.MAX_SAFE_INTEGER)
    this.defaultClusters = Object.freeze([options.clusterName])
    this.defaultDurations = Object.freeze([toMs(options.durations.queued), toMs(options.durations.running), toMs(options.durations.commit)] as const)
    this.defaultFailErrors = Object.freeze([{
      cluster_name: options.clusterName,
      error_code: 'internal_error',
      description: 'The task failed (outcome set through the emulator\'s control API).'
    }])
  }

  /** Emulated now (ms). */
  now (): number {
    return this.clock.now()
  }

  /** Live tasks: active ones plus ended ones inside their retention. */
  get size (): number {
    this.settle()
    return this.tasks.size
  }

  /** When the next due event fires (ms), or null when nothing is scheduled. */
  nextEventAt (): number | null {
    this.settle()
    return this.queue.peek()?.dueAt ?? null
  }

  /** Applies every event due by now, in time order. O(1) when nothing is due. */
  settle (): void {
    const now = this.clock.now()
    for (;;) {
      const next = this.queue.peek()
      if (next === undefined || next.dueAt > now) return
      this.queue.pop()
      if (!isEnded(next.phase)) this.scheduledActive--
      this.fire(next, next.dueAt)
    }
  }

  /** Moves emulated time forward and fires what falls due, in order. */
  advance (seconds: number): void {
    this.settle()
    this.clock.advance(seconds * 1000)
    this.settle()
  }

  create (spec: TaskSpec = {}, change: CrdbChange | null = null): Result<'task_exists' | 'too_many_tasks'> {
    this.settle()
    if (spec.id !== undefined && this.tasks.has(spec.id)) {
      return { ok: false, reason: 'task_exists', detail: `A task with id "${spec.id}" already exists.` }
    }
    if (this.tasks.size >= this.options.maxTasks) {
      return {
        ok: false,
        reason: 'too_many_tasks',
        detail: `The emulator already keeps ${this.tasks.size} live tasks (--max-tasks). Wait for results to expire, or reset.`
      }
    }
    if (this.budget.used >= this.budget.limit) {
      return {
        ok: false,
        reason: 'too_many_tasks',
        detail: `The emulator already keeps ${this.budget.used} live tasks across its namespaces (--max-tasks). Wait for results to expire, or reset.`
      }
    }
    const now = this.clock.now()
    const d = this.options.durations
    const durations = spec.durations ?? {}
    const operation = spec.operation ?? 'create_crdb'
    const task: Task = {
      id: spec.id ?? this.freshId(),
      operation,
      // a create_crdb task gets its GUID when it starts, as on real clusters
      crdbGuid: operation === 'create_crdb' ? null : (spec.crdbGuid ?? (operation === 'flush_crdb' ? null : this.random.uuid())),
      plannedGuid: operation === 'create_crdb' ? (spec.crdbGuid ?? null) : null,
      phase: 'queued',
      createdAt: now,
      phaseStartedAt: now,
      phaseEndsAt: null,
      startedAt: null,
      endedAt: null,
      expiresAt: null,
      resultTtl: spec.resultTtl ?? this.options.resultTtl,
      // most tasks take the defaults: they share one array
      durations: spec.durations === undefined
        ? this.defaultDurations
        : [
            toMs(durations.queued !== undefined ? durations.queued : d.queued),
            toMs(durations.running !== undefined ? durations.running : d.running),
            toMs(durations.commit !== undefined ? durations.commit : d.commit)
          ],
      outcome: spec.outcome ?? 'finished',
      failErrors: spec.errors !== undefined && spec.errors.length > 0 ? spec.errors : this.defaultFailErrors,
      errors: NO_ERRORS,
      cancelPolicy: spec.cancel ?? 'accept',
      cancelDelay: toMs(spec.cancelDelay) ?? 0,
      clusters: spec.clusters !== undefined && spec.clusters.length > 0 ? spec.clusters : this.defaultClusters,
      pendingCancel: null,
      change,
      history: NO_HISTORY,
      dueAt: 0,
      dueSeq: 0,
      heapIndex: -1
    }
    this.tasks.set(task.id, task)
    this.budget.used++
    this.activeCount++
    this.enter(task, 'queued', now, 'created')
    return { ok: true, task }
  }

  /**
   * The task with this id, or undefined when unknown or expired. With `resultTtl` (seconds), the
   * result is kept that long: after now for an ended task, after its end for an active one.
   */
  get (id: string, resultTtl?: number): Task | undefined {
    this.settle()
    const task = this.tasks.get(id)
    if (task === undefined || resultTtl === undefined) return task
    task.resultTtl = resultTtl
    if (isEnded(task.phase)) {
      task.expiresAt = this.clock.now() + resultTtl * 1000
      this.queue.schedule(task, task.expiresAt)
    }
    this.notify({ kind: 'changed', what: `result TTL of task ${id}` })
    return task
  }

  /** Every live task, oldest first. */
  list (): IterableIterator<Task> {
    this.settle()
    return this.tasks.values()
  }

  /**
   * Cancels a task, as `POST /v1/crdb_tasks/{id}/actions/cancel` does: queued and running tasks
   * can be canceled (running ones after their `cancelDelay`); a task in commit only with
   * `force`, which leaves its CRDB as it is (the real docs warn it "can break the CRDB").
   */
  cancel (id: string, force: boolean): Result<'task_not_found' | 'task_cannot_be_canceled' | 'task_cancel_failed'> {
    this.settle()
    const task = this.tasks.get(id)
    if (task === undefined) return notFound(id)
    if (isEnded(task.phase)) {
      return { ok: false, reason: 'task_cannot_be_canceled', detail: `Task ${id} has already ended (${task.phase}) and cannot be canceled.` }
    }
    if (task.phase === 'commit' && !force) {
      return {
        ok: false,
        reason: 'task_cannot_be_canceled',
        detail: `Task ${id} has reached the commit phase and cannot be canceled. Cancel with force=true to cancel it anyway (the CRDB is not rolled back).`
      }
    }
    if (task.cancelPolicy === 'conflict') {
      return { ok: false, reason: 'task_cancel_failed', detail: `The cluster failed to cancel task ${id}; the task goes on.` }
    }
    const now = this.clock.now()
    if (task.phase === 'running' && task.cancelDelay > 0) {
      const pending = task.pendingCancel
      task.pendingCancel = pending === null
        ? { at: now + task.cancelDelay, force }
        : { at: pending.at, force: pending.force || force }
      this.log(task, { at: now, phase: task.phase, cause: 'cancel_requested' })
      this.reschedule(task)
    } else {
      this.cancelNow(task, now, force)
    }
    return { ok: true, task }
  }

  /** Moves an active task to its next phase now (the control API's step). */
  step (id: string): Result<'task_not_found' | 'task_already_ended'> {
    this.settle()
    const task = this.tasks.get(id)
    if (task === undefined) return notFound(id)
    if (isEnded(task.phase)) {
      return { ok: false, reason: 'task_already_ended', detail: `Task ${id} has already ended (${task.phase}); there is no next phase.` }
    }
    this.moveOn(task, this.clock.now(), 'step')
    return { ok: true, task }
  }

  /** Changes an active task's settings; a new duration of the current phase counts from its start. */
  amend (id: string, amendment: TaskAmendment): Result<'task_not_found' | 'task_already_ended'> {
    this.settle()
    const task = this.tasks.get(id)
    if (task === undefined) return notFound(id)
    if (isEnded(task.phase)) {
      return { ok: false, reason: 'task_already_ended', detail: `Task ${id} has already ended (${task.phase}); it can no longer be changed.` }
    }
    const d = amendment.durations
    if (d !== undefined) {
      task.durations = [
        d.queued !== undefined ? toMs(d.queued) : task.durations[0],
        d.running !== undefined ? toMs(d.running) : task.durations[1],
        d.commit !== undefined ? toMs(d.commit) : task.durations[2]
      ]
      const current = task.durations[ACTIVE_INDEX[task.phase as 'queued' | 'running' | 'commit']] ?? null
      // never back in time: a phase already longer than its new duration ends now
      task.phaseEndsAt = current === null ? null : Math.max(task.phaseStartedAt + current, this.clock.now())
      this.reschedule(task)
    }
    if (amendment.outcome !== undefined) task.outcome = amendment.outcome
    if (amendment.errors !== undefined) task.failErrors = amendment.errors.length > 0 ? amendment.errors : this.defaultFailErrors
    if (amendment.resultTtl !== undefined) task.resultTtl = amendment.resultTtl
    if (amendment.cancel !== undefined) task.cancelPolicy = amendment.cancel
    if (amendment.cancelDelay !== undefined) task.cancelDelay = toMs(amendment.cancelDelay) ?? 0
    if (amendment.clusters !== undefined && amendment.clusters.length > 0) task.clusters = amendment.clusters
    this.notify({ kind: 'changed', what: `settings of task ${id}` })
    // a phase whose new duration is already over ends now, with the rest of the amendment applied
    this.settle()
    return { ok: true, task }
  }

  /**
   * Starts the task of a `/v1/crdbs` request. The change applies only when the task completes;
   * a delete under way refuses every other change of that CRDB (`crdb_not_acceptable`).
   */
  requestCrdbChange (guid: string | null, change: CrdbChange, options: { id?: string, resultTtl?: number } = {}):
  Result<'task_exists' | 'too_many_tasks' | 'crdb_not_found' | 'crdb_not_acceptable'> {
    this.settle()
    const spec: TaskSpec = { operation: OPERATION_OF[change.kind] }
    if (options.id !== undefined) spec.id = options.id
    if (options.resultTtl !== undefined) spec.resultTtl = options.resultTtl
    if (change.kind === 'create') {
      spec.clusters = clusterNames(change.draft.instances)
    } else {
      const crdb = guid === null ? undefined : this.crdbs.get(guid)
      if (crdb === undefined) return { ok: false, reason: 'crdb_not_found', detail: `No CRDB with GUID "${guid ?? ''}".` }
      if (crdb.deletingTaskId !== null) {
        return { ok: false, reason: 'crdb_not_acceptable', detail: `CRDB ${crdb.guid} is being deleted (task ${crdb.deletingTaskId}); it accepts no other change.` }
      }
      spec.crdbGuid = crdb.guid
      spec.clusters = clusterNames(crdb.instances)
    }
    const result = this.create(spec, change)
    if (result.ok && change.kind === 'delete' && guid !== null) (this.crdbs.get(guid) as Crdb).deletingTaskId = result.task.id
    return result
  }

  /** Every CRDB, oldest first. */
  listCrdbs (): IterableIterator<Crdb> {
    this.settle()
    return this.crdbs.values()
  }

  getCrdb (guid: string): Crdb | undefined {
    this.settle()
    return this.crdbs.get(guid)
  }

  /**
   * Moves time from event to event until the task shows `status`. Refuses (`unreachable`) when
   * it never can: unknown or expired, ended otherwise, past that status, or held in a phase.
   */
  runUntil (id: string, status: WireStatus): Result<'task_not_found' | 'unreachable'> {
    this.settle()
    for (let fired = 0; fired < MAX_RUN_EVENTS; fired++) {
      const task = this.tasks.get(id)
      if (task === undefined) return notFound(id)
      const shown = PHASES[task.phase].status
      if (shown === status) return { ok: true, task }
      if (isEnded(task.phase) || (status === 'queued') || (status === 'started' && shown !== 'queued')) {
        return { ok: false, reason: 'unreachable', detail: `Task ${id} is ${shown} (${task.phase}) and can never be ${status}.` }
      }
      if (task.heapIndex < 0) {
        return { ok: false, reason: 'unreachable', detail: `Task ${id} is held in ${task.phase} (its duration is null) and will not be ${status} until stepped.` }
      }
      this.jumpToNextEvent()
    }
    return { ok: false, reason: 'unreachable', detail: `Task ${id} was not ${status} after ${MAX_RUN_EVENTS} events.` }
  }

  /** Moves time from event to event until no task is active. */
  runUntilIdle (): { ok: true } | { ok: false, reason: 'unreachable', detail: string } {
    this.settle()
    for (let fired = 0; fired < MAX_RUN_EVENTS && this.activeCount > 0; fired++) {
      if (this.scheduledActive === 0) {
        const held = [...this.tasks.values()].filter((t) => !isEnded(t.phase)).slice(0, 5).map((t) => `${t.id} (${t.phase})`)
        return { ok: false, reason: 'unreachable', detail: `Tasks are held in their phase until stepped: ${held.join(', ')}.` }
      }
      this.jumpToNextEvent()
    }
    return this.activeCount === 0 ? { ok: true } : { ok: false, reason: 'unreachable', detail: `Tasks were still active after ${MAX_RUN_EVENTS} events.` }
  }

  /** Moves the clock to the next due event and fires what is due then. */
  private jumpToNextEvent (): void {
    const next = this.queue.peek()
    if (next === undefined) return
    const gap = next.dueAt - this.clock.now()
    if (gap > 0) this.clock.advance(gap)
    this.settle()
  }

  /** Forgets every task and CRDB, and restarts a seeded id sequence. The clock is left as it is. */
  reset (): void {
    this.budget.used -= this.tasks.size
    this.tasks.clear()
    this.crdbs.clear()
    this.queue.clear()
    this.activeCount = 0
    this.scheduledActive = 0
    if (this.options.seed !== undefined) this.random = createSeededRandom(this.options.seed)
    this.notify({ kind: 'changed', what: 'reset' })
  }

  /** Everything this engine holds, at millisecond precision, for a state file or an export. */
  exportState (): EngineState {
    this.settle()
    const now = this.clock.now()
    return {
      clock: { mode: this.clock.mode, now: new Date(now).toISOString(), offset_ms: this.clock.offsetFromSystem(), scale: this.clock.scale },
      tasks: Array.from(this.tasks.values(), taskToRecord),
      crdbs: Array.from(this.crdbs.values(), crdbToRecord)
    }
  }

  /**
   * Replaces every task and CRDB (and the time, when the state has a clock) with a saved or
   * hand-written state, then fires, in order, what fell due meanwhile. Throws `StateError`
   * naming the field, before changing anything, when the state cannot be loaded.
   */
  importState (state: EngineState): void {
    const clock = state.clock
    const savedNow = clock?.now === undefined ? undefined : parseTime(clock.now, 'clock.now')
    const resumed = resumeTime({
      ...(clock?.mode === undefined ? {} : { mode: clock.mode }),
      ...(savedNow === undefined ? {} : { now: savedNow }),
      ...(clock?.offset_ms === undefined ? {} : { offsetMs: clock.offset_ms })
    }, () => this.clock.system())
    const now = resumed ?? this.clock.now()
    // ids the state leaves out come from a stream of their own, so a refused import moves nothing
    const importIds = this.options.seed === undefined ? systemRandom : createSeededRandom(`${this.options.seed}/import/${this.changes}`)
    const context = {
      now,
      durations: this.options.durations,
      resultTtl: this.options.resultTtl,
      clusterName: this.clusterName,
      defaultClusters: this.defaultClusters,
      defaultFailErrors: this.defaultFailErrors,
      newId: () => importIds.uuid()
    }
    const tasks = new Map<string, Task>()
    for (const [i, record] of (state.tasks ?? []).entries()) {
      const task = recordToTask(record, context, `tasks[${i}]`)
      if (tasks.has(task.id)) throw new StateError(`tasks[${i}].id "${task.id}" is listed twice.`)
      tasks.set(task.id, task)
    }
    if (tasks.size > this.options.maxTasks) throw new StateError(`The state holds ${tasks.size} tasks, more than --max-tasks (${this.options.maxTasks}).`)
    if (this.budget.used - this.tasks.size + tasks.size > this.budget.limit) {
      throw new StateError(`The state's ${tasks.size} tasks, with the other namespaces' ${this.budget.used - this.tasks.size}, are more than --max-tasks (${this.budget.limit}).`)
    }
    const crdbs = new Map<string, Crdb>()
    for (const [i, record] of (state.crdbs ?? []).entries()) {
      if (crdbs.has(record.guid)) throw new StateError(`crdbs[${i}].guid "${record.guid}" is listed twice.`)
      crdbs.set(record.guid, recordToCrdb(record))
    }

    // nothing above changed the engine; from here on it cannot fail
    if (resumed !== undefined) this.clock.set(resumed)
    this.budget.used += tasks.size - this.tasks.size
    this.tasks.clear()
    this.crdbs.clear()
    this.queue.clear()
    this.activeCount = 0
    this.scheduledActive = 0
    for (const [guid, crdb] of crdbs) this.crdbs.set(guid, crdb)
    for (const task of tasks.values()) {
      this.tasks.set(task.id, task)
      if (isEnded(task.phase)) {
        this.queue.schedule(task, task.expiresAt as number)
      } else {
        this.activeCount++
        this.reschedule(task)
      }
    }
    this.notify({ kind: 'changed', what: 'state loaded' })
    this.settle()
  }

  /** A new task id that no live task has (a seeded sequence may repeat one after an import). */
  private freshId (): string {
    for (;;) {
      const id = this.random.uuid()
      if (!this.tasks.has(id)) return id
    }
  }

  private log (task: Task, entry: HistoryEntry): void {
    task.history = [...task.history, entry]
    this.notify({ kind: 'history', task, entry })
  }

  private notify (event: EngineEvent): void {
    this.changes++
    this.listener?.(event)
  }

  private fire (task: Task, at: number): void {
    if (isEnded(task.phase)) {
      this.tasks.delete(task.id) // retention ran out: the task and its history are freed
      this.budget.used--
      this.notify({ kind: 'expired', id: task.id })
      return
    }
    const pending = task.pendingCancel
    if (pending !== null && (task.phaseEndsAt === null || pending.at < task.phaseEndsAt)) {
      this.cancelNow(task, at, pending.force)
    } else {
      this.moveOn(task, at, 'duration_elapsed')
    }
  }

  private moveOn (task: Task, at: number, cause: HistoryCause): void {
    switch (task.phase) {
      case 'queued':
        task.startedAt = at
        if (task.operation === 'create_crdb') task.crdbGuid = task.plannedGuid ?? this.random.uuid()
        this.enter(task, 'running', at, cause)
        return
      case 'running':
        if (task.outcome === 'failed') {
          this.finish(task, 'failed', at, cause, task.failErrors)
          return
        }
        this.enter(task, 'commit', at, cause)
        // the documented race: "tasks may complete before they can be cancelled"; a pending
        // cancel, forced or not, is dropped once the task commits
        if (task.pendingCancel !== null) {
          task.pendingCancel = null
          this.log(task, { at, phase: 'commit', cause: 'cancel_dropped' })
          this.reschedule(task)
        }
        return
      case 'commit':
        this.finish(task, 'completed', at, cause, [])
    }
  }

  private cancelNow (task: Task, at: number, force: boolean): void {
    const inCommit = task.phase === 'commit'
    // a force-cancel during commit is not rolled back: the CRDB is left inconsistent
    if (inCommit && task.crdbGuid !== null) {
      const crdb = this.crdbs.get(task.crdbGuid)
      if (task.change?.kind === 'create') this.crdbs.set(task.crdbGuid, newCrdb(task.crdbGuid, task.change.draft, 'inconsistent'))
      else if (crdb !== undefined) crdb.status = 'inconsistent'
    }
    const description = inCommit
      ? 'The task was canceled with force during commit; the CRDB was not rolled back and may be inconsistent.'
      : 'The task was canceled.'
    this.finish(task, 'canceled', at, force ? 'force_cancel' : 'cancel', [
      { cluster_name: this.clusterName, error_code: 'task_canceled', description }
    ])
  }

  private enter (task: Task, phase: 'queued' | 'running' | 'commit', at: number, cause: HistoryCause): void {
    task.phase = phase
    task.phaseStartedAt = at
    const duration = task.durations[ACTIVE_INDEX[phase]] ?? null
    task.phaseEndsAt = duration === null ? null : at + duration
    this.log(task, { at, phase, cause })
    this.reschedule(task)
  }

  private finish (task: Task, phase: 'completed' | 'failed' | 'canceled', at: number, cause: HistoryCause, errors: readonly TaskError[]): void {
    this.activeCount--
    if (task.heapIndex >= 0) this.scheduledActive--
    task.phase = phase
    task.phaseStartedAt = at
    task.phaseEndsAt = null
    task.pendingCancel = null
    task.endedAt = at
    task.errors = errors
    task.expiresAt = at + task.resultTtl * 1000
    this.log(task, { at, phase, cause })
    this.queue.schedule(task, task.expiresAt)
    this.settleChange(task)
  }

  /** Applies a completed task's change to its CRDB; any ended delete lifts the delete lock. */
  private settleChange (task: Task): void {
    const change = task.change
    const guid = task.crdbGuid
    if (change === null || guid === null) return
    const crdb = this.crdbs.get(guid)
    if (crdb !== undefined && crdb.deletingTaskId === task.id) crdb.deletingTaskId = null
    if (task.phase !== 'completed') return
    switch (change.kind) {
      case 'create':
        this.crdbs.set(guid, newCrdb(guid, change.draft, 'active'))
        return
      case 'update':
        if (crdb === undefined) return
        applyPatch(crdb, change.patch)
        crdb.status = 'active'
        return
      case 'delete':
        this.crdbs.delete(guid)
    }
  }

  /** Schedules an active task's next event: its phase end or its pending cancel, whichever is first. */
  private reschedule (task: Task): void {
    const ends = task.phaseEndsAt
    const cancelAt = task.pendingCancel?.at ?? null
    const due = ends === null ? cancelAt : (cancelAt === null ? ends : Math.min(ends, cancelAt))
    const wasScheduled = task.heapIndex >= 0
    if (due === null) this.queue.remove(task)
    else this.queue.schedule(task, due)
    this.scheduledActive += (task.heapIndex >= 0 ? 1 : 0) - (wasScheduled ? 1 : 0)
  }
}

function notFound (id: string): { ok: false, reason: 'task_not_found', detail: string } {
  return { ok: false, reason: 'task_not_found', detail: `No task with id "${id}" (unknown, or its result has expired).` }
}

export function createEngine (options: EngineOptions): Engine {
  return new Engine(options)
}
