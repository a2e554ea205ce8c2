import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { CONFIG_STATUSES, CRDB_STATUSES } from '../engine/crdbs.js'
import { FreeObject, StringEnum } from '../engine/schema-kit.js'

/**
 * The Active-Active requests' bodies and objects, field by field as the docs give them
 * (objects/crdb, instance_info, cluster_info, database_config, modify_request, health_report;
 * requests/crdbs/upgrade). Fields the docs do not list are accepted and ignored, as a real
 * cluster's are; a documented field with a wrong type, value or range is refused.
 */

const Bool = Type.Boolean()
const Str = Type.String()
const Int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max })
const Enum = <T extends string>(values: readonly T[]) => StringEnum(values)

/** database_config (8.0 and latest), by group; `default_db_config` and an instance's `db_config` alike. */
const DB_CONFIG_FIELDS = {
  // A: must be the same on every instance
  module_list: Type.Array(Type.Object({
    module_id: Type.Optional(Str),
    module_args: Type.Optional(Type.String({ pattern: '^[^&<>"]*$' })),
    module_name: Type.Optional(Str),
    semantic_version: Type.Optional(Str)
  })),
  oss_sharding: Bool,
  redis_version: Type.String({ pattern: '^[0-9]+(\\.[0-9]+){0,2}$' }),
  sharding: Bool,
  shard_key_regex: Type.Array(Type.Object({ regex: Str })),
  tls_mode: Enum(['enabled', 'disabled', 'replica_ssl']),
  // B: important to set on every instance
  eviction_policy: Enum(['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']),
  memory_size: Type.Integer({ minimum: 0 }),
  oss_cluster: Bool,
  oss_cluster_api_preferred_ip_type: Enum(['internal', 'external']),
  proxy_policy: Enum(['single', 'all-master-shards', 'all-nodes']),
  rack_aware: Bool,
  shards_count: Int(1, 512),
  shards_placement: Enum(['dense', 'sparse']),
  // C: recommended on every instance
  aof_policy: Enum(['appendfsync-every-sec', 'appendfsync-always']),
  authentication_redis_pass: Str,
  data_persistence: Enum(['disabled', 'snapshot', 'aof']),
  max_aof_file_size: Type.Integer({ minimum: 0 }),
  max_aof_load_time: Type.Integer({ minimum: 0 }),
  replication: Bool,
  replication_oom_threshold_percent: Int(0, 20),
  snapshot_policy: Type.Array(FreeObject('a snapshot policy')),
  // D: per instance
  authentication_admin_pass: Str,
  authentication_ssl_client_certs: Type.Array(Type.Object({ client_cert: Str })),
  cert: Str,
  enforce_client_authentication: Enum(['enabled', 'disabled']),
  mtls_allow_outdated_certs: Bool,
  mtls_allow_weak_hashing: Bool,
  port: Int(1, 65535),
  private_key: Str,
  // up to 7.22
  bigstore: Bool,
  bigstore_ram_size: Type.Integer({ minimum: 0 })
} satisfies Record<string, TSchema>

/** The same field, or null (a PATCH's way to restore the default or drop an instance's override). */
function orNull (schema: TSchema): TSchema {
  const raw = schema as { type?: string, enum?: unknown[] }
  if (raw.type === undefined) return Type.Union([schema, Type.Null()])
  return Type.Unsafe({ ...schema, type: [raw.type, 'null'], ...(raw.enum === undefined ? {} : { enum: [...raw.enum, null] }) })
}

const dbConfig = (nullable: boolean) => Type.Object(
  Object.fromEntries(Object.entries(DB_CONFIG_FIELDS).map(([k, v]) => [k, Type.Optional(nullable ? orNull(v) : v)])),
  // a real database_config has a few dozen fields
  { additionalProperties: true, maxProperties: 256 }
) as unknown as ReturnType<typeof FreeObject>

const ClusterInSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 253 }),
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  credentials: Type.Optional(Type.Object({ username: Str, password: Str })),
  certificate_auth: Type.Optional(Type.Object({ client_cert: Str, client_key: Str, trusted_ca: Type.Optional(Str) })),
  replication_endpoint: Type.Optional(Str),
  replication_tls_sni: Type.Optional(Str)
})

const InstanceInSchema = Type.Object({
  cluster: ClusterInSchema,
  compression: Type.Optional(Int(0, 6)),
  db_config: Type.Optional(dbConfig(false))
})
export type InstanceIn = Static<typeof InstanceInSchema>

/** The CRDB name rule of the Active-Active create page: at most 63 of letters, digits and "-", starting and ending with a letter or digit. */
const CRDB_NAME = '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$'

/** `POST /v1/crdbs`: a CRDB object that defines the database. */
export const CreateCrdbBodySchema = Type.Object({
  name: Type.String({ pattern: CRDB_NAME }),
  guid: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' })),
  default_db_config: Type.Optional(dbConfig(false)),
  instances: Type.Array(InstanceInSchema, { minItems: 1, maxItems: 64 }),
  encryption: Type.Optional(Bool),
  causal_consistency: Type.Optional(Bool)
}, { additionalProperties: true })
export type CreateCrdbBody = Static<typeof CreateCrdbBodySchema>

