import { createClock, type ClockMode } from '../engine/clock.js'
import { createEngine, type Durations, type Engine, type TaskBudget } from '../engine/engine.js'
import { createSeededRandom, systemRandom } from '../engine/random.js'
import { FaultSet, type FaultRuleInput } from './faults.js'
import { Journal } from './journal.js'
import type { ClusterState } from './state-schema.js'

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
  /** Where the emulated clock starts (ms); default: now. Tests pin it. */
  clockStart?: number
  timeScale: number
  clusterName: string
  durations: Durations
  resultTtl: number
  maxTasks: number
  journalSize: number
  seed?: string
  faults?: FaultRuleInput[]
  /** Shared by the namespaces of one emulator. */
  budget?: TaskBudget
}

export function createCluster (options: ClusterOptions): FakeCluster {
  const engine = createEngine({
    clock: createClock({ mode: options.clock, scale: options.timeScale, ...(options.clockStart === undefined ? {} : { start: options.clockStart }) }),
    clusterName: options.clusterName,
    durations: options.durations,
    resultTtl: options.resultTtl,
    maxTasks: options.maxTasks,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.budget === undefined ? {} : { budget: options.budget })
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
