/**
 * The one table of task phases. Everything else (wire `status`, `progress.worker`, which
 * timestamps a task shows, the README's lifecycle table) is read from here.
 *
 * The real API documents only four statuses (`queued`, `started`, `finished`, `failed`); the
 * phase is what `progress.worker` shows. A canceled task reports `failed` so that client loops
 * that stop on `finished` or `failed` never poll forever.
 */
export const PHASES = {
  // `shows` is what the README's lifecycle table says of the optional fields; a test checks
  // that tasks really behave so.
  queued: { status: 'queued', ended: false, next: 'running', shows: { workerName: 'absent', started: 'absent', ended: 'absent' } },
  running: { status: 'started', ended: false, next: 'commit', shows: { workerName: '`crdb_worker:1:0`', started: 'set', ended: 'absent' } },
  commit: { status: 'started', ended: false, next: 'completed', shows: { workerName: '`crdb_worker:1:0`', started: 'set', ended: 'absent' } },
  completed: { status: 'finished', ended: true, next: null, shows: { workerName: 'kept', started: 'kept', ended: 'set' } },
  failed: { status: 'failed', ended: true, next: null, shows: { workerName: 'kept', started: 'kept (absent if never started)', ended: 'set' } },
  canceled: { status: 'failed', ended: true, next: null, shows: { workerName: 'kept', started: 'kept (absent if never started)', ended: 'set' } }
} as const

export type Phase = keyof typeof PHASES
export type ActivePhase = 'queued' | 'running' | 'commit'
export type EndPhase = 'completed' | 'failed' | 'canceled'
export type WireStatus = (typeof PHASES)[Phase]['status']

export const PHASE_NAMES = Object.keys(PHASES) as Phase[]
export const ACTIVE_PHASES = PHASE_NAMES.filter((p) => !PHASES[p].ended) as ActivePhase[]
/** The documented wire statuses, in lifecycle order, each once. */
export const WIRE_STATUSES = [...new Set(PHASE_NAMES.map((p) => PHASES[p].status))] as WireStatus[]

/** What real clusters show as the worker of a started task. */
export const WORKER_NAME = 'crdb_worker:1:0'

export function isEnded (phase: Phase): phase is EndPhase {
  return PHASES[phase].ended
}

/** The operations a task can carry. `flush_crdb` tasks never show a `crdb_guid`. */
export const OPERATIONS = ['create_crdb', 'update_crdb', 'delete_crdb', 'flush_crdb', 'purge_crdb'] as const
export type Operation = (typeof OPERATIONS)[number]

/** Why a task's history gained an entry. */
export const HISTORY_CAUSES = {
  created: 'the task was created',
  duration_elapsed: 'the phase\'s duration elapsed',
  step: 'stepped through the control API',
  cancel: 'canceled',
  force_cancel: 'canceled with force=true',
  cancel_requested: 'a cancel was accepted; it takes effect after the task\'s cancel_delay',
  cancel_dropped: 'a pending cancel was dropped: the task reached commit first',
  loaded: 'the task was loaded in this phase from a fixtures file'
} as const
export type HistoryCause = keyof typeof HISTORY_CAUSES
