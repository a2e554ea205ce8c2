import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { createClock } from './engine/clock.js'
import { createEngine, type Engine } from './engine/engine.js'
import { buildApp } from './http/app.js'

export interface Assembled {
  app: FastifyInstance
  engine: Engine
}

/** Wires a configuration into a clock, an engine and the HTTP app (which does not listen yet). */
export async function assemble (config: Config, logger?: FastifyBaseLogger): Promise<Assembled> {
  const engine = createEngine({
    clock: createClock({ mode: config.clock, scale: config.timeScale }),
    clusterName: config.clusterName,
    durations: config.durations,
    resultTtl: config.resultTtl,
    maxTasks: config.maxTasks
  })
  const app = await buildApp({
    engine,
    users: config.users,
    clusterName: config.clusterName,
    control: config.control,
    ...(logger === undefined ? {} : { logger })
  })
  return { app, engine }
}
