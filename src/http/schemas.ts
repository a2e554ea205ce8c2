import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { CLOCK_MODES } from '../engine/clock.js'
import { MAX_RESULT_TTL, MAX_SECONDS } from '../engine/limits.js'
import { HISTORY_CAUSES, OPERATIONS, PHASE_NAMES, RUN_TARGETS, WIRE_STATUSES } from '../engine/phases.js'
import { TaskErrorSchema } from '../engine/records-schema.js'
import { StringEnum, TASK_ID_EXPECTED, TASK_ID_PATTERN } from '../engine/schema-kit.js'
import { FaultActionSchema } from '../emulator/faults.js'
import { RESET_KEEPABLE } from '../emulator/cluster.js'
import { CrdbSchema } from './crdb-schemas.js'

/**
 * The wire shapes of every route: what requests may hold and what answers carry. They validate
 * requests, serialise answers, make the OpenAPI document, and give the library its types.
 */

/** `true`, `false`, `1` or `0`, in any case. */
const BOOLEAN_WORDS = ['true', 'false', '1', '0']
const caseless = (word: string): string => [...word].map((c) => /[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : c).join('')
export const BooleanParamSchema = Type.String({
  pattern: `^(?:${BOOLEAN_WORDS.map(caseless).join('|')})$`,
  description: 'true, false, 1 or 0 (any case)'
})
export const parseBooleanParam = (value: string | undefined): boolean =>
  value !== undefined && (value === '1' || value.toLowerCase() === 'true')

const ErrorSchema = Type.Object({
  error_code: Type.String({ description: 'snake_case code, e.g. task_not_found' }),
  description: Type.String()
})

const taskFields = {
  id: Type.String(),
  crdb_guid: Type.Optional(Type.String()),
  operation: StringEnum(OPERATIONS),
  status: StringEnum(WIRE_STATUSES),
  worker_name: Type.Optional(Type.String()),
  started: Type.Optional(Type.String({ description: 'ISO-8601 UTC, whole seconds' })),
  ended: Type.Optional(Type.String({ description: 'ISO-8601 UTC, whole seconds' })),
  errors: Type.Optional(Type.Array(TaskErrorSchema))
}

const ProgressSchema = Type.Object({
  worker: StringEnum(PHASE_NAMES),
  clusters: Type.Array(Type.Object({ name: Type.String(), progress: StringEnum(PHASE_NAMES) }))
}, { description: 'The task\'s phase, overall and per participating cluster (verbose=true only)' })

/** A CRDB task: the short form, plus `progress` with verbose=true. */
export const TaskSchema = Type.Object({ ...taskFields, progress: Type.Optional(ProgressSchema) })
export type TaskWire = Static<typeof TaskSchema>

export const TaskIdParamsSchema = Type.Object({ task_id: Type.String() })

export const GetTaskQuerySchema = Type.Object({ verbose: Type.Optional(BooleanParamSchema) })
export const CancelQuerySchema = Type.Object({ force: Type.Optional(BooleanParamSchema) })
export const ResultTtlHeadersSchema = Type.Object({
  'x-result-ttl': Type.Optional(Type.String({
    pattern: '^[0-9]{1,10}$',
    description: `a whole number of seconds from 0 to ${MAX_RESULT_TTL}`
  }))
})

export const CancelResponseSchema = Type.Object({ id: Type.String(), status: StringEnum(WIRE_STATUSES) })
export type CancelWire = Static<typeof CancelResponseSchema>

// ---- control API ----

export const HealthSchema = Type.Object({ status: Type.Literal('ok') })

export const ClockSchema = Type.Object({
  mode: StringEnum(CLOCK_MODES),
  now: Type.String({ description: 'emulated now, ISO-8601 UTC with milliseconds' }),
  scale: Type.Number()
})
export type ClockWire = Static<typeof ClockSchema>

export const AdvanceBodySchema = Type.Object({
  seconds: Type.Number({ exclusiveMinimum: 0, maximum: MAX_SECONDS, description: `a number of seconds above 0 and at most ${MAX_SECONDS}` })
}, { additionalProperties: false })

const DurationSchema = Type.Number({ minimum: 0, maximum: MAX_SECONDS, description: `a number of seconds from 0 to ${MAX_SECONDS}` })
const HoldableDurationSchema = Type.Unsafe<number | null>({
  type: ['number', 'null'],
  minimum: 0,
  maximum: MAX_SECONDS,
  description: `a number of seconds from 0 to ${MAX_SECONDS}, or null to stay in the phase until stepped`
})

export const CreateTaskBodySchema = Type.Object({
  id: Type.Optional(Type.String({ pattern: TASK_ID_PATTERN, description: TASK_ID_EXPECTED })),
  crdb_guid: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'a GUID of 1 to 128 characters' })),
  operation: Type.Optional(StringEnum(OPERATIONS)),
  durations: Type.Optional(Type.Object({
    queued: Type.Optional(HoldableDurationSchema),
    running: Type.Optional(HoldableDurationSchema),
    commit: Type.Optional(HoldableDurationSchema)
  }, { additionalProperties: false })),
  outcome: Type.Optional(StringEnum(['finished', 'failed'] as const)),
  errors: Type.Optional(Type.Array(Type.Object({
    cluster_name: Type.Optional(Type.String({ maxLength: 253 })),
    error_code: Type.String({ minLength: 1, maxLength: 128, description: 'a non-empty string' }),
    description: Type.String({ maxLength: 4096 })
  }, { additionalProperties: false }), { maxItems: 100 })),
  result_ttl: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RESULT_TTL, description: `a whole number of seconds from 0 to ${MAX_RESULT_TTL}` })),
  cancel: Type.Optional(StringEnum(['accept', 'conflict'] as const)),
  cancel_delay: Type.Optional(DurationSchema),
  clusters: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { minItems: 1, maxItems: 64 }))
}, { additionalProperties: false })
export type CreateTaskBody = Static<typeof CreateTaskBodySchema>

