import { Type, type Static } from '@sinclair/typebox'
import { CLOCK_MODES } from './clock.js'
import { CONFIG_STATUSES, CRDB_STATUSES } from './crdbs.js'
import { MAX_RESULT_TTL, MAX_SECONDS } from './limits.js'
import { HISTORY_CAUSES, OPERATIONS, PHASE_NAMES } from './phases.js'
import { FreeObject, StringEnum, TASK_ID_PATTERN } from './schema-kit.js'

/**
 * The shape of what one engine saves and loads: its tasks, CRDBs and clock. Times are ISO-8601
 * strings (exports keep milliseconds), or, in files written by hand, numbers of seconds relative
 * to the clock's `now` (negative: in the past).
 */
const ISO_TIME = '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,3})?Z$'
const Time = Type.Union([
  Type.String({ pattern: ISO_TIME }),
  Type.Number({ minimum: -MAX_SECONDS, maximum: MAX_SECONDS })
], { description: 'an ISO-8601 UTC time, or seconds relative to the clock\'s now' })
const Nullable = <T extends ReturnType<typeof Type.Union> | ReturnType<typeof Type.Object> | ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])
const Seconds = Type.Number({ minimum: 0, maximum: MAX_SECONDS, description: `seconds from 0 to ${MAX_SECONDS}` })

/** One entry of a task's `errors`, as the real API shows it. */
export const TaskErrorSchema = Type.Object({
  cluster_name: Type.String(),
  error_code: Type.String(),
  description: Type.String()
})

const ClusterRecordSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  url: Type.String(),
  replication_endpoint: Type.Optional(Type.String()),
  replication_tls_sni: Type.Optional(Type.String())
})
const InstanceDraftRecordSchema = Type.Object({
  cluster: ClusterRecordSchema,
  compression: Type.Optional(Type.Integer({ minimum: 0, maximum: 6 })),
  db_config: Type.Optional(FreeObject('instance settings'))
})
/** An instance of a saved CRDB; a hand-written one may leave out its id (then 1, 2, ... in order). */
const InstanceRecordSchema = Type.Object({
  ...InstanceDraftRecordSchema.properties,
  id: Type.Optional(Type.Integer({ minimum: 1 })),
  db_uid: Type.Optional(Type.String())
})

const CrdbDraftSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  default_db_config: Type.Optional(FreeObject('database settings')),
  instances: Type.Array(InstanceDraftRecordSchema, { minItems: 1 }),
  encryption: Type.Optional(Type.Boolean()),
  causal_consistency: Type.Optional(Type.Boolean())
})
const CrdbPatchSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  default_db_config: Type.Optional(FreeObject('database settings')),
  encryption: Type.Optional(Type.Boolean()),
  causal_consistency: Type.Optional(Type.Boolean()),
  instances: Type.Optional(Type.Array(Type.Object({
    id: Type.Integer({ minimum: 1 }),
    compression: Type.Optional(Type.Integer({ minimum: 0, maximum: 6 })),
    db_config: Type.Optional(FreeObject('instance settings'))
  })))
})

const ChecksSchema = Type.Array(Type.Object({ cluster: Type.String(), credentials: StringEnum(['accepted', 'rejected', 'unchecked'] as const) }))

const ChangeSchema = Type.Union([
  Type.Object({ kind: Type.Literal('create'), draft: CrdbDraftSchema, guid: Type.Optional(Type.String()), checks: Type.Optional(ChecksSchema) }),
  Type.Object({ kind: Type.Literal('update'), patch: CrdbPatchSchema }),
  Type.Object({
    kind: Type.Literal('modify'),
    patch: Type.Optional(CrdbPatchSchema),
    add: Type.Optional(Type.Array(InstanceDraftRecordSchema)),
    remove: Type.Optional(Type.Array(Type.Integer())),
    forceRemove: Type.Optional(Type.Boolean()),
    forceUpdate: Type.Optional(Type.Boolean()),
    checks: Type.Optional(ChecksSchema)
  }),
  Type.Object({ kind: Type.Literal('delete') }),
  Type.Object({ kind: Type.Literal('flush'), async: Type.Optional(Type.Boolean()) }),
  Type.Object({ kind: Type.Literal('purge'), instances: Type.Array(Type.Integer()) }),
  Type.Object({ kind: Type.Literal('upgrade'), options: FreeObject('the upgrade\'s options') })
], { description: 'the CRDB change the task applies when it completes' })

