import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { NamespaceRegistry } from '../emulator/namespaces.js'
import { ApiError, type ErrorBody } from './errors.js'
import { delayOf } from '../emulator/faults.js'

/** The real API's routes are faulted and journaled; the emulator's own (`/__emulator`) never. */
const isApiRoute = (request: FastifyRequest): boolean => !request.url.startsWith('/__emulator')
const pathOf = (url: string): string => {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

/** The namespace a request's path names (`/ns/{name}/...`, set aside by `rewriteUrl`). */
function nameNamespace (request: FastifyRequest): void {
  const named = (request.raw as { namespace?: string }).namespace
  if (named !== undefined) {
    request.namespace = named
    request.namespaced = true
  }
}

/**
 * After auth, one hook finds (or makes) the request's namespace and applies its fault rules to
 * `/v1` requests (so a rule can match the user); after the answer, every non-control request is
 * recorded in its namespace's journal.
 */
export function registerFaultsAndJournal (app: FastifyInstance, registry: NamespaceRegistry, sleep: (ms: number) => Promise<void>): void {
  // callback style: a request that no rule hits pays no promise
  app.addHook('onRequest', (request, reply, done) => {
    nameNamespace(request)
    let cluster = registry.find(request.namespace)
    if (cluster === undefined) {
      if (request.routeOptions.url === undefined) {
        done()
        return
      }
      const made = registry.obtain(request.namespace)
      if (!made.ok) {
        done(new ApiError(made.reason, made.detail))
        return
      }
      cluster = made.cluster
    }
    request.cluster = cluster
    request.arrivedAt = cluster.engine.now()
    if (cluster.faults.size === 0 || request.routeOptions.url === undefined || !isApiRoute(request)) {
      done()
      return
    }
    const engine = cluster.engine
    const action = cluster.faults.pick({
      method: request.method,
      path: pathOf(request.url),
      user: request.user?.email,
      phase: () => {
        const id = (request.params as { task_id?: string }).task_id
        return id === undefined ? undefined : engine.get(id)?.phase
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
    if (isApiRoute(request)) {
      // a request refused before the hook above (by auth, say) is journaled in its namespace if
      // that exists; a request that made no namespace leaves no trace in one
      if (request.cluster === null) {
        nameNamespace(request)
        const found = registry.find(request.namespace)
        if (found !== undefined) {
          request.cluster = found
          request.arrivedAt = found.engine.now()
        }
      }
      if (request.cluster !== null) record(request, reply.statusCode, reply.elapsedTime)
    }
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
    at: request.arrivedAt,
    duration_ms: Math.round(elapsed * 100) / 100
  })
}
