import type { FastifyInstance, FastifyRequest } from 'fastify'
import { toControlTime } from './task-wire.js'
import { delayOf } from './faults.js'
import type { ErrorBody } from './errors.js'

/** The real API's routes are faulted and journaled; the emulator's own (`/__emulator`) never. */
const isApiRoute = (request: FastifyRequest): boolean => !request.url.startsWith('/__emulator')
const pathOf = (url: string): string => {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

/**
 * Applies fault rules to `/v1` requests once they are authenticated (so a rule can match the
 * user), and records every non-control request in the journal after it is answered.
 */
export function registerFaultsAndJournal (app: FastifyInstance, sleep: (ms: number) => Promise<void>): void {
  // callback style: a request that no rule hits pays no promise
  app.addHook('onRequest', (request, reply, done) => {
    const { cluster } = request
    if (cluster === null || cluster.faults.size === 0 || request.routeOptions.url === undefined || !isApiRoute(request)) {
      done()
      return
    }
    const action = cluster.faults.pick({
      method: request.method,
      path: pathOf(request.url),
      user: request.user?.email,
      phase: () => {
        const id = (request.params as { task_id?: string }).task_id
        return id === undefined ? undefined : cluster.engine.get(id)?.phase
      }
    })
    if (action === undefined) {
      done()
    } else if ('drop' in action) {
      record(request, 0, reply.elapsedTime)
      reply.hijack()
      request.raw.destroy()
    } else if ('delay_ms' in action) {
      sleep(delayOf(action, cluster.faults.random)).then(() => done(), done)
    } else {
      reply.code(action.status).type('application/json').send({ error_code: action.error_code, description: action.description } satisfies ErrorBody)
    }
  })

  app.addHook('onResponse', (request, reply, done) => {
    // a request that made no namespace (refused by auth, no route) leaves no trace in one
    if (request.cluster !== null && isApiRoute(request)) record(request, reply.statusCode, reply.elapsedTime)
    done()
  })
}

function record (request: FastifyRequest, status: number, elapsed: number): void {
  request.cluster.journal.record({
    method: request.method,
    path: pathOf(request.url),
    query: request.query as Record<string, unknown>,
    status,
    user: request.user?.email ?? null,
    at: toControlTime(request.arrivedAt),
    duration_ms: Math.round(elapsed * 100) / 100
  })
}
