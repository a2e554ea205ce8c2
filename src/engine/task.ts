import type { CrdbChange } from './crdbs.js'
import type { Scheduled } from './event-queue.js'
import { ACTIVE_INDEX, FIRST_PHASE, type ActivePhase, type HistoryCause, type Operation, type Phase } from './phases.js'

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
  /** The cluster the task belongs to (the one that received its request). Default: the engine's. */
  owner?: string
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

/** The key of a task in an engine: its id, within its owner (two clusters may use one id). */
export const taskKey = (owner: string, id: string): string => `${owner}\u0000${id}`

/** ms per active phase: queued, running, commit. */
export type PhaseDurations = readonly [number | null, number | null, number | null]

/** A task as the engine keeps it. Times are emulated ms; read it, never write it. */
export interface Task extends Scheduled {
  readonly id: string
  /** The cluster that received the task's request: only it shows the task. */
  readonly owner: string
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
  durations: PhaseDurations
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
  /** The task's state-file record as JSON text, made by a save and dropped by every change (see snapshot.ts). */
  savedText: string | undefined
}

export const toMs = (seconds: number | null | undefined): number | null =>
  seconds === null || seconds === undefined ? null : Math.round(seconds * 1000)

export const NO_ERRORS: readonly TaskError[] = Object.freeze([])
const NO_HISTORY: readonly HistoryEntry[] = Object.freeze([])

/**
 * What tasks take when their spec says nothing. Most tasks take the defaults, so they share
 * these frozen arrays (a task costs less memory that way).
 */
export interface TaskDefaults {
  readonly clusterName: string
  readonly durations: Durations
  readonly resultTtl: number
  readonly durationsMs: PhaseDurations
  readonly clusters: readonly string[]
  readonly failErrors: readonly TaskError[]
}

export function makeTaskDefaults (options: { clusterName: string, durations: Durations, resultTtl: number }): TaskDefaults {
  const d = options.durations
  return {
    clusterName: options.clusterName,
    durations: d,
    resultTtl: options.resultTtl,
    durationsMs: Object.freeze([toMs(d.queued), toMs(d.running), toMs(d.commit)] as const),
    clusters: Object.freeze([options.clusterName]),
    failErrors: Object.freeze([{
      cluster_name: options.clusterName,
      error_code: 'internal_error',
      description: 'The task failed (outcome set through the emulator\'s control API).'
    }])
  }
}

/** A spec's durations (seconds, some missing) over the defaults, in ms. */
export function mergeDurations (given: Partial<Durations>, base: PhaseDurations): PhaseDurations {
  return [
    given.queued !== undefined ? toMs(given.queued) : base[0],
    given.running !== undefined ? toMs(given.running) : base[1],
    given.commit !== undefined ? toMs(given.commit) : base[2]
  ]
}

/**
 * A new task record, not yet in its first phase (the engine enters it). `crdbGuid` is what the
 * task shows from the start: a create_crdb task shows none until it starts.
 */
export function newTask (spec: TaskSpec, id: string, crdbGuid: string | null, now: number, change: CrdbChange | null, defaults: TaskDefaults): Task {
  const operation = spec.operation ?? 'create_crdb'
  return {
    id,
    owner: spec.owner ?? defaults.clusterName,
    operation,
    crdbGuid,
    plannedGuid: operation === 'create_crdb' ? (spec.crdbGuid ?? null) : null,
    phase: FIRST_PHASE,
    createdAt: now,
    phaseStartedAt: now,
    phaseEndsAt: null,
    startedAt: null,
    endedAt: null,
    expiresAt: null,
    resultTtl: spec.resultTtl ?? defaults.resultTtl,
    durations: spec.durations === undefined ? defaults.durationsMs : mergeDurations(spec.durations, defaults.durationsMs),
    outcome: spec.outcome ?? 'finished',
    failErrors: spec.errors !== undefined && spec.errors.length > 0 ? spec.errors : defaults.failErrors,
    errors: NO_ERRORS,
    cancelPolicy: spec.cancel ?? 'accept',
    cancelDelay: toMs(spec.cancelDelay) ?? 0,
    clusters: spec.clusters !== undefined && spec.clusters.length > 0 ? spec.clusters : defaults.clusters,
    pendingCancel: null,
    change,
    history: NO_HISTORY,
    savedText: undefined,
    dueAt: 0,
    dueSeq: 0,
    heapIndex: -1
  }
}

/**
 * Applies the control API's changes to an active task; a new duration of the current phase
 * counts from the phase's start, but never ends it before `now`. Returns whether the task's
 * next event moved (the caller plans it again).
 */
export function amendTask (task: Task, amendment: TaskAmendment, now: number, defaults: TaskDefaults): boolean {
  let replan = false
  if (amendment.durations !== undefined) {
    task.durations = mergeDurations(amendment.durations, task.durations)
    const current = task.durations[ACTIVE_INDEX[task.phase as ActivePhase]] ?? null
    task.phaseEndsAt = current === null ? null : Math.max(task.phaseStartedAt + current, now)
    replan = true
  }
  if (amendment.outcome !== undefined) task.outcome = amendment.outcome
  if (amendment.errors !== undefined) task.failErrors = amendment.errors.length > 0 ? amendment.errors : defaults.failErrors
  if (amendment.resultTtl !== undefined) task.resultTtl = amendment.resultTtl
  if (amendment.cancel !== undefined) task.cancelPolicy = amendment.cancel
  if (amendment.cancelDelay !== undefined) task.cancelDelay = toMs(amendment.cancelDelay) ?? 0
  if (amendment.clusters !== undefined && amendment.clusters.length > 0) task.clusters = amendment.clusters
  return replan
}
