import type { Crdb, CrdbChange, InstanceDraft } from '../engine/crdbs.js'
import type { Task, TaskError } from '../engine/engine.js'
import { memberOf, type Topology } from './topology.js'

/** A member cluster as a namespace sees it now: reachable or down, and how slow. */
export interface LinkState {
  reachable: boolean
  /** Real ms every `/v1` request to it waits first. */
  delayMs: number
}

/** What a real cluster answers when it cannot reach a participating one (captured). */
export const UNREACHABLE = 'Unavailable or invalid port'

/**
 * The state of each member cluster in one namespace, and the judge of the tasks that need them:
 * a task of a CRDB fails, as it leaves running, when a participating cluster rejected the
 * credentials it was given (captured: `{"cluster_name": "", "description": "Error [401]",
 * "error_code": "internal_error"}`), names no known cluster, or cannot be reached (captured:
 * `{"cluster_name": "cluster2.local", "description": "Unavailable or invalid port",
 * "error_code": "db_create_failed"}`). Without linked clusters, nothing is judged.
 */
export class ClusterLinks {
  private readonly states = new Map<string, LinkState>()
  /** Counts changes, for the state file. */
  changes = 0

  constructor (readonly topology: Topology) {
    for (const m of topology.members) this.states.set(m.name, { reachable: true, delayMs: 0 })
  }

  list (): Array<{ name: string } & LinkState> {
    return this.topology.members.map((m) => ({ name: m.name, ...(this.states.get(m.name) as LinkState) }))
  }

  get (name: string): LinkState | undefined {
    return this.states.get(name)
  }

  /** Changes a member's state; false when there is no such member. */
  set (name: string, change: Partial<LinkState>): boolean {
    const state = this.states.get(name)
    if (state === undefined) return false
    this.states.set(name, { ...state, ...change })
    this.changes++
    return true
  }

  /** Every member reachable and quick again. */
  restore (saved: ReadonlyArray<{ name: string } & Partial<LinkState>> = []): void {
    for (const m of this.topology.members) this.states.set(m.name, { reachable: true, delayMs: 0 })
    for (const s of saved) {
      const state = this.states.get(s.name)
      if (state !== undefined) this.states.set(s.name, { reachable: s.reachable ?? state.reachable, delayMs: s.delayMs ?? state.delayMs })
    }
    this.changes++
  }

  /** Whether the cluster an instance names is down (an instance naming no member is not). */
  isDown (instance: Pick<InstanceDraft, 'cluster'>): boolean {
    const member = memberOf(this.topology, instance)
    return member !== undefined && this.states.get(member.name)?.reachable === false
  }

  /** The errors that fail this task now, if any (see the class). */
  judge (task: Task, crdb: Crdb | undefined): TaskError[] | undefined {
    if (!this.topology.linked || task.change === null) return undefined
    const change: CrdbChange = task.change
    const errorCode = change.kind === 'create' ? 'db_create_failed' : 'internal_error'
    const errors: TaskError[] = []
    if (change.kind === 'create' || change.kind === 'modify') {
      for (const check of change.checks ?? []) {
        if (check.credentials === 'rejected') errors.push({ cluster_name: '', description: 'Error [401]', error_code: 'internal_error' })
      }
    }
    const joining = change.kind === 'create' ? change.draft.instances : change.kind === 'modify' ? change.add ?? [] : []
    const leavingByForce = change.kind === 'modify' && change.forceRemove === true ? new Set(change.remove ?? []) : new Set<number>()
    const staying = (crdb?.instances ?? []).filter((i) => !leavingByForce.has(i.id))
    for (const instance of [...staying, ...joining]) {
      const unknown = memberOf(this.topology, instance) === undefined
      if ((unknown && joining.includes(instance)) || this.isDown(instance)) {
        errors.push({ cluster_name: instance.cluster.name, description: UNREACHABLE, error_code: errorCode })
      }
    }
    return errors.length === 0 ? undefined : errors
  }
}
