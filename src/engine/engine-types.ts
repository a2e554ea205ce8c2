import type { TaskBudget } from './budget.js'
import type { Clock } from './clock.js'
import type { Crdb } from './crdbs.js'
import type { Durations, HistoryEntry, Task, TaskError } from './task.js'

/** Why a change of a CRDB cannot start. */
export type CrdbRefusal = 'crdb_not_found' | 'crdb_not_acceptable' | 'crdb_instance_not_found'
export type { CancelPolicy, Durations, HistoryEntry, Outcome, Task, TaskAmendment, TaskError, TaskSpec } from './task.js'

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
  /** CRDBs at most (existing ones); past it, a create is refused. Default 1000. */
  maxCrdbs?: number
  /** Makes task ids and GUIDs reproducible (the same sequence after each reset). Default: random. */
  seed?: string
  /** Live tasks at most across several engines (namespaces), shared by them. Default: this engine's own. */
  budget?: TaskBudget
  /**
   * Asked when a task is about to leave the phase in which it can fail (running): errors make it
   * fail now (a participating cluster that rejects the credentials, or cannot be reached).
   */
  judge?: (task: Task, crdb: Crdb | undefined) => readonly TaskError[] | undefined
}

/** What the engine reports as it goes: for logs, and so that a state file knows when to save. */
export type EngineEvent =
  | { kind: 'history', task: Task, entry: HistoryEntry }
  | { kind: 'expired', id: string }
  | { kind: 'changed', what: string }

export type EngineListener = (event: EngineEvent) => void
