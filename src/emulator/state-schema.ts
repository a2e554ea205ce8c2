import { Type, type Static } from '@sinclair/typebox'
import { EngineStateSchema } from '../engine/records-schema.js'
import { StringEnum } from '../engine/schema-kit.js'
import { FaultRuleInputSchema } from './faults.js'
import { ROLES } from './users.js'

/**
 * The shape of a state file, of `GET`/`PUT /__emulator/state`, and of a fixtures file (which
 * may also list `users`): every namespace's engine state and fault rules.
 */
export const STATE_FORMAT = 'crdb-tasks-emulator/state@1'

/** One fake cluster's state: its engine's (tasks, CRDBs, clock) and its fault rules. */
export const ClusterStateSchema = Type.Object({
  ...EngineStateSchema.properties,
  faults: Type.Optional(Type.Array(Type.Object({
    id: Type.Optional(Type.String()),
    hits: Type.Optional(Type.Integer({ minimum: 0 })),
    ...FaultRuleInputSchema.properties
  }, { additionalProperties: false }))),
  /** Linked clusters only: each member's state (a member not named here is reachable). */
  clusters: Type.Optional(Type.Array(Type.Object({
    name: Type.String({ minLength: 1 }),
    reachable: Type.Optional(Type.Boolean()),
    delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 }))
  }, { additionalProperties: false })))
}, { additionalProperties: false })
export type ClusterState = Static<typeof ClusterStateSchema>

export const StateSchema = Type.Object({
  format: Type.Optional(Type.Literal(STATE_FORMAT)),
  saved_at: Type.Optional(Type.String()),
  /** Fixtures only: users added to the configured ones. */
  users: Type.Optional(Type.Array(Type.Object({
    email: Type.String({ minLength: 1 }),
    password: Type.String(),
    role: StringEnum(ROLES)
  }, { additionalProperties: false }))),
  namespaces: Type.Record(Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), ClusterStateSchema, {
    additionalProperties: false,
    description: 'an object of namespaces by name (1 to 64 of lowercase letters, digits and "-")'
  })
}, { additionalProperties: false })
export type State = Static<typeof StateSchema>
