import { TaskBudget } from './budget.js'
import type { CrdbRefusal, EngineEvent, EngineListener, EngineOptions } from './engine-types.js'
import type { Clock } from './clock.js'
import { CrdbStore, creatorOf } from './crdb-store.js'
import type { Crdb, CrdbChange } from './crdbs.js'
import { Lifecycle } from './lifecycle.js'
import { DEFAULT_MAX_CRDBS, MAX_EMULATED_TIME } from './limits.js'
import { isEnded, type RunTarget } from './phases.js'
import { createSeededRandom, systemRandom, type Random } from './random.js'
import type { EngineState } from './records-schema.js'
import { taskNotFound, type Refusal, type Result } from './refusals.js'
import { forgetSavedText, loadState, prepareSaveTexts, saveTextsOf, snapshotOf, type SaveTexts } from './snapshot.js'
import { amendTask, makeTaskDefaults, newTask, taskKey, type Task, type TaskAmendment, type TaskDefaults, type TaskSpec } from './task.js'
import { runUntil, runUntilIdle, type RunHost } from './run-until.js'
import { Timeline } from './timeline.js'

export { TaskBudget } from './budget.js'
export { MAX_RUN_EVENTS } from './limits.js'
export type { RefusalReason as Refusal, Result } from './refusals.js'
export type { CancelPolicy, Durations, HistoryEntry, Outcome, Task, TaskAmendment, TaskError, TaskSpec } from './task.js'

export type { CrdbRefusal, EngineEvent, EngineListener, EngineOptions } from './engine-types.js'
/**
 * The task engine of one fake cluster: its tasks, their lifecycle, retention and cancels, and its
 * CRDBs, driven by one timeline of due events and the cluster's clock. It knows nothing of HTTP.
 *
 * Every public method first settles: it applies, in time order, every event due by the clock's
 * now, each stamped with its own due time. So a task's `started` and `ended` are exact however
 * time got there (one jump or many small steps). Reads change nothing.
 */
export class Engine {
  readonly clock: Clock
  readonly clusterName: string
  /** Counts every change of state; a saver compares it with the count it last saved. */
  changes = 0
  private readonly options: EngineOptions
  private readonly tasks = new Map<string, Task>()
  private readonly crdbs = new CrdbStore()
  private readonly timeline = new Timeline()
  private readonly lifecycle: Lifecycle
  private budget: TaskBudget
  private readonly defaults: TaskDefaults
  private readonly listeners = new Set<EngineListener>()
  private readonly runHost: RunHost
  private random: Random

  constructor (options: EngineOptions) {
    this.options = options
    this.clock = options.clock
    this.clusterName = options.clusterName
    this.random = options.seed === undefined ? systemRandom : createSeededRandom(options.seed)
    this.budget = options.budget ?? new TaskBudget(Number.MAX_SAFE_INTEGER)
    this.defaults = makeTaskDefaults(options)
    this.runHost = { clock: this.clock, tasks: this.tasks, timeline: this.timeline, settle: () => { this.settle() } }
    this.lifecycle = new Lifecycle({
      timeline: this.timeline,
      crdbs: this.crdbs,
      clusterName: options.clusterName,
      newGuid: () => this.random.uuid(),
      judge: (task) => options.judge?.(task, task.crdbGuid === null ? undefined : this.crdbs.get(task.crdbGuid)),
      log: (task, entry) => {
        task.history = [...task.history, entry]
        forgetSavedText(task)
        this.notify({ kind: 'history', task, entry })
      },
      expire: (task) => {
        this.tasks.delete(taskKey(task.owner, task.id)) // retention ran out: the task and its history are freed
        this.budget.used--
        this.notify({ kind: 'expired', id: task.id })
      }
    })
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
    return this.timeline.nextAt()
  }