/** `PATCH /v1/crdbs/{guid}` (and `crdb` in `/updates`): only the fields to change; instances by id. */
export const PatchCrdbBodySchema = Type.Object({
  name: Type.Optional(Type.String({ pattern: CRDB_NAME })),
  default_db_config: Type.Optional(dbConfig(true)),
  encryption: Type.Optional(Bool),
  causal_consistency: Type.Optional(Bool),
  instances: Type.Optional(Type.Array(Type.Object({
    id: Type.Integer({ minimum: 1 }),
    compression: Type.Optional(Int(0, 6)),
    db_config: Type.Optional(dbConfig(true))
  }, { additionalProperties: true }), { maxItems: 64 }))
}, { additionalProperties: true })
export type PatchCrdbBody = Static<typeof PatchCrdbBodySchema>

/** `POST /v1/crdbs/{guid}/updates`: the modify_request object. */
export const UpdatesBodySchema = Type.Object({
  add_instances: Type.Optional(Type.Array(InstanceInSchema, { maxItems: 64 })),
  remove_instances: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 64 })),
  force_remove: Type.Optional(Bool),
  crdb: Type.Optional(PatchCrdbBodySchema),
  force_update: Type.Optional(Bool)
}, { additionalProperties: true })
export type UpdatesBody = Static<typeof UpdatesBodySchema>

/** `PUT /v1/crdbs/{guid}/purge`. */
export const PurgeBodySchema = Type.Object({
  instances: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 64 })
}, { additionalProperties: true })

/** `POST /v1/crdbs/{guid}/upgrade` (8.0 and later). */
export const UpgradeBodySchema = Type.Object({
  force_discard: Type.Optional(Bool),
  force_restart: Type.Optional(Bool),
  keep_crdt_protocol_version: Type.Optional(Bool),
  may_discard_data: Type.Optional(Bool),
  modules: Type.Optional(Type.Array(Type.Object({
    current_module: Type.Optional(Str),
    new_module: Type.Optional(Str),
    new_module_args: Type.Optional(Str),
    module_name: Type.Optional(Str)
  }, { additionalProperties: true }), { maxItems: 64 })),
  parallel_shards_upgrade: Type.Optional(Type.Integer({ minimum: 1 })),
  preserve_roles: Type.Optional(Bool),
  redis_version: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+){0,2}$' }))
}, { additionalProperties: true })
export type UpgradeBody = Static<typeof UpgradeBodySchema>

// ---- what the API answers ----

const ClusterOutSchema = Type.Object({
  name: Str,
  url: Str,
  replication_endpoint: Type.Optional(Str),
  replication_tls_sni: Type.Optional(Str)
})

/** The CRDB object, with the defaults a real cluster fills in (credentials are never shown). */
export const CrdbSchema = Type.Object({
  guid: Str,
  name: Str,
  default_db_config: FreeObject('the database settings of every instance, defaults filled in'),
  instances: Type.Array(Type.Object({
    id: Type.Integer(),
    cluster: ClusterOutSchema,
    compression: Type.Integer(),
    db_config: FreeObject('settings that override default_db_config on this instance'),
    db_uid: Type.String({ description: 'the instance\'s database id; empty but for the local instance' })
  })),
  encryption: Bool,
  causal_consistency: Bool,
  featureset_version: Type.Integer(),
  protocol_version: Type.Integer(),
  local_databases: Type.Array(Type.Object({ bdb_uid: Str, id: Type.Integer() })),
  modules: Type.Array(Type.Object({ featureset_version: Type.Integer(), module_name: Str })),
  managed_by: Str,
  volatile_config_fields: Type.Array(Str),
  status: StringEnum(CRDB_STATUSES, 'the emulator\'s own: active, or inconsistent after a force-cancel during commit')
})
export type CrdbWire = Static<typeof CrdbSchema>

/** `GET /v1/crdbs`: real clusters wrap the list. */
export const CrdbListSchema = Type.Object({ crdbs: Type.Array(CrdbSchema) })

/** One instance's health report. */
export const HealthReportSchema = Type.Object({
  guid: Str,
  name: Str,
  cluster_name: Str,
  active_config_version: Type.Integer(),
  configurations: Type.Array(Type.Object({
    version: Type.Integer(),
    status: StringEnum(CONFIG_STATUSES),
    name: Str,
    encryption: Bool,
    causal_consistency: Bool,
    featureset_version: Type.Integer(),
    protocol_version: Type.Integer(),
    instances: Type.Array(Type.Object({ id: Type.Integer(), db_uid: Str, cluster: Type.Object({ name: Str, url: Str }) }))
  })),
  connection_error: Type.Union([Str, Type.Null()]),
  connections: Type.Array(Type.Object({
    name: Str,
    status: Str,
    replication_links: Type.Array(Type.Object({ link_uid: Str, status: StringEnum(['up', 'down'] as const) }))
  }))
})
export type HealthReportWire = Static<typeof HealthReportSchema>
