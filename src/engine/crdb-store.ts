import { effectiveDbConfig, IMMUTABLE_FIELDS } from './crdb-defaults.js'
import { applyChange, CHANGES_CONFIG, clusterNames, KEPT_CONFIGURATIONS, newCrdb, OPERATION_OF, type Crdb, type CrdbChange, type CrdbDraft, type CrdbPatch, type InstanceDraft } from './crdbs.js'
import { isEnded, type ActivePhase } from './phases.js'
import type { Refusal } from './refusals.js'
import type { Task, TaskSpec } from './task.js'

/** The active create_crdb task that is making a CRDB with this GUID, if any (the CRDB exists only once it completes). */
export function creatorOf (tasks: Iterable<Task>, guid: string): string | undefined {
  for (const task of tasks) {
    if (task.operation === 'create_crdb' && !isEnded(task.phase) && (task.plannedGuid === guid || task.crdbGuid === guid)) return task.id
  }
  return undefined
}

type PlanRefusal = Refusal<'crdb_not_found' | 'crdb_not_acceptable' | 'crdb_instance_not_found'>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** GUIDs of deleted CRDBs remembered, so that a second delete gets the documented 406. */
const REMEMBERED_DELETES = 1000

const notAcceptable = (detail: string): PlanRefusal => ({ ok: false, reason: 'crdb_not_acceptable', detail })

/**
 * The CRDBs of one fake cluster, and the rules for changing them: each change is checked against
 * the CRDB as it is, applies only when its task completes, and runs alone (a cluster runs one
 * change of a CRDB at a time). It also keeps the configuration versions health_report shows.
 */
export class CrdbStore {
  private readonly crdbs = new Map<string, Crdb>()
  private readonly deleted = new Set<string>()

  get size (): number {
    return this.crdbs.size
  }

  /** Every CRDB, oldest first. */
  list (): IterableIterator<Crdb> {
    return this.crdbs.values()
  }

  get (guid: string): Crdb | undefined {
    return this.crdbs.get(guid)
  }

  /**
   * The task spec a change needs (operation, GUID, clusters), or why it cannot start now.
   * `plannedBy` names the task, not yet started, that will create a CRDB with this GUID, if any.
   */
  plan (guid: string | null, change: CrdbChange, maxCrdbs: number, plannedBy: (guid: string) => string | undefined): { ok: true, spec: TaskSpec } | PlanRefusal | Refusal<'too_many_crdbs'> {
    const spec: TaskSpec = { operation: OPERATION_OF[change.kind] }
    if (change.kind === 'create') {
      if (this.crdbs.size >= maxCrdbs) {
        return { ok: false, reason: 'too_many_crdbs', detail: `The emulator already keeps ${this.crdbs.size} CRDBs (--max-crdbs ${maxCrdbs}). Delete one, or reset.` }
      }
      const planner = change.guid === undefined ? undefined : plannedBy(change.guid)
      if (planner !== undefined) return notAcceptable(`Task ${planner} already creates a CRDB with GUID ${change.guid ?? ''}.`)
      const refused = this.checkDraft(change.draft, change.guid)
      if (refused !== undefined) return refused
      spec.clusters = clusterNames(change.draft.instances)
      if (change.guid !== undefined) spec.crdbGuid = change.guid
      return { ok: true, spec }
    }
    const crdb = guid === null ? undefined : this.crdbs.get(guid)
    if (crdb === undefined) {
      // the delete page: 406 "The Active-Active GUID is invalid, or the Active-Active database was already deleted"
      if (change.kind === 'delete' && guid !== null && (!UUID.test(guid) || this.deleted.has(guid))) {
        return notAcceptable(UUID.test(guid) ? `CRDB ${guid} was already deleted.` : `"${guid}" is not a valid Active-Active database GUID.`)
      }
      return { ok: false, reason: 'crdb_not_found', detail: `No CRDB with GUID "${guid ?? ''}".` }
    }
    if (crdb.activeTaskId !== null) {
      return notAcceptable(`CRDB ${crdb.guid} is being changed by task ${crdb.activeTaskId}; a cluster runs one change of a CRDB at a time. Wait for that task to end.`)
    }
    const refused = this.checkChange(crdb, change)
    if (refused !== undefined) return refused
    spec.crdbGuid = crdb.guid
    const added = change.kind === 'modify' ? change.add ?? [] : []
    const purged = change.kind === 'purge' ? crdb.forceRemoved.filter((i) => change.instances.includes(i.id)) : []
    spec.clusters = clusterNames([...crdb.instances, ...added, ...purged])
    return { ok: true, spec }
  }

  /** A task has started for this CRDB: it takes no other change until the task ends. */
  lock (guid: string, taskId: string): void {
    const crdb = this.crdbs.get(guid)
    if (crdb !== undefined) crdb.activeTaskId = taskId
  }