const TaskRecordSchema = Type.Object({
  id: Type.Optional(Type.String({ pattern: TASK_ID_PATTERN })),
  /** The cluster that received the task's request (linked clusters); default the namespace's first. */
  owner: Type.Optional(Type.String({ minLength: 1 })),
  operation: Type.Optional(StringEnum(OPERATIONS)),
  phase: Type.Optional(StringEnum(PHASE_NAMES)),
  crdb_guid: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  planned_guid: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  created_at: Type.Optional(Time),
  phase_started_at: Type.Optional(Time),
  phase_ends_at: Type.Optional(Nullable(Time)),
  started_at: Type.Optional(Nullable(Time)),
  ended_at: Type.Optional(Nullable(Time)),
  expires_at: Type.Optional(Nullable(Time)),
  result_ttl: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RESULT_TTL })),
  durations: Type.Optional(Type.Object({
    queued: Type.Optional(Type.Union([Seconds, Type.Null()])),
    running: Type.Optional(Type.Union([Seconds, Type.Null()])),
    commit: Type.Optional(Type.Union([Seconds, Type.Null()]))
  }, { additionalProperties: false })),
  outcome: Type.Optional(StringEnum(['finished', 'failed'] as const)),
  errors: Type.Optional(Type.Array(TaskErrorSchema)),
  fail_errors: Type.Optional(Type.Array(TaskErrorSchema)),
  cancel: Type.Optional(StringEnum(['accept', 'conflict'] as const)),
  cancel_delay: Type.Optional(Seconds),
  clusters: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  pending_cancel: Type.Optional(Nullable(Type.Object({ at: Time, force: Type.Boolean() }))),
  change: Type.Optional(Nullable(ChangeSchema)),
  history: Type.Optional(Type.Array(Type.Object({
    at: Time,
    phase: StringEnum(PHASE_NAMES),
    cause: StringEnum(Object.keys(HISTORY_CAUSES) as Array<keyof typeof HISTORY_CAUSES>)
  })))
}, { additionalProperties: false })
export type TaskRecord = Static<typeof TaskRecordSchema>

const CrdbRecordSchema = Type.Object({
  ...CrdbDraftSchema.properties,
  instances: Type.Array(InstanceRecordSchema, { minItems: 1 }),
  guid: Type.String({ minLength: 1 }),
  status: Type.Optional(StringEnum(CRDB_STATUSES)),
  next_instance_id: Type.Optional(Type.Integer({ minimum: 1 })),
  force_removed: Type.Optional(Type.Array(InstanceRecordSchema)),
  active_config_version: Type.Optional(Type.Integer({ minimum: 1 })),
  configurations: Type.Optional(Type.Array(Type.Object({ version: Type.Integer({ minimum: 1 }), status: StringEnum(CONFIG_STATUSES) }))),
  connection_errors: Type.Optional(Type.Record(Type.String(), Type.String())),
  active_task_id: Type.Optional(Nullable(Type.String())),
  /** The name of `active_task_id` in state files of earlier versions, when only deletes locked a CRDB. */
  deleting_task_id: Type.Optional(Nullable(Type.String()))
}, { additionalProperties: false })
export type CrdbRecord = Static<typeof CrdbRecordSchema>

/** An engine's whole state. */
export const EngineStateSchema = Type.Object({
  clock: Type.Optional(Type.Object({
    mode: Type.Optional(StringEnum(CLOCK_MODES)),
    now: Type.Optional(Type.String({ pattern: ISO_TIME, description: 'an ISO-8601 UTC time' })),
    offset_ms: Type.Optional(Type.Number({ description: 'a real clock\'s emulated now minus wall time when saved' })),
    scale: Type.Optional(Type.Number({ exclusiveMinimum: 0 }))
  }, { additionalProperties: false })),
  tasks: Type.Optional(Type.Array(TaskRecordSchema)),
  crdbs: Type.Optional(Type.Array(CrdbRecordSchema))
}, { additionalProperties: false })
export type EngineState = Static<typeof EngineStateSchema>