/** `PATCH /__emulator/tasks/{id}`: what may still change on an active task. */
export const AmendTaskBodySchema = Type.Omit(CreateTaskBodySchema, ['id', 'crdb_guid', 'operation'], { additionalProperties: false })
export type AmendTaskBody = Static<typeof AmendTaskBodySchema>

export const ControlTaskParamsSchema = Type.Object({ id: Type.String() })

export const HistorySchema = Type.Object({
  id: Type.String(),
  history: Type.Array(Type.Object({
    at: Type.String({ description: 'emulated time, ISO-8601 UTC with milliseconds' }),
    phase: StringEnum(PHASE_NAMES),
    status: StringEnum(WIRE_STATUSES),
    cause: StringEnum(Object.keys(HISTORY_CAUSES) as Array<keyof typeof HISTORY_CAUSES>)
  }))
})
export type HistoryWire = Static<typeof HistorySchema>

/** The problem-details body of a `/v1/crdbs*` request body that fails its schema (as real clusters answer it). */
export const ProblemSchema = Type.Object({
  detail: Type.String(),
  status: Type.Literal(400),
  title: Type.String(),
  type: Type.String()
})

/** A 400 of a route whose body errors take the problem shape: that, or the usual body for a bad query or header. */
export const BadRequestSchema = Type.Union([ErrorSchema, ProblemSchema])

/** The error responses a route can send, for its response schema. */
export const errorResponses = (...statuses: number[]): Record<number, TSchema> =>
  Object.fromEntries(statuses.map((s) => [s, ErrorSchema]))

// ---- CRDBs (/v1/crdbs): the bodies and objects are in crdb-schemas.ts ----

export const CrdbParamsSchema = Type.Object({ guid: Type.String() })
export const DryRunQuerySchema = Type.Object({ dry_run: Type.Optional(BooleanParamSchema) })
export const InstanceQuerySchema = Type.Object({
  instance_id: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'an instance id (a whole number)' }))
})
export const FlushQuerySchema = Type.Object({ async_flush: Type.Optional(BooleanParamSchema) })

/** The headers every CRDB mutation honours. */
export const MutationHeadersSchema = Type.Object({
  'x-task-id': Type.Optional(Type.String({ pattern: TASK_ID_PATTERN, description: TASK_ID_EXPECTED })),
  'x-result-ttl': ResultTtlHeadersSchema.properties['x-result-ttl']
})

// ---- faults, journal, run-until ----

export const FaultRuleSchema = Type.Object({
  id: Type.String(),
  match: Type.Object({
    method: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    user: Type.Optional(Type.String()),
    phase: Type.Optional(Type.String()),
    cluster: Type.Optional(Type.String())
  }),
  action: FaultActionSchema,
  times: Type.Optional(Type.Integer()),
  probability: Type.Number(),
  hits: Type.Integer({ description: 'requests the rule has hit so far' })
})
export type FaultRuleWire = Static<typeof FaultRuleSchema>

export const FaultParamsSchema = Type.Object({ id: Type.String() })

export const JournalQuerySchema = Type.Object({
  method: Type.Optional(Type.String({ pattern: '^[A-Za-z]{1,16}$', description: 'an HTTP method' })),
  path: Type.Optional(Type.String({ maxLength: 2048, description: 'an exact path' })),
  status: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: 'an HTTP status' })),
  cluster: Type.Optional(Type.String({ maxLength: 253, description: 'a member cluster\'s name' }))
})

