import { createCluster, exportClusterState, exportClusterText, importClusterState, type ClusterOptions, type FakeCluster } from './cluster.js'
import { systemTime, type ClockMode } from '../engine/clock.js'
import { TaskBudget } from '../engine/engine.js'
import { StateError } from '../engine/records.js'
import { STATE_FORMAT, type State } from './state-schema.js'

/** 1 to 64 of lowercase letters, digits and `-`. */
export const NAMESPACE_PATTERN = /^[a-z0-9-]{1,64}$/
export const DEFAULT_NAMESPACE = 'default'

export interface NamespaceSettings {
  clock?: ClockMode
  timeScale?: number
}

export interface Namespace {
  readonly name: string
  readonly cluster: FakeCluster
  /** Real ms of its last request, for the idle sweep. */
  lastUsed: number
}

export interface RegistryOptions {
  /** What every namespace's cluster is made from; a namespace may change the clock. */
  cluster: Omit<ClusterOptions, 'budget'>
  /** Namespaces at most, `default` not counted. */
  maxNamespaces: number
  /** A namespace with no request for this long (real ms) is removed. */
  idleTtlMs: number
  /** Real time (ms). */
  now: () => number
}

/**
 * Every fake cluster of one emulator, by namespace. `default` always exists; the others are made
 * on first use (or `PUT /__emulator/namespaces/{name}`), share `--max-tasks` in total, and are
 * removed when idle. Finding one is a map lookup.
 */
export class NamespaceRegistry {
  private readonly namespaces = new Map<string, Namespace>()
  private readonly budget: TaskBudget
  /** Counts namespaces made and removed, for the state file. */
  changes = 0
  /** Told of each namespace made after this is set. */
  onCreate: ((namespace: Namespace) => void) | null = null

  constructor (private readonly options: RegistryOptions) {
    this.budget = new TaskBudget(options.cluster.maxTasks)
    this.make(DEFAULT_NAMESPACE, {})
  }

  get default (): FakeCluster {
    return (this.namespaces.get(DEFAULT_NAMESPACE) as Namespace).cluster
  }

  /** Namespaces other than `default`. */
  get extraCount (): number {
    return this.namespaces.size - 1
  }

  /** The namespace's cluster if it exists, without marking it used. */
  peek (name: string): FakeCluster | undefined {
    return this.namespaces.get(name)?.cluster
  }

  /** The namespace's cluster if it exists, marking it used. */
  find (name: string): FakeCluster | undefined {
    const ns = this.namespaces.get(name)
    if (ns === undefined) return undefined
    ns.lastUsed = this.options.now()
    return ns.cluster
  }

  /** The namespace's cluster, made now if needed; `too_many_namespaces` past the cap. */
  obtain (name: string, settings: NamespaceSettings = {}): { ok: true, cluster: FakeCluster, created: boolean } | { ok: false, reason: 'too_many_namespaces', detail: string } {
    const found = this.find(name)
    if (found !== undefined) return { ok: true, cluster: found, created: false }
    if (this.extraCount >= this.options.maxNamespaces) {
      return { ok: false, reason: 'too_many_namespaces', detail: `The emulator already serves ${this.extraCount} namespaces besides default (--max-namespaces). Delete one, or wait for idle ones to go.` }
    }
    return { ok: true, cluster: this.make(name, settings), created: true }
  }

  /** Removes a namespace and everything in it. */
  delete (name: string): 'deleted' | 'not_found' | 'default' {
    if (name === DEFAULT_NAMESPACE) return 'default'
    const ns = this.namespaces.get(name)
    if (ns === undefined) return 'not_found'
    ns.cluster.engine.retire() // gives its tasks back to the shared budget, for good
    this.namespaces.delete(name)
    // the total of the counters must only grow: the removed namespace's count stays in it
    this.changes += ns.cluster.engine.changes + ns.cluster.faults.changes + ns.cluster.links.changes + 1
    return 'deleted'
  }

  list (): Namespace[] {
    return [...this.namespaces.values()]
  }

  /** Removes the namespaces idle for longer than the idle TTL; returns their names. */
  sweep (): string[] {
    const cutoff = this.options.now() - this.options.idleTtlMs
    const idle = this.list().filter((ns) => ns.name !== DEFAULT_NAMESPACE && ns.lastUsed <= cutoff).map((ns) => ns.name)
    for (const name of idle) this.delete(name)
    return idle
  }

  /** The sum of every change counter, for the state file. */
  totalChanges (): number {
    let total = this.changes
    for (const ns of this.namespaces.values()) total += ns.cluster.engine.changes + ns.cluster.faults.changes + ns.cluster.links.changes
    return total
  }

