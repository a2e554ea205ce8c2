import { applyPatch, clusterNames, newCrdb, OPERATION_OF, type Crdb, type CrdbChange } from './crdbs.js'
import type { Refusal } from './refusals.js'
import type { Task, TaskSpec } from './task.js'

/**
 * The CRDBs of one fake cluster, and the rules for changing them: a change applies only when
 * its task completes; a delete under way refuses every other change of that CRDB.
 */
export class CrdbStore {
  private readonly crdbs = new Map<string, Crdb>()

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

  /** The task spec a change needs (operation, GUID, clusters), or why it cannot start now. */
  plan (guid: string | null, change: CrdbChange): { ok: true, spec: TaskSpec } | Refusal<'crdb_not_found' | 'crdb_not_acceptable'> {
    const spec: TaskSpec = { operation: OPERATION_OF[change.kind] }
    if (change.kind === 'create') {
      spec.clusters = clusterNames(change.draft.instances)
      return { ok: true, spec }
    }
    const crdb = guid === null ? undefined : this.crdbs.get(guid)
    if (crdb === undefined) return { ok: false, reason: 'crdb_not_found', detail: `No CRDB with GUID "${guid ?? ''}".` }
    if (crdb.deletingTaskId !== null) {
      return { ok: false, reason: 'crdb_not_acceptable', detail: `CRDB ${crdb.guid} is being deleted (task ${crdb.deletingTaskId}); it accepts no other change.` }
    }
    spec.crdbGuid = crdb.guid
    spec.clusters = clusterNames(crdb.instances)
    return { ok: true, spec }
  }

  /** A delete task has started for this CRDB: it takes no other change until the task ends. */
  lockForDelete (guid: string, taskId: string): void {
    const crdb = this.crdbs.get(guid)
    if (crdb !== undefined) crdb.deletingTaskId = taskId
  }

  /** Applies an ended task's change if it completed; any ended delete lifts the delete lock. */
  taskEnded (task: Task): void {
    const change = task.change
    const guid = task.crdbGuid
    if (change === null || guid === null) return
    const crdb = this.crdbs.get(guid)
    if (crdb !== undefined && crdb.deletingTaskId === task.id) crdb.deletingTaskId = null
    if (task.phase !== 'completed') return
    switch (change.kind) {
      case 'create':
        this.crdbs.set(guid, newCrdb(guid, change.draft, 'active'))
        return
      case 'update':
        if (crdb === undefined) return
        applyPatch(crdb, change.patch)
        crdb.status = 'active'
        return
      case 'delete':
        this.crdbs.delete(guid)
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
    if (crdb !== undefined) crdb.status = 'inconsistent'
  }

  /** Replaces every CRDB (an empty map: forgets them all). */
  replace (crdbs: ReadonlyMap<string, Crdb> = new Map()): void {
    this.crdbs.clear()
    for (const [guid, crdb] of crdbs) this.crdbs.set(guid, crdb)
  }
}
