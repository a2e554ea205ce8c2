import { resumeTime, type Clock } from './clock.js'
import type { Crdb } from './crdbs.js'
import type { Random } from './random.js'
import { crdbToRecord, parseTime, recordToCrdb, recordToTask, StateError, taskToRecord } from './records.js'
import type { EngineState } from './records-schema.js'
import type { Task, TaskDefaults } from './task.js'
import { MAX_EMULATED_TIME } from './limits.js'

/** Everything an engine holds, at millisecond precision, for a state file or an export. */
export function snapshotOf (clock: Clock, tasks: Iterable<Task>, crdbs: Iterable<Crdb>): EngineState {
  return { clock: clockOf(clock), crdbs: Array.from(crdbs, crdbToRecord), tasks: Array.from(tasks, taskToRecord) }
}

/** An engine's state as texts for a state file: the clock, and each CRDB's and task's record as JSON. */
export interface SaveTexts {
  clock: NonNullable<EngineState['clock']>
  crdbs: string[]
  tasks: string[]
}

/**
 * The texts of a state file, taken now. A task's text is made again only after it changed, so a
 * save of many tasks costs little more than those that changed since the last one; all of it is
 * taken at once, so it is one consistent state however long the writing takes.
 */
export function saveTextsOf (clock: Clock, tasks: Iterable<Task>, crdbs: Iterable<Crdb>): SaveTexts {
  const texts: string[] = []
  for (const task of tasks) texts.push(savedTextOf(task))
  // each CRDB's text on its own: a thousand CRDBs as one string would be a large object to collect at each save
  return { clock: clockOf(clock), crdbs: Array.from(crdbs, crdbText), tasks: texts }
}

/**
 * Makes the texts `saveTextsOf` will need, `batch` tasks between yields, so that a saver can
 * spread the first save of many tasks (or one after many changed) over several turns of the
 * event loop; a task that changes meanwhile gets its text made again at the export.
 */
export function * prepareSaveTexts (tasks: Iterable<Task>, batch: number): Generator<void> {
  let made = 0
  for (const task of tasks) {
    savedTextOf(task)
    if (++made % batch === 0) yield
  }
}

/** The clock as a state keeps it. */
function clockOf (clock: Clock): NonNullable<EngineState['clock']> {
  return { mode: clock.mode, now: new Date(clock.now()).toISOString(), offset_ms: clock.offsetFromSystem(), scale: clock.scale }
}

/** A CRDB's record as JSON text (made at each save: CRDBs are few, and each text is small). */
function crdbText (crdb: Crdb): string {
  return JSON.stringify(crdbToRecord(crdb))
}

/**
 * A task's record as JSON text, kept on the task until the engine says it changed
 * (`forgetSavedText`): a save of many tasks then costs about as much as the tasks that changed
 * since the last save, and the texts taken at one moment are a consistent state whenever they
 * are written.
 */
export function savedTextOf (task: Task): string {
  task.savedText ??= JSON.stringify(taskToRecord(task))
  return task.savedText
}

export function forgetSavedText (task: Task): void {
  task.savedText = undefined
}

/** A state read and checked, ready to replace an engine's: applying it cannot fail. */
export interface LoadedState {
  /** Where the clock resumes, when the state has a clock. */
  resumeAt: number | undefined
  tasks: Map<string, Task>
  crdbs: Map<string, Crdb>
}

export interface LoadContext {
  clock: Clock
  defaults: TaskDefaults
  /** Makes the ids a state leaves out. */
  ids: Random
  /** Live tasks this engine may keep, and how many the shared budget has left for it. */
  maxTasks: number
  budgetLeft: number
  /** Says how the budget is shared, for the message when it is exceeded. */
  budgetMessage: (tasks: number) => string
}

/**
 * Reads a saved or hand-written state. Throws `StateError` naming the field when it cannot be
 * loaded; changes nothing either way.
 */
export function loadState (state: EngineState, ctx: LoadContext): LoadedState {
  const saved = state.clock
  const savedNow = saved?.now === undefined ? undefined : parseTime(saved.now, 'clock.now')
  const resumeAt = resumeTime({
    ...(saved?.mode === undefined ? {} : { mode: saved.mode }),
    ...(savedNow === undefined ? {} : { now: savedNow }),
    ...(saved?.offset_ms === undefined ? {} : { offsetMs: saved.offset_ms })
  }, () => ctx.clock.system())
  if (resumeAt !== undefined && (resumeAt > MAX_EMULATED_TIME || resumeAt < 0)) {
    throw new StateError(`clock: the saved time would resume at ${String(resumeAt)} ms, outside 1970-01-01 to ${new Date(MAX_EMULATED_TIME).toISOString()}.`)
  }
  const d = ctx.defaults
  const records = {
    now: resumeAt ?? ctx.clock.now(),
    durations: d.durations,
    resultTtl: d.resultTtl,
    clusterName: d.clusterName,
    defaultClusters: d.clusters,
    defaultFailErrors: d.failErrors,
    newId: () => ctx.ids.uuid()
  }
  const tasks = new Map<string, Task>()
  for (const [i, record] of (state.tasks ?? []).entries()) {
    const task = recordToTask(record, records, `tasks[${i}]`)
    const key = `${task.owner}\u0000${task.id}`
    if (tasks.has(key)) throw new StateError(`tasks[${i}].id "${task.id}" is listed twice.`)
    tasks.set(key, task)
  }
  if (tasks.size > ctx.maxTasks) throw new StateError(`The state holds ${tasks.size} tasks, more than --max-tasks (${ctx.maxTasks}).`)
  if (tasks.size > ctx.budgetLeft) throw new StateError(ctx.budgetMessage(tasks.size))
  const crdbs = new Map<string, Crdb>()
  for (const [i, record] of (state.crdbs ?? []).entries()) {
    if (crdbs.has(record.guid)) throw new StateError(`crdbs[${i}].guid "${record.guid}" is listed twice.`)
    crdbs.set(record.guid, recordToCrdb(record, `crdbs[${i}]`))
  }
  return { resumeAt, tasks, crdbs }
}
