import { createClock, type ClockMode } from './engine/clock.js'
import { createEngine, type Durations, type Engine } from './engine/engine.js'
import { createSeededRandom, systemRandom } from './engine/random.js'
import { FaultSet, type FaultRuleInput } from './http/faults.js'
import { Journal } from './http/journal.js'

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
