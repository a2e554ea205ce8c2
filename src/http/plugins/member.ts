import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { SERVER_OPTIONS, TLS_OPTIONS } from '../server-options.js'
import { handleClientError } from '../errors.js'
import type { NamespaceRegistry } from '../../emulator/namespaces.js'
import { memberByHost, type MemberCluster, type Topology } from '../../emulator/topology.js'
import { nameNamespace } from './namespace.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The member cluster the request addressed: by the port it came in on, else its `Host`, else the main one. */
    member: MemberCluster
  }
  interface FastifyInstance {
    /** Local ports that answer as one member cluster (its own `port`), set by `listenAsMember`. */
    memberPorts: Map<number, string>
    /** The servers of those ports, closed with the app. */
    memberServers: Server[]
  }
}

/**
 * Serves the app on one more port, as the member cluster `name` (its own `port`), with the main
 * server's limits; closed when the app closes. Answers the URL it listens on.
 */
export async function listenAsMember (app: FastifyInstance, name: string, options: { host: string, port: number, https?: { key: string, cert: string }, requestTimeoutMs?: number }): Promise<string> {
  const server = options.https === undefined ? createHttpServer(SERVER_OPTIONS, app.routing) : createHttpsServer({ ...options.https, ...SERVER_OPTIONS, ...TLS_OPTIONS }, app.routing)
  server.maxConnections = app.server.maxConnections
  const timeout = options.requestTimeoutMs ?? 30_000
  server.requestTimeout = timeout
  server.headersTimeout = Math.ceil(timeout / 3)
  server.on('clientError', handleClientError)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve() })
  })
  const port = (server.address() as AddressInfo).port
  app.memberPorts.set(port, name)
  app.memberServers.push(server)
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return `${options.https === undefined ? 'http' : 'https'}://${host}:${port}`
}

/**
 * First of all, which member cluster a request is for: a cluster's own port answers as that
 * cluster; the main port as the one its `Host` header names (so that compose network aliases
 * such as `east.example.com` work unchanged), else as the first. A member made unreachable
 * through the control API answers nothing on its `/v1` routes (the connection is closed, as a
 * down cluster's port does not answer), and a slow one waits first; the control API and the
 * health probe always answer.
 */
export const memberPlugin = fp(async (app: FastifyInstance, { topology, registry, sleep }: { topology: Topology, registry: NamespaceRegistry, sleep: (ms: number) => Promise<void> }) => {
  const main = topology.members[0] as MemberCluster
  const byName = new Map(topology.members.map((m) => [m.name, m]))
  app.decorate('memberPorts', new Map<number, string>())
  app.decorate('memberServers', [] as Server[])
  app.addHook('onClose', async () => {
    await Promise.all(app.memberServers.map(async (s) => { await new Promise((resolve) => { s.close(resolve); s.closeAllConnections() }) }))
  })
  app.decorateRequest('member', null as unknown as MemberCluster)
  const resolve = (request: FastifyRequest): MemberCluster => {
    // one cluster (no --clusters): nothing to look up on the hot path
    if (topology.members.length === 1) return main
    const port = request.raw.socket?.localPort
    const own = port === undefined ? undefined : app.memberPorts.get(port)
    return (own === undefined ? undefined : byName.get(own)) ?? memberByHost(topology, request.headers.host) ?? main
  }
  app.addHook('onRequest', (request, reply, done) => {
    request.member = resolve(request)
    if (request.url.startsWith('/__emulator')) {
      done()
      return
    }
    nameNamespace(request)
    const state = registry.peek(request.namespace)?.links.get(request.member.name)
    if (state?.reachable === false) {
      reply.hijack()
      request.raw.destroy()
      return
    }
    if (state !== undefined && state.delayMs > 0) sleep(state.delayMs).then(() => done(), done)
    else done()
  })
}, { name: 'crdb-member' })
