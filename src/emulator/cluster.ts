import { createClock, type ClockMode } from '../engine/clock.js'
import { createEngine, type Durations, type Engine, type TaskBudget } from '../engine/engine.js'
import { createSeededRandom, systemRandom } from '../engine/random.js'
import { FaultSet, type FaultRuleInput } from './faults.js'
import { Journal } from './journal.js'
import { ClusterLinks } from './links.js'
import type { ClusterState } from './state-schema.js'
import { singleCluster, type Topology } from './topology.js'

/**
 * The fake deployment of one namespace: its task engine (the tasks of every member cluster,
 * the CRDBs they share, one clock), its fault rules, its request journal, and the state of each
 * member cluster (`links`). Without `--clusters` it has one member, and is just a fake cluster.
 */
export interface FakeCluster {
  engine: Engine
  faults: FaultSet
  journal: Journal
  links: ClusterLinks
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
  /** CRDBs per namespace at most; default 1000. */
  maxCrdbs?: number
  journalSize: number
  seed?: string
  faults?: FaultRuleInput[]
  /** Shared by the namespaces of one emulator. */
  budget?: TaskBudget
  /** The member clusters; default one, named `clusterName`, with no users of its own. */
  topology?: Topology
}

export function createCluster (options: ClusterOptions): FakeCluster {
  const links = new ClusterLinks(options.topology ?? singleCluster(options.clusterName, []))
  const engine = createEngine({
    judge: (task, crdb) => links.judge(task, crdb),
    clock: createClock({ mode: options.clock, scale: options.timeScale, ...(options.clockStart === undefined ? {} : { start: options.clockStart }) }),
    clusterName: options.clusterName,
    durations: options.durations,
    resultTtl: options.resultTtl,
    maxTasks: options.maxTasks,
    ...(options.maxCrdbs === undefined ? {} : { maxCrdbs: options.maxCrdbs }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.budget === undefined ? {} : { budget: options.budget })
  })
  // fault draws have their own stream, so that adding a rule never shifts the ids
  const faults = new FaultSet(options.seed === undefined ? systemRandom : createSeededRandom(`${options.seed}/faults`))
  faults.restore(options.faults ?? [])
  const cluster = { engine, faults, journal: new Journal(options.journalSize), links }
  startFaults.set(cluster, options.faults ?? [])
  return cluster
}

/** The parts of a fake cluster a reset can keep; tasks and CRDBs always go. */
export const RESET_KEEPABLE = ['faults', 'journal', 'clock', 'clusters'] as const
export type ResetKeepable = (typeof RESET_KEEPABLE)[number]

const startFaults = new WeakMap<FakeCluster, FaultRuleInput[]>()

/**
 * Puts a fake cluster back as it started, but for what `keep` names: no task or CRDB, the fault
 * rules it started with, an empty journal, a manual clock at its start time, every member
 * cluster reachable and quick.
 */
export function resetCluster (cluster: FakeCluster, keep: readonly ResetKeepable[] = []): void {
  cluster.engine.reset()
  if (!keep.includes('faults')) cluster.faults.restore(startFaults.get(cluster) ?? [])
  if (!keep.includes('journal')) cluster.journal.clear()
  if (!keep.includes('clock')) cluster.engine.rewindClock()
  if (!keep.includes('clusters')) cluster.links.restore()
}

/** A fake cluster's whole state: tasks, CRDBs, clock, fault rules and its members' states (not the journal). */
export function exportClusterState (cluster: FakeCluster): ClusterState {
  return { ...cluster.engine.exportState(), ...beyondEngine(cluster) }
}

/** What a fake cluster's state holds besides its engine's: the fault rules, and the members' states when linked. */
function beyondEngine (cluster: FakeCluster): Pick<ClusterState, 'faults' | 'clusters'> {
  const faults = cluster.faults.list()
  if (!cluster.links.topology.linked) return { faults }
  return { faults, clusters: cluster.links.list().map((l) => ({ name: l.name, reachable: l.reachable, delay_ms: l.delayMs })) }
}

/**
 * `exportClusterState` as JSON text in pieces (a `Text` of state-file.ts): the object but its
 * CRDBs and tasks, then their records (see `Engine.exportForSave`), each a list to write
 * separated by commas.
 */
export function exportClusterText (cluster: FakeCluster): Array<string | readonly string[]> {
  const { clock, crdbs, tasks } = cluster.engine.exportForSave()
  const text = JSON.stringify({ clock, ...beyondEngine(cluster) })
  return [`${text.slice(0, -1)},"crdbs":[`, crdbs, '],"tasks":[', tasks, ']}']
}

/** Loads a state into a fake cluster; throws `StateError` and changes nothing when it cannot. */
export function importClusterState (cluster: FakeCluster, state: ClusterState): void {
  cluster.engine.importState(state)
  cluster.faults.restore(state.faults ?? [])
  cluster.links.restore((state.clusters ?? []).map((c) => ({ name: c.name, ...(c.reachable === undefined ? {} : { reachable: c.reachable }), ...(c.delay_ms === undefined ? {} : { delayMs: c.delay_ms }) })))
}
