import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { systemTime } from '../engine/clock.js'
import type { FaultRuleInput } from '../emulator/faults.js'
import { buildApp } from '../http/app.js'
import { NamespaceRegistry } from '../emulator/namespaces.js'
import { singleCluster, type Topology } from '../emulator/topology.js'
import { VERSION } from './version.js'

export interface Assembled {
  app: FastifyInstance
  registry: NamespaceRegistry
}

/** Wires a configuration into the namespaces' fake clusters and the HTTP app (which does not listen yet). */
export async function assemble (config: Config, options: { logger?: FastifyBaseLogger, faults?: FaultRuleInput[], https?: { key: string, cert: string }, topology?: Topology } = {}): Promise<Assembled> {
  // the main cluster is the first of the topology; without one, --cluster-name with --users
  const topology = options.topology ?? singleCluster(config.clusterName, config.users)
  const main = (topology.members[0] as { name: string }).name
  const registry = new NamespaceRegistry({
    cluster: {
      topology,
      clock: config.clock,
      timeScale: config.timeScale,
      clusterName: main,
      durations: config.durations,
      resultTtl: config.resultTtl,
      maxTasks: config.maxTasks,
      maxCrdbs: config.maxCrdbs,
      journalSize: config.journalSize,
      ...(config.seed === undefined ? {} : { seed: config.seed }),
      ...(options.faults === undefined ? {} : { faults: options.faults })
    },
    maxNamespaces: config.maxNamespaces,
    idleTtlMs: config.namespaceIdleTtl * 1000,
    now: systemTime
  })
  const app = await buildApp({
    registry,
    users: config.users,
    topology,
    clusterName: main,
    control: config.control,
    rsVersion: config.rsVersion,
    version: VERSION,
    maxConnections: config.maxConnections,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.https === undefined ? {} : { https: options.https })
  })
  return { app, registry }
}
