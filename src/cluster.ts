import { createClock, systemTime, type ClockMode } from './engine/clock.js'
import { createEngine, type Durations, type Engine } from './engine/engine.js'
import { createSeededRandom, systemRandom } from './engine/random.js'
import { FaultSet, type FaultRuleInput } from './http/faults.js'
import { Journal } from './http/journal.js'
import { StateError } from './engine/state.js'
import { STATE_FORMAT, type ClusterState, type State } from './state-schema.js'

/**
 * One fake cluster: its task engine (tasks, CRDBs, clock), its fault rules and its request
 * journal. Today the emulator serves one; namespaces will each be one.
 */
export interface FakeCluster {
  engine: Engine
  faults: FaultSet
  journal: Journal
}

export interface ClusterOptions {
  clock: ClockMode
  timeScale: number
  clusterName: string
  durations: Durations
  resultTtl: number
  maxTasks: number
  journalSize: number
  seed?: string
  faults?: FaultRuleInput[]
}

export function createCluster (options: ClusterOptions): FakeCluster {
  const engine = createEngine({
    clock: createClock({ mode: options.clock, scale: options.timeScale }),
    clusterName: options.clusterName,
    durations: options.durations,
    resultTtl: options.resultTtl,
    maxTasks: options.maxTasks,
    ...(options.seed === undefined ? {} : { seed: options.seed })
  })
  // fault draws have their own stream, so that adding a rule never shifts the ids
  const faults = new FaultSet(options.seed === undefined ? systemRandom : createSeededRandom(`${options.seed}/faults`))
  for (const rule of options.faults ?? []) faults.add(rule)
  return { engine, faults, journal: new Journal(options.journalSize) }
}

/** A fake cluster's whole state: tasks, CRDBs, clock and fault rules (not the journal). */
export function exportClusterState (cluster: FakeCluster): ClusterState {
  return { ...cluster.engine.exportState(), faults: cluster.faults.list() }
}

/** Loads a state into a fake cluster; throws `StateError` and changes nothing when it cannot. */
export function importClusterState (cluster: FakeCluster, state: ClusterState): void {
  cluster.engine.importState(state)
  cluster.faults.restore(state.faults ?? [])
}

/** The state file's shape: one entry per namespace (only `default` for now). */
export function exportState (cluster: FakeCluster): State {
  return { format: STATE_FORMAT, saved_at: new Date(systemTime()).toISOString(), namespaces: { default: exportClusterState(cluster) } }
}

/**
 * Loads a schema-checked state (its `users` are the caller's business). Throws `StateError`
 * naming the field, and changes nothing, when it cannot be loaded.
 */
export function applyState (cluster: FakeCluster, state: State): void {
  const unknown = Object.keys(state.namespaces).find((name) => name !== 'default')
  if (unknown !== undefined) throw new StateError(`namespace "${unknown}" is unknown; this emulator serves the "default" namespace.`)
  try {
    importClusterState(cluster, state.namespaces.default ?? {})
  } catch (err) {
    if (err instanceof StateError) throw new StateError(`namespaces.default.${err.message}`)
    throw err
  }
}