  /** The state of every namespace, or of one. */
  exportState (only?: string): State {
    const namespaces = only === undefined ? this.list() : this.list().filter((ns) => ns.name === only)
    return {
      format: STATE_FORMAT,
      saved_at: new Date(systemTime()).toISOString(),
      namespaces: Object.fromEntries(namespaces.map((ns) => [ns.name, exportClusterState(ns.cluster)]))
    }
  }

  /**
   * `exportState()` as JSON text in pieces (a `Text` of state-file.ts), for the state file: the
   * same state (the tasks come last in each namespace), taken now at little cost (see
   * `Engine.exportForSave`), to be written piece by piece without holding up requests.
   */
  exportStateText (): Array<string | readonly string[]> {
    const head = JSON.stringify({ format: STATE_FORMAT, saved_at: new Date(systemTime()).toISOString() })
    const pieces: Array<string | readonly string[]> = [`${head.slice(0, -1)},"namespaces":{`]
    for (const [i, ns] of this.list().entries()) {
      pieces.push(`${i === 0 ? '' : ','}${JSON.stringify(ns.name)}:`)
      for (const piece of exportClusterText(ns.cluster)) pieces.push(piece)
    }
    pieces.push('}}')
    return pieces
  }

  /** Readies `exportStateText` a part at a time (see `Engine.prepareSave`). */
  * prepareSave (): Generator<void> {
    for (const ns of this.list()) yield * ns.cluster.engine.prepareSave()
  }

  /**
   * Loads a schema-checked state (its `users` are the caller's business): every namespace, or,
   * with `into`, the state's one namespace into that one. Throws `StateError` naming the field,
   * and changes nothing, when it cannot be loaded: the whole state is first tried on scratch
   * clusters.
   */
  applyState (state: State, into?: string): void {
    const entries = Object.entries(state.namespaces)
    const badName = entries.find(([name]) => !NAMESPACE_PATTERN.test(name))
    if (badName !== undefined) throw new StateError(`namespaces: "${badName[0]}" is not a namespace name (1 to 64 of lowercase letters, digits and "-").`)
    if (into !== undefined && entries.length !== 1) {
      throw new StateError(`a state loaded into namespace "${into}" must hold exactly one namespace, not ${entries.length}.`)
    }
    const extra = entries.filter(([name]) => name !== DEFAULT_NAMESPACE).length
    if (into === undefined && extra > this.options.maxNamespaces) {
      throw new StateError(`the state holds ${extra} namespaces besides default, more than --max-namespaces (${this.options.maxNamespaces}).`)
    }
    let total = 0
    for (const [name, clusterState] of entries) {
      const scratch = createCluster({ ...this.options.cluster, faults: [] })
      try {
        importClusterState(scratch, clusterState)
      } catch (err) {
        if (err instanceof StateError) throw new StateError(`namespaces.${name}.${err.message}`)
        throw err
      }
      total += scratch.engine.size
    }
    const kept = into === undefined ? 0 : this.budget.used - (this.namespaces.get(into)?.cluster.engine.size ?? 0)
    if (kept + total > this.budget.limit) throw new StateError(`the state holds ${total} tasks; with the others that is more than --max-tasks (${this.budget.limit}).`)
    if (into !== undefined && this.find(into) === undefined && this.extraCount >= this.options.maxNamespaces) {
      throw new StateError(`namespace "${into}" would be one more than --max-namespaces (${this.options.maxNamespaces}).`)
    }

    // it loads: now for real
    if (into !== undefined) {
      const [, clusterState] = entries[0] as [string, State['namespaces'][string]]
      importClusterState((this.obtain(into) as { cluster: FakeCluster }).cluster, clusterState)
      return
    }
    for (const ns of this.list()) {
      if (ns.name === DEFAULT_NAMESPACE) ns.cluster.engine.reset()
      else this.delete(ns.name)
    }
    for (const [name, clusterState] of entries) {
      importClusterState((this.obtain(name) as { cluster: FakeCluster }).cluster, clusterState)
    }
    if (state.namespaces[DEFAULT_NAMESPACE] === undefined) importClusterState(this.default, {})
  }

  private make (name: string, settings: NamespaceSettings): FakeCluster {
    const base = this.options.cluster
    const cluster = createCluster({
      ...base,
      clock: settings.clock ?? base.clock,
      timeScale: settings.timeScale ?? base.timeScale,
      // each namespace has its own reproducible id sequence
      ...(base.seed === undefined ? {} : { seed: name === DEFAULT_NAMESPACE ? base.seed : `${base.seed}/${name}` }),
      // --faults rules are the default namespace's
      faults: name === DEFAULT_NAMESPACE ? base.faults ?? [] : [],
      budget: this.budget
    })
    const namespace = { name, cluster, lastUsed: this.options.now() }
    this.namespaces.set(name, namespace)
    this.changes++
    this.onCreate?.(namespace)
    return cluster
  }
}
