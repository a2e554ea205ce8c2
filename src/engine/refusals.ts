import type { Task } from './task.js'

/** Reasons the engine refuses a request; each is also the API's `error_code`. */
export type RefusalReason =
  | 'task_not_found'
  | 'task_exists'
  | 'too_many_tasks'
  | 'too_many_crdbs'
  | 'task_cannot_be_canceled'
  | 'task_cancel_failed'
  | 'task_already_ended'
  | 'crdb_not_found'
  | 'crdb_not_acceptable'
  | 'crdb_instance_not_found'
  | 'unreachable'
  | 'time_out_of_range'

/** An expected "no": returned, never thrown, so the caller must decide what it means. */
export interface Refusal<R extends RefusalReason> { ok: false, reason: R, detail: string }

export type Result<R extends RefusalReason> = { ok: true, task: Task } | Refusal<R>

/** The one "no such task" answer, for every request that names a task. */
export function taskNotFound (id: string): Refusal<'task_not_found'> {
  return { ok: false, reason: 'task_not_found', detail: `No task with id "${id}" (unknown, or its result has expired).` }
}
