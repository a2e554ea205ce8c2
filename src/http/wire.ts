import { DEFAULT_COMPRESSION, effectiveDbConfig, FEATURESET_VERSION, ONLY_BEFORE_8_0, ONLY_FROM_8_0, PROTOCOL_VERSION } from '../engine/crdb-defaults.js'
import type { Crdb, CrdbCluster, CrdbInstance } from '../engine/crdbs.js'
import type { Engine, Task } from '../engine/engine.js'
import { UNREACHABLE } from '../emulator/links.js'
import { PHASES, WORKER_NAME } from '../engine/phases.js'
import type { CrdbWire, HealthReportWire } from './crdb-schemas.js'
import type { ClockWire, HistoryWire, TaskWire } from './schemas.js'

/**
 * The one place where engine values become the wire's: tasks (short and verbose), CRDBs and
 * their health reports, the clock, a task's history, and times in the real API's format or the
 * control API's.
 */

/** `2022-10-12T09:33:41Z`: the real API's format, whole seconds, UTC. */
export function toWireTime (ms: number): string {
  const second = Math.floor(ms / 1000)
  let text = wireTimes.get(second)
  if (text === undefined) {
    // tasks share seconds and polls repeat them: formatting a Date per field per poll was a
    // visible part of a GET's cost, so the strings of recent seconds are kept
    if (wireTimes.size >= WIRE_TIMES) wireTimes.clear()
    text = new Date(second * 1000).toISOString().slice(0, 19) + 'Z'
    wireTimes.set(second, text)
  }
  return text
}

const WIRE_TIMES = 4096
const wireTimes = new Map<number, string>()

/** Control API times keep milliseconds: `2022-10-12T09:33:41.250Z`. */
export function toControlTime (ms: number): string {
  return new Date(ms).toISOString()
}

/** The one mapping of an engine task to the real API's task object (short form). */
export function toTaskWire (task: Task): TaskWire {
  const wire: TaskWire = { id: task.id, operation: task.operation, status: PHASES[task.phase].status }
  // a flush task never shows a GUID, as on real clusters
  if (task.crdbGuid !== null && task.operation !== 'flush_crdb') wire.crdb_guid = task.crdbGuid
  if (task.startedAt !== null) {
    wire.worker_name = WORKER_NAME
    wire.started = toWireTime(task.startedAt)
  }
  if (task.endedAt !== null) wire.ended = toWireTime(task.endedAt)
  if (task.errors.length > 0) wire.errors = task.errors as TaskWire['errors']
  return wire
}

/** The task with `progress` (what `verbose=true` adds). */
export function toTaskVerboseWire (task: Task): TaskWire {
  return {
    ...toTaskWire(task),
    progress: {
      worker: task.phase,
      clusters: task.clusters.map((name) => ({ name, progress: task.phase }))
    }
  }
}

/** Which Redis Software the emulator answers as, for what the wire shows of a CRDB. */
export interface WireVersion {
  /** Before 8.0, database_config had `bigstore*` and no `eviction_policy` nor `replication_oom_threshold_percent`. */
  before8: boolean
}

/**
 * The instance local to the cluster that answers: the one `instanceId` names, else the one on
 * the answering cluster (`isLocal`), else the first (a cluster that is asked about a CRDB is one
 * of its participants).
 */
export function localInstance (crdb: Crdb, isLocal: (instance: CrdbInstance) => boolean, instanceId?: number): CrdbInstance | undefined {
  if (instanceId !== undefined) return crdb.instances.find((i) => i.id === instanceId)
  return crdb.instances.find(isLocal) ?? crdb.instances[0]
}

function dbConfigFor (crdb: Crdb, version: WireVersion): Record<string, unknown> {
  const config = effectiveDbConfig(crdb)
  if (!version.before8) return config
  for (const field of ONLY_FROM_8_0) if (crdb.default_db_config[field] === undefined) delete config[field]
  return { ...ONLY_BEFORE_8_0, ...config }
}

