/**
 * The one table of task phases, read by the engine for every transition and by everything else
 * for what a phase shows (wire `status`, `progress.worker`, which timestamps are set, the docs'
 * lifecycle table).
 *
 * The real API documents only four statuses (`queued`, `started`, `finished`, `failed`); the
 * phase is what `progress.worker` shows. A canceled task reports `failed` so that client loops
 * that stop on `finished` or `failed` never poll forever.
 *
 * Each active row says where a task goes when the phase ends (`next`), where it goes instead
 * when its outcome is `failed` (`onFailure`), and how a cancel is taken in it (`cancel`):
 * - `now`: canceled at once;
 * - `after_delay`: canceled after the task's `cancel_delay` (at once when that is 0), unless the
 *   phase ends first (the documented race: "tasks may complete before they can be cancelled");
 * - `force_only`: refused (406) without `force=true`; with it, canceled at once;
 * - `never`: refused (406), forced or not.
 */
export const PHASES = {
  // `shows` is what the docs' lifecycle table says of the optional fields; a test checks
  // that tasks really behave so.
  queued: { status: 'queued', ended: false, next: 'running', onFailure: null, cancel: 'now', shows: { workerName: 'absent', started: 'absent', ended: 'absent' } },
  running: { status: 'started', ended: false, next: 'commit', onFailure: 'failed', cancel: 'after_delay', shows: { workerName: '`crdb_worker:1:0`', started: 'set', ended: 'absent' } },
  commit: { status: 'started', ended: false, next: 'completed', onFailure: null, cancel: 'force_only', shows: { workerName: '`crdb_worker:1:0`', started: 'set', ended: 'absent' } },
  completed: { status: 'finished', ended: true, next: null, onFailure: null, cancel: 'never', shows: { workerName: 'kept', started: 'kept', ended: 'set' } },
  failed: { status: 'failed', ended: true, next: null, onFailure: null, cancel: 'never', shows: { workerName: 'kept', started: 'kept (absent if never started)', ended: 'set' } },
  canceled: { status: 'failed', ended: true, next: null, onFailure: null, cancel: 'never', shows: { workerName: 'kept', started: 'kept (absent if never started)', ended: 'set' } }
} as const

export type Phase = keyof typeof PHASES
export type ActivePhase = 'queued' | 'running' | 'commit'
export type EndPhase = 'completed' | 'failed' | 'canceled'
export type WireStatus = (typeof PHASES)[Phase]['status']

/** The phase a task is in when it is made. */
export const FIRST_PHASE = 'queued' satisfies ActivePhase
/** The phase a canceled task ends in. */
export const CANCELED_PHASE = 'canceled' satisfies EndPhase

export const PHASE_NAMES = Object.keys(PHASES) as Phase[]
export const ACTIVE_PHASES = PHASE_NAMES.filter((p) => !PHASES[p].ended) as ActivePhase[]
/** The documented wire statuses, in lifecycle order, each once. */
export const WIRE_STATUSES = [...new Set(PHASE_NAMES.map((p) => PHASES[p].status))] as WireStatus[]

/** What running time can wait for: a wire status, or `ended` (finished or failed, whichever comes). */
export type RunTarget = WireStatus | 'ended'
export const RUN_TARGETS: readonly RunTarget[] = [...WIRE_STATUSES, 'ended']

/** Position of each active phase in a task's durations. */
export const ACTIVE_INDEX: Record<ActivePhase, 0 | 1 | 2> = { queued: 0, running: 1, commit: 2 }

/** What real clusters show as the worker of a started task. */
export const WORKER_NAME = 'crdb_worker:1:0'

export function isEnded (phase: Phase): phase is EndPhase {
  return PHASES[phase].ended
}

/** The operations a task can carry. `flush_crdb` tasks never show a `crdb_guid`. */
export const OPERATIONS = ['create_crdb', 'update_crdb', 'delete_crdb', 'flush_crdb', 'purge_crdb', 'upgrade_crdb'] as const
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
