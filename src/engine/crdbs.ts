/**
 * Active-Active databases (CRDBs) as the engine keeps them, and the changes tasks make to them.
 * Field names are the real API's, since they are echoed as they were given; the defaults a real
 * cluster fills in are added on the way out (`crdb-defaults.ts`). Credentials are never kept:
 * the HTTP layer drops them before a draft reaches the engine.
 */

/** A participating cluster as an instance names it. */
export interface CrdbCluster {
  name: string
  url: string
  replication_endpoint?: string
  replication_tls_sni?: string
}

/** An instance as a request gives it (no id yet). */
export interface InstanceDraft {
  cluster: CrdbCluster
  compression?: number
  db_config?: Record<string, unknown>
}

/** An instance of a CRDB: `id` 1, 2, ... in order of joining, never reused. */
export interface CrdbInstance extends InstanceDraft {
  id: number
  /** The id of the instance's database on its own cluster. */
  db_uid: string
}

export const CRDB_STATUSES = ['active', 'inconsistent'] as const
export type CrdbStatus = (typeof CRDB_STATUSES)[number]

/** What health_report shows of a configuration version: posted, then ready, then commit-completed (or failed). */
export const CONFIG_STATUSES = ['posted', 'ready', 'committed', 'commit-completed', 'failed'] as const
export type ConfigStatus = (typeof CONFIG_STATUSES)[number]

export interface CrdbConfiguration {
  version: number
  status: ConfigStatus
}

export interface Crdb {
  guid: string
  name: string
  default_db_config: Record<string, unknown>
  instances: CrdbInstance[]
  encryption: boolean
  causal_consistency: boolean
  /** `inconsistent` after a force-cancel during the commit of one of its tasks. */
  status: CrdbStatus
  /** The id the next instance to join takes. */
  nextInstanceId: number
  /** Instances removed by force: they keep their data until purged. */
  forceRemoved: CrdbInstance[]
  /** The active configuration version, and the latest versions with their statuses (newest last). */
  activeConfigVersion: number
  configurations: CrdbConfiguration[]
  /** The last failure seen on a participating cluster, by cluster name, until a change completes. */
  connectionErrors: Record<string, string>
  /** The task changing this CRDB now: a cluster runs one change of a CRDB at a time. */
  activeTaskId: string | null
}

/** What `POST /v1/crdbs` asks for. */
export interface CrdbDraft {
  name: string
  default_db_config?: Record<string, unknown>
  instances: InstanceDraft[]
  encryption?: boolean
  causal_consistency?: boolean
}

/** An instance's settings changed by id (`null` in `db_config` removes an override). */
export interface InstancePatch {
  id: number
  compression?: number
  db_config?: Record<string, unknown>
}

/** What `PATCH /v1/crdbs/{guid}` (or the `crdb` of `/updates`) asks for; `null` in `default_db_config` restores a default. */
export interface CrdbPatch {
  name?: string
  default_db_config?: Record<string, unknown>
  encryption?: boolean
  causal_consistency?: boolean
  instances?: InstancePatch[]
}

/** What `POST /v1/crdbs/{guid}/upgrade` asks for (the documented fields). */
export interface UpgradeOptions {
  redis_version?: string
  modules?: Array<Record<string, unknown>>
  force_discard?: boolean
  force_restart?: boolean
  keep_crdt_protocol_version?: boolean
  may_discard_data?: boolean
  parallel_shards_upgrade?: number
  preserve_roles?: boolean
}

/**
 * What the cluster that took a request found of each joining instance's credentials, against
 * the users of the cluster the instance names (the credentials themselves are never kept).
 */
export interface InstanceCheck {
  cluster: string
  credentials: 'accepted' | 'rejected' | 'unchecked'
}

/** The change a task makes to a CRDB when it completes. */
export type CrdbChange =
  | { kind: 'create', draft: CrdbDraft, guid?: string, checks?: InstanceCheck[] }
  | { kind: 'update', patch: CrdbPatch }
  | { kind: 'modify', patch?: CrdbPatch, add?: InstanceDraft[], remove?: number[], forceRemove?: boolean, forceUpdate?: boolean, checks?: InstanceCheck[] }
  | { kind: 'delete' }
  | { kind: 'flush', async?: boolean }
  | { kind: 'purge', instances: number[] }
  | { kind: 'upgrade', options: UpgradeOptions }

