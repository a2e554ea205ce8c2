import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { NamespaceRegistry } from '../../emulator/namespaces.js'
import { nameNamespace } from './namespace.js'

/** The real API's routes are faulted and journaled; the emulator's own (`/__emulator`) never. */
export const isApiPath = (url: string): boolean => !url.startsWith('/__emulator')
export const pathOf = (url: string): string => {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

/** Records a request in its namespace's journal (never its credentials). */
export function recordRequest (request: FastifyRequest, status: number, elapsed: number): void {
  request.cluster?.journal.record({
    method: request.method,
    path: pathOf(request.url),
    query: request.query as Record<string, unknown>,
    status,
    user: request.user?.email ?? null,
    cluster: request.member.name,
    at: request.arrivedAt,
    duration_ms: Math.round(elapsed * 100) / 100
  })
}

/**
 * After the answer, records every `/v1` request in its namespace's journal. A request refused
 * before its namespace was found (by auth, say) is journaled in that namespace if it exists; a
 * request that made no namespace leaves no trace in one.
 */
export const journalPlugin = fp(async (app: FastifyInstance, { registry }: { registry: NamespaceRegistry }) => {
  app.addHook('onResponse', (request, reply, done) => {
    if (isApiPath(request.url)) {
      if (request.cluster === null) {
        nameNamespace(request)
        const found = registry.find(request.namespace)
        if (found !== undefined) {
          request.cluster = found
          request.arrivedAt = found.engine.now()
        }
      }
      recordRequest(request, reply.statusCode, reply.elapsedTime)
    }
    done()
  })
}, { name: 'crdb-journal', dependencies: ['crdb-namespace'] })