  /** A task of a CRDB entered an active phase: its new configuration is posted, then ready. */
  taskEntered (task: Task, phase: ActivePhase): void {
    const crdb = this.configChangeOf(task)
    if (crdb === undefined) return
    if (phase === 'running') {
      const version = Math.max(...crdb.configurations.map((c) => c.version), crdb.activeConfigVersion) + 1
      crdb.configurations = [...crdb.configurations, { version, status: 'posted' as const }].slice(-KEPT_CONFIGURATIONS)
    } else if (phase === 'commit') {
      this.markLatest(crdb, 'ready')
    }
  }

  /** Applies an ended task's change if it completed; any ended task of a CRDB lifts its lock. */
  taskEnded (task: Task): void {
    const change = task.change
    const guid = task.crdbGuid
    if (change === null || guid === null) return
    let crdb = this.crdbs.get(guid)
    if (crdb !== undefined && crdb.activeTaskId === task.id) crdb.activeTaskId = null
    if (task.phase !== 'completed') {
      if (crdb === undefined) return
      if (task.phase === 'failed') {
        for (const error of task.errors) if (error.cluster_name !== '') crdb.connectionErrors = { ...crdb.connectionErrors, [error.cluster_name]: error.description }
      }
      // a configuration that was posted or ready fails with its task; one committed (a
      // force-cancel during commit) stays so
      const latest = crdb.configurations.at(-1)?.status
      if (this.configChangeOf(task) !== undefined && (latest === 'posted' || latest === 'ready')) this.markLatest(crdb, 'failed')
      return
    }
    if (change.kind === 'create') {
      crdb = newCrdb(guid, change.draft, 'active')
      this.crdbs.set(guid, crdb)
      return
    }
    if (crdb === undefined) return
    if (!applyChange(crdb, change)) {
      this.crdbs.delete(guid)
      this.deleted.add(guid)
      if (this.deleted.size > REMEMBERED_DELETES) this.deleted.delete(this.deleted.values().next().value as string)
      return
    }
    // a change of the configuration that completes repairs the CRDB; a flush or a purge does not
    if (CHANGES_CONFIG.has(change.kind)) {
      crdb.status = 'active'
      crdb.connectionErrors = {}
      this.markLatest(crdb, 'commit-completed')
      crdb.activeConfigVersion = crdb.configurations.at(-1)?.version ?? crdb.activeConfigVersion
    }
  }

  /**
   * A task was force-canceled during its commit: the real docs warn this "can break the CRDB",
   * so nothing is rolled back and the CRDB (a create's, half made) is left `inconsistent`.
   */
  brokenByForceCancel (task: Task): void {
    if (task.crdbGuid === null) return
    if (task.change?.kind === 'create') {
      this.crdbs.set(task.crdbGuid, newCrdb(task.crdbGuid, task.change.draft, 'inconsistent'))
      return
    }
    const crdb = this.crdbs.get(task.crdbGuid)
    if (crdb === undefined) return
    crdb.status = 'inconsistent'
    if (this.configChangeOf(task) !== undefined) this.markLatest(crdb, 'committed')
  }

  /** Replaces every CRDB (an empty map: forgets them all, and the deletes it remembers). */
  replace (crdbs: ReadonlyMap<string, Crdb> = new Map()): void {
    this.crdbs.clear()
    this.deleted.clear()
    for (const [guid, crdb] of crdbs) this.crdbs.set(guid, crdb)
  }

  private configChangeOf (task: Task): Crdb | undefined {
    if (task.change === null || task.crdbGuid === null || !CHANGES_CONFIG.has(task.change.kind)) return undefined
    return this.crdbs.get(task.crdbGuid)
  }

  private markLatest (crdb: Crdb, status: Crdb['configurations'][number]['status']): void {
    const latest = crdb.configurations.at(-1)
    if (latest === undefined || latest.version <= crdb.activeConfigVersion) return
    crdb.configurations = [...crdb.configurations.slice(0, -1), { version: latest.version, status }]
  }

  /** The rules a new CRDB must meet beyond its form (the Active-Active planning and create pages). */
  private checkDraft (draft: CrdbDraft, guid: string | undefined): PlanRefusal | undefined {
    if (guid !== undefined && this.crdbs.has(guid)) return notAcceptable(`A CRDB with GUID ${guid} already exists.`)
    if (draft.instances.length < 2) {
      return notAcceptable(`Field "instances": an Active-Active database needs at least two participating clusters, not ${draft.instances.length}.`)
    }
    return checkInstances(draft.instances, []) ?? checkConfig(draft.default_db_config, 'default_db_config') ??
      draft.instances.map((i, n) => checkConfig(i.db_config, `instances[${n}].db_config`)).find((r) => r !== undefined)
  }