export const JournalEntrySchema = Type.Object({
  method: Type.String(),
  path: Type.String(),
  query: Type.Object({}, { additionalProperties: true }),
  status: Type.Integer({ description: '0 when a fault dropped the connection' }),
  user: Type.Union([Type.String(), Type.Null()]),
  cluster: Type.String({ description: 'the member cluster the request addressed' }),
  at: Type.String({ description: 'emulated time the request arrived, ISO-8601 with ms' }),
  duration_ms: Type.Number()
})
export type JournalEntryWire = Static<typeof JournalEntrySchema>

export const RunBodySchema = Type.Object({
  task_id: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'a task id' })),
  status: Type.Optional(StringEnum(RUN_TARGETS, 'a wire status, or ended: finished or failed, whichever comes'))
}, { additionalProperties: false })

export const ResetBodySchema = Type.Object({
  keep: Type.Optional(Type.Array(StringEnum(RESET_KEEPABLE), {
    uniqueItems: true,
    description: 'what the reset leaves as it is; given, everything else goes back to the start. Without it, as before: only tasks and CRDBs go'
  }))
}, { additionalProperties: false })
export type ResetBody = Static<typeof ResetBodySchema>

export const RunResponseSchema = Type.Object({
  clock: ClockSchema,
  task: Type.Optional(TaskSchema)
})

// ---- linked clusters ----

export const LinkSchema = Type.Object({
  name: Type.String(),
  reachable: Type.Boolean(),
  delay_ms: Type.Integer({ description: 'real ms every /v1 request to it waits first' })
})
export type LinkWire = Static<typeof LinkSchema>
export const LinkParamsSchema = Type.Object({ name: Type.String() })
export const LinkBodySchema = Type.Object({
  reachable: Type.Optional(Type.Boolean({ description: 'true or false' })),
  delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: 'milliseconds from 0 to 600000' }))
}, { additionalProperties: false })

// ---- namespaces ----

export const NamespaceParamsSchema = Type.Object({ name: Type.String() })
export const NamespaceBodySchema = Type.Object({
  clock: Type.Optional(StringEnum(CLOCK_MODES)),
  time_scale: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: 'a number above 0, at most 1000000' }))
}, { additionalProperties: false })
export const NamespaceSchema = Type.Object({
  name: Type.String(),
  tasks: Type.Integer({ description: 'live tasks' }),
  clock: ClockSchema
})
export type NamespaceWire = Static<typeof NamespaceSchema>

// ---- the dashboard ----

/** How many tasks the dashboard's timeline draws (the most recently created), and so carry their history in the overview. */
export const TIMELINE_TASKS = 40
/** History entries per task in the overview, at most (a task the engine runs makes a handful; a loaded state may hold any number). */
export const OVERVIEW_HISTORY_ENTRIES = 32

const OverviewTaskSchema = Type.Object({
  task: TaskSchema,
  phase: StringEnum(PHASE_NAMES),
  created_at: Type.String(),
  phase_started_at: Type.String(),
  phase_ends_at: Type.Union([Type.String(), Type.Null()], { description: 'null: held until stepped, or ended' }),
  expires_at: Type.Union([Type.String(), Type.Null()]),
  pending_cancel_at: Type.Union([Type.String(), Type.Null()]),
  history: Type.Optional(Type.Array(Type.Object({
    at: Type.String({ description: 'emulated time, ISO-8601 UTC with milliseconds' }),
    phase: StringEnum(PHASE_NAMES),
    cause: StringEnum(Object.keys(HISTORY_CAUSES) as Array<keyof typeof HISTORY_CAUSES>)
  }), { maxItems: OVERVIEW_HISTORY_ENTRIES, description: `the task's latest ${OVERVIEW_HISTORY_ENTRIES} history entries, oldest first; given only for the ${TIMELINE_TASKS} most recently created tasks (the ones the dashboard's timeline draws)` }))
})

export const OverviewSchema = Type.Object({
  namespace: Type.String(),
  clock: Type.Object({ ...ClockSchema.properties, next_event_at: Type.Union([Type.String(), Type.Null()]) }),
  tasks: Type.Array(OverviewTaskSchema),
  crdbs: Type.Array(CrdbSchema),
  faults: Type.Array(FaultRuleSchema),
  requests: Type.Array(JournalEntrySchema, { description: 'the latest requests, newest last' }),
  clusters: Type.Array(Type.Object({ ...LinkSchema.properties, crdbs: Type.Array(Type.String(), { description: 'names of the CRDBs it spans' }) }))
})

export const ForceQuerySchema = CancelQuerySchema
