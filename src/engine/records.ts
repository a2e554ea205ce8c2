import type { Crdb, CrdbInstance } from './crdbs.js'
import { ACTIVE_INDEX, isEnded, type Phase } from './phases.js'
import type { CrdbRecord, TaskRecord } from './records-schema.js'
import type { Durations, Task, TaskError } from './task.js'

/**
 * Tasks and CRDBs to and from the records of a state file: every field of a task, at
 * millisecond precision, and back, filling in what a hand-written fixtures record leaves out.
 */

/** A state that cannot be loaded; the message names the field. */
export class StateError extends Error {}

const iso = (ms: number): string => new Date(ms).toISOString()

/** An ISO-8601 UTC time in ms; a `StateError` naming `field` when it is not a real moment (30 February). */
export function parseTime (value: string, field: string): number {
  const ms = Date.parse(value)
  // Date.parse rolls 30 February over to 2 March: a real moment prints back the same
  if (Number.isNaN(ms) || iso(ms).slice(0, 19) !== value.slice(0, 19)) throw new StateError(`${field} is not a valid time: "${value}".`)
  return ms
}
const seconds = (ms: number | null): number | null => ms === null ? null : ms / 1000

/** A task as a state file keeps it: every field, at millisecond precision. */
export function taskToRecord (task: Task): TaskRecord {
  return {
    id: task.id,
    owner: task.owner,
    operation: task.operation,
    phase: task.phase,
    crdb_guid: task.crdbGuid,
    planned_guid: task.plannedGuid,
    created_at: iso(task.createdAt),
    phase_started_at: iso(task.phaseStartedAt),
    phase_ends_at: task.phaseEndsAt === null ? null : iso(task.phaseEndsAt),
    started_at: task.startedAt === null ? null : iso(task.startedAt),
    ended_at: task.endedAt === null ? null : iso(task.endedAt),
    expires_at: task.expiresAt === null ? null : iso(task.expiresAt),
    result_ttl: task.resultTtl,
    durations: { queued: seconds(task.durations[0]), running: seconds(task.durations[1]), commit: seconds(task.durations[2]) },
    outcome: task.outcome,
    errors: [...task.errors],
    fail_errors: [...task.failErrors],
    cancel: task.cancelPolicy,
    cancel_delay: task.cancelDelay / 1000,
    clusters: [...task.clusters],
    pending_cancel: task.pendingCancel === null ? null : { at: iso(task.pendingCancel.at), force: task.pendingCancel.force },
    change: task.change,
    history: task.history.map((h) => ({ at: iso(h.at), phase: h.phase, cause: h.cause }))
  }
}

export function crdbToRecord (crdb: Crdb): CrdbRecord {
  return {
    guid: crdb.guid,
    name: crdb.name,
    default_db_config: crdb.default_db_config,
    instances: crdb.instances,
    encryption: crdb.encryption,
    causal_consistency: crdb.causal_consistency,
    status: crdb.status,
    next_instance_id: crdb.nextInstanceId,
    force_removed: crdb.forceRemoved,
    active_config_version: crdb.activeConfigVersion,
    configurations: crdb.configurations,
    connection_errors: crdb.connectionErrors,
    active_task_id: crdb.activeTaskId
  }
}

export interface RecordContext {
  now: number
  durations: Durations
  resultTtl: number
  clusterName: string
  defaultClusters: readonly string[]
  defaultFailErrors: readonly TaskError[]
  newId: () => string
}

/**
 * A task from a state or fixtures record. Fixtures may give as little as `{"phase": "running"}`:
 * the rest follows from the defaults, with the phase begun now (or at the times given).
 */
