import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { delayOf } from '../../emulator/faults.js'
import type { ErrorBody } from '../errors.js'
import { isApiPath, pathOf, recordRequest } from './journal.js'

/**
 * Applies the namespace's fault rules to `/v1` requests, after auth (so that a rule can match
 * the user): an error answer, a delay, or a dropped connection.
 */
export const faultsPlugin = fp(async (app: FastifyInstance, { sleep }: { sleep: (ms: number) => Promise<void> }) => {
  // callback style: a request that no rule hits pays no promise
  app.addHook('onRequest', (request, reply, done) => {
    const cluster = request.cluster
    if (cluster === null || cluster.faults.size === 0 || request.routeOptions.url === undefined || !isApiPath(request.url)) {
      done()
      return
    }
    const action = cluster.faults.pick({
      method: request.method,
      path: pathOf(request.url),
      user: request.user?.email,
      cluster: request.member.name,
      phase: () => {
        const id = (request.params as { task_id?: string }).task_id
        return id === undefined ? undefined : cluster.engine.get(id, request.member.name)?.phase
      }
    })
    if (action === undefined) {
      done()
    } else if ('drop' in action) {
      recordRequest(request, 0, reply.elapsedTime)
      reply.hijack()
      request.raw.destroy()
    } else if ('delay_ms' in action) {
      sleep(delayOf(action, cluster.faults.random)).then(() => done(), done)
    } else {
      reply.code(action.status).type('application/json').send({ error_code: action.error_code, description: action.description } satisfies ErrorBody)
    }
  })
}, { name: 'crdb-faults', dependencies: ['crdb-namespace'] })