/** The operation each change's task carries (the docs name only create_crdb; the rest follow the permission names). */
export const OPERATION_OF = {
  create: 'create_crdb',
  update: 'update_crdb',
  modify: 'update_crdb',
  delete: 'delete_crdb',
  flush: 'flush_crdb',
  purge: 'purge_crdb',
  upgrade: 'upgrade_crdb'
} as const

/** Changes that make a new configuration version (shown by health_report). */
export const CHANGES_CONFIG: ReadonlySet<CrdbChange['kind']> = new Set(['update', 'modify', 'upgrade'])

/** How many configuration versions a CRDB remembers for health_report. */
export const KEPT_CONFIGURATIONS = 8

/** A new CRDB from its draft: instances get ids 1, 2, ... and configuration version 1. */
export function newCrdb (guid: string, draft: CrdbDraft, status: CrdbStatus): Crdb {
  const crdb: Crdb = {
    guid,
    name: draft.name,
    default_db_config: draft.default_db_config ?? {},
    instances: [],
    encryption: draft.encryption ?? false,
    causal_consistency: draft.causal_consistency ?? false,
    status,
    nextInstanceId: 1,
    forceRemoved: [],
    activeConfigVersion: 1,
    configurations: [{ version: 1, status: status === 'active' ? 'commit-completed' : 'committed' }],
    connectionErrors: {},
    activeTaskId: null
  }
  for (const instance of draft.instances) join(crdb, instance)
  return crdb
}

/** Adds an instance with the next id. */
function join (crdb: Crdb, draft: InstanceDraft): void {
  const id = crdb.nextInstanceId++
  crdb.instances.push({ ...draft, id, db_uid: String(id) })
}

/** `{...base, ...changes}`, where a `null` in `changes` removes the key. */
export function mergeConfig (base: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base }
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key]
    else merged[key] = value
  }
  return merged
}

export function applyPatch (crdb: Crdb, patch: CrdbPatch): void {
  if (patch.name !== undefined) crdb.name = patch.name
  if (patch.default_db_config !== undefined) crdb.default_db_config = mergeConfig(crdb.default_db_config, patch.default_db_config)
  if (patch.encryption !== undefined) crdb.encryption = patch.encryption
  if (patch.causal_consistency !== undefined) crdb.causal_consistency = patch.causal_consistency
  for (const change of patch.instances ?? []) {
    const instance = crdb.instances.find((i) => i.id === change.id)
    if (instance === undefined) continue
    if (change.compression !== undefined) instance.compression = change.compression
    if (change.db_config !== undefined) instance.db_config = mergeConfig(instance.db_config ?? {}, change.db_config)
  }
}

/** Applies a completed task's change; returns false when the CRDB is gone (deleted). */
export function applyChange (crdb: Crdb, change: CrdbChange): boolean {
  switch (change.kind) {
    case 'update':
      applyPatch(crdb, change.patch)
      return true
    case 'modify': {
      if (change.patch !== undefined) applyPatch(crdb, change.patch)
      const removed = new Set(change.remove ?? [])
      if (change.forceRemove === true) crdb.forceRemoved.push(...crdb.instances.filter((i) => removed.has(i.id)))
      crdb.instances = crdb.instances.filter((i) => !removed.has(i.id))
      for (const instance of change.add ?? []) join(crdb, instance)
      return true
    }
    case 'purge': {
      const purged = new Set(change.instances)
      crdb.forceRemoved = crdb.forceRemoved.filter((i) => !purged.has(i.id))
      return true
    }
    case 'upgrade':
      if (change.options.redis_version !== undefined) crdb.default_db_config = { ...crdb.default_db_config, redis_version: change.options.redis_version }
      return true
    case 'delete':
      return false
    case 'create':
    case 'flush':
      return true
  }
}

/** The names of the clusters a CRDB spans, for `progress.clusters`. */
export const clusterNames = (instances: readonly InstanceDraft[]): string[] => instances.map((i) => i.cluster.name)