export function recordToTask (rec: TaskRecord, ctx: RecordContext, where: string): Task {
  const at = (value: string | number | null | undefined, field: string): number | null | undefined => {
    if (value === undefined || value === null) return value
    if (typeof value === 'number') return ctx.now + Math.round(value * 1000)
    return parseTime(value, `${where}.${field}`)
  }
  const phase: Phase = rec.phase ?? 'queued'
  const operation = rec.operation ?? 'create_crdb'
  const ms = (s: number | null | undefined, fallback: number | null): number | null => s === undefined ? fallback : (s === null ? null : Math.round(s * 1000))
  const d = rec.durations ?? {}
  const durations: [number | null, number | null, number | null] = [
    ms(d.queued, ms(ctx.durations.queued, null)),
    ms(d.running, ms(ctx.durations.running, null)),
    ms(d.commit, ms(ctx.durations.commit, null))
  ]
  const resultTtl = rec.result_ttl ?? ctx.resultTtl
  const failErrors = rec.fail_errors !== undefined && rec.fail_errors.length > 0 ? rec.fail_errors : ctx.defaultFailErrors

  let phaseStartedAt: number
  let startedAt: number | null
  let endedAt: number | null = null
  let expiresAt: number | null = null
  let phaseEndsAt: number | null = null
  if (isEnded(phase)) {
    endedAt = at(rec.ended_at, 'ended_at') ?? at(rec.phase_started_at, 'phase_started_at') ?? ctx.now
    phaseStartedAt = at(rec.phase_started_at, 'phase_started_at') ?? endedAt
    startedAt = at(rec.started_at, 'started_at') ?? (phase === 'completed' ? endedAt : null)
    expiresAt = at(rec.expires_at, 'expires_at') ?? endedAt + resultTtl * 1000
  } else if (phase === 'queued') {
    phaseStartedAt = at(rec.phase_started_at, 'phase_started_at') ?? at(rec.created_at, 'created_at') ?? ctx.now
    startedAt = null
  } else {
    phaseStartedAt = at(rec.phase_started_at, 'phase_started_at') ?? (phase === 'running' ? at(rec.started_at, 'started_at') : null) ?? ctx.now
    startedAt = at(rec.started_at, 'started_at') ?? phaseStartedAt
  }
  if (!isEnded(phase)) {
    const duration = durations[ACTIVE_INDEX[phase]] ?? null
    phaseEndsAt = rec.phase_ends_at !== undefined ? at(rec.phase_ends_at, 'phase_ends_at') ?? null : (duration === null ? null : phaseStartedAt + duration)
  }
  const createdAt = at(rec.created_at, 'created_at') ?? (startedAt ?? phaseStartedAt)
  if (rec.pending_cancel != null && phase !== 'running') {
    throw new StateError(`${where}.pending_cancel is only for a running task, not a ${phase} one.`)
  }
  const errors: readonly TaskError[] = rec.errors ??
    (phase === 'canceled'
      ? [{ cluster_name: ctx.clusterName, error_code: 'task_canceled', description: 'The task was canceled.' }]
      : phase === 'failed' ? failErrors : [])
  const started = startedAt !== null
  const crdbGuid = rec.crdb_guid !== undefined
    ? rec.crdb_guid
    : operation === 'flush_crdb' || (operation === 'create_crdb' && !started) ? null : (rec.planned_guid ?? ctx.newId())
  const history = rec.history?.map((h, i) => ({ at: at(h.at, `history[${i}].at`) as number, phase: h.phase, cause: h.cause })) ??
    [{ at: createdAt, phase: 'queued' as const, cause: 'created' as const }, ...(phase === 'queued' ? [] : [{ at: phaseStartedAt, phase, cause: 'loaded' as const }])]
  return {
    id: rec.id ?? ctx.newId(),
    owner: rec.owner ?? ctx.clusterName,
    operation,
    crdbGuid,
    plannedGuid: rec.planned_guid ?? null,
    phase,
    createdAt,
    phaseStartedAt,
    phaseEndsAt,
    startedAt,
    endedAt,
    expiresAt,
    resultTtl,
    durations,
    outcome: rec.outcome ?? 'finished',
    failErrors,
    errors,
    cancelPolicy: rec.cancel ?? 'accept',
    cancelDelay: Math.round((rec.cancel_delay ?? 0) * 1000),
    clusters: rec.clusters ?? ctx.defaultClusters,
    pendingCancel: rec.pending_cancel == null ? null : { at: at(rec.pending_cancel.at, 'pending_cancel.at') as number, force: rec.pending_cancel.force },
    change: rec.change ?? null,
    history,
    savedText: undefined,
    dueAt: 0,
    dueSeq: 0,
    heapIndex: -1
  }
}

/** A CRDB from its record; instances a hand-written record leaves without an id get the next ones, in order. */
export function recordToCrdb (rec: CrdbRecord, where: string): Crdb {
  let next = Math.max(0, ...rec.instances.map((i) => i.id ?? 0), ...(rec.force_removed ?? []).map((i) => i.id ?? 0)) + 1
  const withId = (i: CrdbRecord['instances'][number]): CrdbInstance => {
    const id = i.id ?? next++
    return { ...i, id, db_uid: i.db_uid ?? String(id) }
  }
  const instances = rec.instances.map(withId)
  const forceRemoved = (rec.force_removed ?? []).map(withId)
  const ids = [...instances, ...forceRemoved].map((i) => i.id)
  if (new Set(ids).size !== ids.length) throw new StateError(`${where}.instances: an instance id is listed twice.`)
  const configurations = rec.configurations ?? [{ version: rec.active_config_version ?? 1, status: 'commit-completed' as const }]
  return {
    guid: rec.guid,
    name: rec.name,
    default_db_config: rec.default_db_config ?? {},
    instances,
    encryption: rec.encryption ?? false,
    causal_consistency: rec.causal_consistency ?? false,
    status: rec.status ?? 'active',
    nextInstanceId: Math.max(rec.next_instance_id ?? 1, next),
    forceRemoved,
    activeConfigVersion: rec.active_config_version ?? 1,
    configurations,
    connectionErrors: rec.connection_errors ?? {},
    activeTaskId: rec.active_task_id ?? rec.deleting_task_id ?? null
  }
}
