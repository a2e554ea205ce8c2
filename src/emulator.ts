import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { createCluster, type FakeCluster } from './cluster.js'
import type { Config } from './config.js'
import type { FaultRuleInput } from './http/faults.js'
import { buildApp } from './http/app.js'
import { VERSION } from './version.js'

export interface Assembled {
  app: FastifyInstance
  cluster: FakeCluster
}

/** Wires a configuration into a fake cluster and the HTTP app (which does not listen yet). */
export async function assemble (config: Config, options: { logger?: FastifyBaseLogger, faults?: FaultRuleInput[], https?: { key: string, cert: string } } = {}): Promise<Assembled> {
  const cluster = createCluster({
    clock: config.clock,
    timeScale: config.timeScale,
    clusterName: config.clusterName,
    durations: config.durations,
    resultTtl: config.resultTtl,
    maxTasks: config.maxTasks,
    journalSize: config.journalSize,
    ...(config.seed === undefined ? {} : { seed: config.seed }),
    ...(options.faults === undefined ? {} : { faults: options.faults })
  })
  const app = await buildApp({
    cluster,
    users: config.users,
    clusterName: config.clusterName,
    control: config.control,
    version: VERSION,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.https === undefined ? {} : { https: options.https })
  })
  return { app, cluster }
}