  /** Tells `listener` of every history entry, expiry and other change; returns how to stop. */
  subscribe (listener: EngineListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Applies every event due by now, in time order. O(1) when nothing is due. */
  settle (): void {
    const now = this.clock.now()
    for (let task = this.timeline.takeDue(now); task !== undefined; task = this.timeline.takeDue(now)) {
      this.lifecycle.fire(task, task.dueAt)
    }
  }

  /**
   * Moves emulated time forward and fires what falls due, in order; refuses a move past the
   * latest emulated time (`MAX_EMULATED_TIME`), moving nothing.
   */
  advance (seconds: number): { ok: true } | Refusal<'time_out_of_range'> {
    this.settle()
    if (this.clock.now() + seconds * 1000 > MAX_EMULATED_TIME) {
      return { ok: false, reason: 'time_out_of_range', detail: `Advancing ${seconds} s would move the clock past ${new Date(MAX_EMULATED_TIME).toISOString()}, the latest time the emulator keeps.` }
    }
    this.clock.advance(seconds * 1000)
    // a move that fires nothing is a change of state too: a saved clock must not go back
    this.notify({ kind: 'changed', what: 'clock advanced' })
    this.settle()
    return { ok: true }
  }

  create (spec: TaskSpec = {}, change: CrdbChange | null = null): Result<'task_exists' | 'too_many_tasks'> {
    this.settle()
    const owner = spec.owner ?? this.clusterName
    if (spec.id !== undefined && this.tasks.has(taskKey(owner, spec.id))) {
      return { ok: false, reason: 'task_exists', detail: `A task with id "${spec.id}" already exists.` }
    }
    if (this.tasks.size >= this.options.maxTasks) {
      return { ok: false, reason: 'too_many_tasks', detail: `The emulator already keeps ${this.tasks.size} live tasks (--max-tasks). Wait for results to expire, or reset.` }
    }
    if (this.budget.left <= 0) {
      return { ok: false, reason: 'too_many_tasks', detail: `The emulator already keeps ${this.budget.used} live tasks across its namespaces (--max-tasks). Wait for results to expire, or reset.` }
    }
    const operation = spec.operation ?? 'create_crdb'
    const id = spec.id ?? this.freshId(owner)
    // a create_crdb task shows its GUID once it starts; a flush_crdb task never shows one
    const guid = operation === 'create_crdb' ? null : (spec.crdbGuid ?? (operation === 'flush_crdb' ? null : this.random.uuid()))
    const task = newTask(spec, id, guid, this.clock.now(), change, this.defaults)
    this.tasks.set(taskKey(owner, task.id), task)
    this.budget.used++
    this.lifecycle.begin(task, task.createdAt)
    return { ok: true, task }
  }

  /** The task with this id (of `owner`, default this engine's cluster), or undefined when unknown or expired. Changes nothing. */
  get (id: string, owner = this.clusterName): Task | undefined {
    this.settle()
    return this.tasks.get(taskKey(owner, id))
  }

  /**
   * Keeps a task's result `seconds` from now if it has ended, or that long after it ends (what
   * `X-Result-TTL` on a GET does).
   */
  retain (id: string, seconds: number, owner = this.clusterName): Result<'task_not_found'> {
    this.settle()
    const task = this.tasks.get(taskKey(owner, id))
    if (task === undefined) return taskNotFound(id)
    task.resultTtl = seconds
    forgetSavedText(task)
    if (isEnded(task.phase)) {
      task.expiresAt = this.clock.now() + seconds * 1000
      this.timeline.expireAt(task)
    }
    this.notify({ kind: 'changed', what: `result TTL of task ${id}` })
    return { ok: true, task }
  }

  /** Every live task, oldest first; with `owner`, only that cluster's. */
  list (owner?: string): Iterable<Task> {
    this.settle()
    if (owner === undefined) return this.tasks.values()
    return Array.from(this.tasks.values()).filter((t) => t.owner === owner)
  }

  /**
   * Cancels a task, as `POST /v1/crdb_tasks/{id}/actions/cancel` does, the way the phase table
   * says its phase takes a cancel.
   */
  cancel (id: string, force: boolean, owner = this.clusterName): Result<'task_not_found' | 'task_cannot_be_canceled' | 'task_cancel_failed'> {
    this.settle()
    const task = this.tasks.get(taskKey(owner, id))
    if (task === undefined) return taskNotFound(id)
    const refused = this.lifecycle.cancel(task, this.clock.now(), force)
    return refused ?? { ok: true, task }
  }

  /** Moves an active task to its next phase now (the control API's step). */
  step (id: string, owner = this.clusterName): Result<'task_not_found' | 'task_already_ended'> {
    const task = this.activeTask(id, owner, 'there is no next phase')
    if (!('id' in task)) return task
    this.lifecycle.moveOn(task, this.clock.now(), 'step')
    return { ok: true, task }
  }

  /** Changes an active task's settings; a new duration of the current phase counts from its start. */
  amend (id: string, amendment: TaskAmendment, owner = this.clusterName): Result<'task_not_found' | 'task_already_ended'> {
    const task = this.activeTask(id, owner, 'it can no longer be changed')
    if (!('id' in task)) return task
    if (amendTask(task, amendment, this.clock.now(), this.defaults)) this.timeline.plan(task)
    forgetSavedText(task)
    this.notify({ kind: 'changed', what: `settings of task ${id}` })
    // a phase whose new duration is already over ends now, with the rest of the amendment applied
    this.settle()
    return { ok: true, task }
  }

  /**
   * Starts the task of a `/v1/crdbs` request, after checking the change against the CRDB as it
   * is; the change applies only when the task completes, and the CRDB takes no other change
   * until then.
   */
  requestCrdbChange (guid: string | null, change: CrdbChange, options: { id?: string, resultTtl?: number, owner?: string } = {}):
  Result<'task_exists' | 'too_many_tasks' | 'too_many_crdbs' | CrdbRefusal> {
    this.settle()
    const plan = this.crdbs.plan(guid, change, this.options.maxCrdbs ?? DEFAULT_MAX_CRDBS, this.plannedBy)
    if (!plan.ok) return plan
    const result = this.create({ ...plan.spec, ...options }, change)
    if (result.ok && guid !== null) this.crdbs.lock(guid, result.task.id)
    return result
  }

  /** Checks a change as `requestCrdbChange` would, and starts nothing (`dry_run`). */
  checkCrdbChange (guid: string | null, change: CrdbChange): { ok: true } | Refusal<CrdbRefusal | 'too_many_crdbs'> {
    this.settle()
    const plan = this.crdbs.plan(guid, change, this.options.maxCrdbs ?? DEFAULT_MAX_CRDBS, this.plannedBy)
    return plan.ok ? { ok: true } : plan
  }

  /** Every CRDB, oldest first. */
  listCrdbs (): IterableIterator<Crdb> {
    this.settle()
    return this.crdbs.list()
  }

  getCrdb (guid: string): Crdb | undefined {
    this.settle()
    return this.crdbs.get(guid)
  }

  /** Moves time from event to event until the task shows `status` (see `runUntil`). */
  runUntil (id: string, status: RunTarget, owner = this.clusterName): Result<'task_not_found' | 'unreachable'> {
    return runUntil(this.runHost, taskKey(owner, id), id, status)
  }

  /** Moves time from event to event until no task is active. */
  runUntilIdle (): { ok: true } | Refusal<'unreachable'> {
    return runUntilIdle(this.runHost)
  }

  /** Forgets every task and CRDB, and restarts a seeded id sequence. The clock is left as it is. */
  reset (): void {
    this.budget.used -= this.tasks.size
    this.tasks.clear()
    this.crdbs.replace()
    this.timeline.clear()
    if (this.options.seed !== undefined) this.random = createSeededRandom(this.options.seed)
    this.notify({ kind: 'changed', what: 'reset' })
  }

  /**
   * `reset` for good, as the engine's namespace is removed: a request still under way that makes
   * a task here afterwards takes it from a budget of this engine's own, not the shared one.
   */
  retire (): void {
    this.reset()
    this.budget = new TaskBudget(this.options.maxTasks)
  }

  /** Puts a manual clock back at the time it started (after `reset`: nothing is left to fire). */
  rewindClock (): void {
    this.clock.rewind()
    this.notify({ kind: 'changed', what: 'clock rewound' })
  }

  /** Everything this engine holds, at millisecond precision, for a state file or an export. */
  exportState (): EngineState {
    this.settle()
    return snapshotOf(this.clock, this.tasks.values(), this.crdbs.list())
  }

  /** What `exportState` holds, as texts for a state file, taken now (see `saveTextsOf`). */
  exportForSave (): SaveTexts {
    this.settle()
    return saveTextsOf(this.clock, this.tasks.values(), this.crdbs.list())
  }

  /** Readies `exportForSave` a part at a time (see `prepareSaveTexts`). */
  prepareSave (batch = 1000): Generator<void> {
    return prepareSaveTexts(this.tasks.values(), batch)
  }

  /**
   * Replaces every task and CRDB (and the time, when the state has a clock) with a saved or
   * hand-written state, then fires, in order, what fell due meanwhile. Throws `StateError`
   * naming the field, before changing anything, when the state cannot be loaded.
   */
  importState (state: EngineState): void {
    const others = this.budget.used - this.tasks.size
    const loaded = loadState(state, {
      clock: this.clock,
      defaults: this.defaults,
      // ids the state leaves out come from a stream of their own, so a refused import moves nothing
      ids: this.options.seed === undefined ? systemRandom : createSeededRandom(`${this.options.seed}/import/${this.changes}`),
      maxTasks: this.options.maxTasks,
      budgetLeft: this.budget.limit - others,
      budgetMessage: (n) => `The state's ${n} tasks, with the other namespaces' ${others}, are more than --max-tasks (${this.budget.limit}).`
    })
    // nothing above changed the engine; from here on it cannot fail
    if (loaded.resumeAt !== undefined) this.clock.set(loaded.resumeAt)
    this.budget.used = others + loaded.tasks.size
    this.tasks.clear()
    this.timeline.clear()
    this.crdbs.replace(loaded.crdbs)
    for (const task of loaded.tasks.values()) {
      this.tasks.set(taskKey(task.owner, task.id), task)
      if (isEnded(task.phase)) this.timeline.expireAt(task)
      else this.timeline.add(task)
    }
    this.notify({ kind: 'changed', what: 'state loaded' })
    this.settle()
  }

  /** The active task with this id, or why there is none (`why` ends the "already ended" detail). */
  private activeTask (id: string, owner: string, why: string): Task | Refusal<'task_not_found' | 'task_already_ended'> {
    this.settle()
    const task = this.tasks.get(taskKey(owner, id))
    if (task === undefined) return taskNotFound(id)
    if (isEnded(task.phase)) return { ok: false, reason: 'task_already_ended', detail: `Task ${id} has already ended (${task.phase}); ${why}.` }
    return task
  }

  private readonly plannedBy = (guid: string): string | undefined => creatorOf(this.tasks.values(), guid)

  /** A new task id that no live task has (a seeded sequence may repeat one after an import). */
  private freshId (owner: string): string {
    for (;;) {
      const id = this.random.uuid()
      if (!this.tasks.has(taskKey(owner, id))) return id
    }
  }

  private notify (event: EngineEvent): void {
    this.changes++
    for (const listener of this.listeners) listener(event)
  }
}

export function createEngine (options: EngineOptions): Engine {
  return new Engine(options)
}
