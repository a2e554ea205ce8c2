/**
 * Active-Active databases (CRDBs) as the engine keeps them, and the changes tasks make to them.
 * Field names are the real API's, since they are echoed as they were given. Credentials are
 * never kept: the HTTP layer drops them before a draft reaches the engine.
 */
export interface CrdbInstance {
  cluster: { name: string, url: string }
  compression?: number
  db_config?: Record<string, unknown>
}

export const CRDB_STATUSES = ['active', 'inconsistent'] as const
export type CrdbStatus = (typeof CRDB_STATUSES)[number]

export interface Crdb {
  guid: string
  name: string
  default_db_config: Record<string, unknown>
  instances: CrdbInstance[]
  encryption: boolean
  /** `inconsistent` after a force-cancel during the commit of one of its tasks. */
  status: CrdbStatus
  /** The active delete_crdb task, while one runs: other changes are refused meanwhile. */
  deletingTaskId: string | null
}

/** What `POST /v1/crdbs` asks for. */
export interface CrdbDraft {
  name: string
  default_db_config?: Record<string, unknown>
  instances: CrdbInstance[]
  encryption?: boolean
}

/** What `PATCH /v1/crdbs/{guid}` asks for: `default_db_config` is merged, the rest replaced. */
export type CrdbPatch = Partial<CrdbDraft>

/** The change a task makes to a CRDB when it completes. */
export type CrdbChange =
  | { kind: 'create', draft: CrdbDraft }
  | { kind: 'update', patch: CrdbPatch }
  | { kind: 'delete' }
  | { kind: 'flush' }

export const OPERATION_OF = {
  create: 'create_crdb',
  update: 'update_crdb',
  delete: 'delete_crdb',
  flush: 'flush_crdb'
} as const

export function newCrdb (guid: string, draft: CrdbDraft, status: CrdbStatus): Crdb {
  return {
    guid,
    name: draft.name,
    default_db_config: draft.default_db_config ?? {},
    instances: draft.instances,
    encryption: draft.encryption ?? false,
    status,
    deletingTaskId: null
  }
}

export function applyPatch (crdb: Crdb, patch: CrdbPatch): void {
  if (patch.name !== undefined) crdb.name = patch.name
  if (patch.default_db_config !== undefined) crdb.default_db_config = { ...crdb.default_db_config, ...patch.default_db_config }
  if (patch.instances !== undefined) crdb.instances = patch.instances
  if (patch.encryption !== undefined) crdb.encryption = patch.encryption
}

/** The names of the clusters a CRDB spans, for `progress.clusters`. */
export const clusterNames = (instances: readonly CrdbInstance[]): string[] => instances.map((i) => i.cluster.name)