const clusterWire = (c: CrdbCluster): CrdbCluster => ({
  name: c.name,
  url: c.url,
  ...(c.replication_endpoint === undefined ? {} : { replication_endpoint: c.replication_endpoint }),
  ...(c.replication_tls_sni === undefined ? {} : { replication_tls_sni: c.replication_tls_sni })
})

/** The real API's CRDB object, seen from `local`, with the defaults a real cluster fills in; credentials were never kept. */
export function toCrdbWire (crdb: Crdb, local: CrdbInstance | undefined, version: WireVersion): CrdbWire {
  const modules = ((crdb.default_db_config.module_list ?? []) as Array<{ module_name?: string }>)
    .filter((m) => typeof m.module_name === 'string')
    .map((m) => ({ featureset_version: FEATURESET_VERSION, module_name: m.module_name as string }))
  return {
    guid: crdb.guid,
    name: crdb.name,
    default_db_config: dbConfigFor(crdb, version),
    instances: crdb.instances.map((i) => ({
      id: i.id,
      cluster: clusterWire(i.cluster),
      compression: i.compression ?? DEFAULT_COMPRESSION,
      db_config: i.db_config ?? {},
      db_uid: i === local ? i.db_uid : ''
    })),
    encryption: crdb.encryption,
    causal_consistency: crdb.causal_consistency,
    featureset_version: FEATURESET_VERSION,
    protocol_version: PROTOCOL_VERSION,
    local_databases: local === undefined ? [] : [{ bdb_uid: local.db_uid, id: local.id }],
    modules,
    managed_by: '',
    volatile_config_fields: [],
    status: crdb.status
  }
}

/**
 * What each instance's coordinator reports: the active configuration version, the versions with
 * their statuses, and its connections to the other instances' clusters (an error where a task
 * failed on that cluster, until a later change completes).
 */
export function toHealthReportWire (crdb: Crdb, instance: CrdbInstance, isDown: (instance: CrdbInstance) => boolean = () => false): HealthReportWire {
  // each report knows its own instance's database id only, as the CRDB object does
  const instances = crdb.instances.map((i) => ({ id: i.id, db_uid: i === instance ? i.db_uid : '', cluster: { name: i.cluster.name, url: i.cluster.url } }))
  // a cluster that is down now, or the last failed task named
  const errorOf = (cluster: string): string | null => {
    const other = crdb.instances.find((i) => i.cluster.name === cluster)
    return other !== undefined && isDown(other) ? UNREACHABLE : crdb.connectionErrors[cluster] ?? null
  }
  return {
    guid: crdb.guid,
    name: crdb.name,
    cluster_name: instance.cluster.name,
    active_config_version: crdb.activeConfigVersion,
    configurations: crdb.configurations.map((c) => ({
      version: c.version,
      status: c.status,
      name: crdb.name,
      encryption: crdb.encryption,
      causal_consistency: crdb.causal_consistency,
      featureset_version: FEATURESET_VERSION,
      protocol_version: PROTOCOL_VERSION,
      instances
    })),
    connection_error: errorOf(instance.cluster.name),
    connections: crdb.instances.filter((i) => i !== instance).map((other) => {
      const down = errorOf(other.cluster.name) !== null
      return {
        name: other.cluster.name,
        status: down ? 'error' : 'ok',
        replication_links: [{ link_uid: `${instance.db_uid}:${other.db_uid}`, status: down ? 'down' as const : 'up' as const }]
      }
    })
  }
}

/** The control API's clock: mode, emulated now with milliseconds, scale. */
export function toClockWire (engine: Engine): ClockWire {
  return { mode: engine.clock.mode, now: toControlTime(engine.now()), scale: engine.clock.scale }
}

/** Every phase change of a task, with its emulated time, status and cause. */
export function toHistoryWire (task: Task): HistoryWire {
  return {
    id: task.id,
    history: task.history.map((h) => ({ at: toControlTime(h.at), phase: h.phase, status: PHASES[h.phase].status, cause: h.cause }))
  }
}
