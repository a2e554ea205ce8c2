import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { FakeCluster } from '../../emulator/cluster.js'
import { DEFAULT_NAMESPACE, type NamespaceRegistry } from '../../emulator/namespaces.js'
import { ApiError } from '../errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The fake cluster this request is for; null until found (after auth), and for a request that made none. */
    cluster: FakeCluster | null
    /** Its namespace's name. */
    namespace: string
    /** Whether the path named the namespace (`/ns/{name}/...`). */
    namespaced: boolean
    /** Emulated time the request arrived, for the journal. */
    arrivedAt: number
  }
}

/** `/ns/{name}/rest`, with a valid name. */
const NAMESPACED = /^\/ns\/([a-z0-9-]{1,64})(\/.*)?$/

/** `/ns/{name}/...` is `...` in namespace `name`: routes, faults and the journal see no prefix. */
export function stripNamespace (url: string): string {
  if (!url.startsWith('/ns/')) return url
  const match = NAMESPACED.exec(url)
  return match === null ? url : (match[2] ?? '/')
}

/** Names the request's namespace from the URL it arrived with (before the prefix was cut). */
export function nameNamespace (request: FastifyRequest): void {
  const url = request.originalUrl
  if (!url.startsWith('/ns/')) return
  const match = NAMESPACED.exec(url)
  if (match === null) return
  request.namespace = match[1] as string
  request.namespaced = true
}

/** The fake cluster a route handler works on (found before any handler runs). */
export function clusterOf (request: FastifyRequest): FakeCluster {
  if (request.cluster === null) throw new ApiError('internal_error', 'The request reached a route without a namespace.')
  return request.cluster
}

/**
 * After auth, finds the request's namespace, or makes it on first use by a request that passed
 * auth and names a route (a request that fails either, or needs no auth, creates nothing).
 */
export const namespacePlugin = fp(async (app: FastifyInstance, { registry }: { registry: NamespaceRegistry }) => {
  app.decorateRequest('cluster', null)
  app.decorateRequest('namespace', DEFAULT_NAMESPACE)
  app.decorateRequest('namespaced', false)
  app.decorateRequest('arrivedAt', 0)
  app.addHook('onRequest', (request, _reply, done) => {
    nameNamespace(request)
    let cluster = registry.find(request.namespace)
    if (cluster === undefined) {
      // nothing unauthenticated makes a namespace (a public route needs none)
      if (request.routeOptions.url === undefined || request.user === null) {
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
    done()
  })
}, { name: 'crdb-namespace', dependencies: ['crdb-member', 'crdb-auth'] })