  private checkChange (crdb: Crdb, change: CrdbChange): PlanRefusal | undefined {
    switch (change.kind) {
      case 'update':
        return checkPatch(crdb, change.patch, '')
      case 'modify': {
        const patched = change.patch === undefined ? undefined : checkPatch(crdb, change.patch, 'crdb.')
        if (patched !== undefined) return patched
        const unknown = (change.remove ?? []).find((id) => !crdb.instances.some((i) => i.id === id))
        if (unknown !== undefined) return { ok: false, reason: 'crdb_instance_not_found', detail: `Field "remove_instances": CRDB ${crdb.guid} has no instance ${unknown}.` }
        const added = change.add ?? []
        // a cluster removed in the same request may join again
        const staying = crdb.instances.filter((i) => !(change.remove ?? []).includes(i.id))
        const clash = checkInstances(added, staying)
        if (clash !== undefined) return clash
        const left = crdb.instances.length - new Set(change.remove).size + added.length
        if (left < 2) return notAcceptable(`Field "remove_instances": an Active-Active database needs at least two participating clusters; this would leave ${left}.`)
        return added.map((i, n) => checkConfig(i.db_config, `add_instances[${n}].db_config`)).find((r) => r !== undefined)
      }
      case 'purge': {
        const unknown = change.instances.find((id) => !crdb.forceRemoved.some((i) => i.id === id))
        if (unknown === undefined) return undefined
        const active = crdb.instances.some((i) => i.id === unknown)
        return { ok: false, reason: 'crdb_instance_not_found', detail: `Field "instances": CRDB ${crdb.guid} has no instance ${unknown} removed by force${active ? ' (it is still a member: remove it with force_remove first)' : ''}.` }
      }
      case 'upgrade': {
        const loaded = new Set(((effectiveDbConfig(crdb).module_list ?? []) as Array<{ module_name?: string }>).map((m) => m.module_name))
        const foreign = (change.options.modules ?? []).map((m) => m.module_name ?? m.new_module ?? m.current_module).find((name) => typeof name === 'string' && !loaded.has(name))
        return foreign === undefined ? undefined : notAcceptable(`Field "modules": module ${String(foreign)} is not loaded in CRDB ${crdb.guid}; its capabilities do not comply with the database configuration.`)
      }
      default:
        return undefined
    }
  }
}

/** Each instance needs its own cluster: no two share a name or a URL, among themselves or with `existing`. */
function checkInstances (instances: readonly InstanceDraft[], existing: readonly InstanceDraft[]): PlanRefusal | undefined {
  const names = new Set(existing.map((i) => i.cluster.name))
  const urls = new Set(existing.map((i) => i.cluster.url))
  for (const [n, instance] of instances.entries()) {
    const { name, url } = instance.cluster
    if (names.has(name)) return notAcceptable(`Field "instances[${n}].cluster.name": cluster ${name} already has an instance of this database; each instance needs its own cluster.`)
    if (urls.has(url)) return notAcceptable(`Field "instances[${n}].cluster.url": ${url} already has an instance of this database; each instance needs its own cluster.`)
    names.add(name)
    urls.add(url)
  }
  return undefined
}

/** Settings an Active-Active database does not support (the Active-Active manage page). */
function checkConfig (config: Record<string, unknown> | undefined, where: string): PlanRefusal | undefined {
  if (config?.data_persistence === 'snapshot') {
    return notAcceptable(`Field "${where}.data_persistence": snapshot persistence is not supported for Active-Active databases; use aof.`)
  }
  return undefined
}

/** A change of settings: to instances that exist, of nothing fixed at creation. */
function checkPatch (crdb: Crdb, patch: CrdbPatch, prefix: string): PlanRefusal | undefined {
  const current = effectiveDbConfig(crdb)
  for (const field of IMMUTABLE_FIELDS) {
    const wanted = patch.default_db_config?.[field]
    if (wanted !== undefined && JSON.stringify(wanted) !== JSON.stringify(current[field])) {
      return notAcceptable(`Field "${prefix}default_db_config.${field}" cannot be changed after the Active-Active database is created.`)
    }
  }
  for (const [n, change] of (patch.instances ?? []).entries()) {
    const instance = crdb.instances.find((i) => i.id === change.id)
    if (instance === undefined) return { ok: false, reason: 'crdb_instance_not_found', detail: `Field "${prefix}instances[${n}].id": CRDB ${crdb.guid} has no instance ${change.id}.` }
    const wantedPort = change.db_config?.port
    if (wantedPort !== undefined && wantedPort !== (instance.db_config?.port ?? current.port)) {
      return notAcceptable(`Field "${prefix}instances[${n}].db_config.port" cannot be changed after the Active-Active database is created.`)
    }
    const persistence = checkConfig(change.db_config, `${prefix}instances[${n}].db_config`)
    if (persistence !== undefined) return persistence
  }
  return checkConfig(patch.default_db_config, `${prefix}default_db_config`)
}
