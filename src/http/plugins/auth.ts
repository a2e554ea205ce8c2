import fastifyBasicAuth from '@fastify/basic-auth'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { directoryOf, type Topology } from '../../emulator/topology.js'
import { hasPermission, PERMISSIONS, type Permission, type PermissionTable, type User } from '../../emulator/users.js'
import { ApiError } from '../errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, once auth has passed. */
    user: User | null
  }
  interface FastifyContextConfig {
    /** What the caller must be allowed to do. Every route names one, or says `public`. */
    permission?: Permission
    public?: boolean
    /** A body that fails its schema is answered in the problem shape (the `/v1/crdbs*` routes). */
    problemBodies?: boolean
  }
}

/**
 * HTTP Basic auth and permissions, checked before anything else about a request (401, then
 * 403, then the request's own form). Every request but a public route's needs credentials, a
 * path that is no route too: a real cluster answers `GET /` without them with 401 and its
 * realm. A route must declare `config.permission` or `config.public: true`; registering one that
 * declares neither fails at start-up.
 */
export const authPlugin = fp(async (app: FastifyInstance, { topology, permissions = PERMISSIONS }: { topology: Topology, permissions?: PermissionTable }) => {
  // each member cluster has its own users
  const check = (request: FastifyRequest, email: string, password: string): User | undefined => directoryOf(request.member)(email, password)
  for (const member of topology.members) directoryOf(member) // made at start, not on a first request
  app.decorateRequest('user', null)
  await app.register(fastifyBasicAuth, {
    // the challenge header is set by the error handler, with the exact realm format
    authenticate: false,
    validate (email, password, request, _reply, done) {
      const user = check(request, email, password)
      if (user === undefined) {
        done(new ApiError('unauthorized'))
        return
      }
      request.user = user
      done()
    }
  })

  app.addHook('onRoute', (route) => {
    const config = route.config as { permission?: Permission, public?: boolean } | undefined
    if (config?.permission === undefined && config?.public !== true) {
      throw new Error(`Route ${route.method} ${route.url} declares neither config.permission nor config.public`)
    }
  })

  // Clients send the same Authorization header on every request: remember the headers that
  // passed, so that a poll costs a map lookup instead of parsing, decoding and hashing. Only
  // successes are kept (a wrong password always takes the constant-time path), and the map is
  // emptied when it grows past AUTH_CACHE_SIZE.
  const passed = new Map<string, User>()
  const allow = (request: FastifyRequest, permission: Permission): Error | undefined => {
    const role = request.user?.role ?? 'none'
    return hasPermission(role, permission, permissions) ? undefined : new ApiError('forbidden', `Role ${role} may not ${PERMISSION_TEXT[permission]}.`)
  }

  app.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config as { permission?: Permission, public?: boolean } | undefined
    if (config?.public === true) {
      done()
      return
    }
    // no route: who asks is checked (401), what they may do is not (the answer is 404 or 405)
    const permission = config?.permission
    const header = request.headers.authorization
    const key = header === undefined ? undefined : `${request.member.name}\n${header}`
    const known = key === undefined ? undefined : passed.get(key)
    if (known !== undefined) {
      request.user = known
      done(permission === undefined ? undefined : allow(request, permission))
      return
    }
    app.basicAuth(request, reply, (err?: Error) => {
      if (err !== undefined) {
        done(err)
        return
      }
      if (key !== undefined && request.user !== null) {
        if (passed.size >= AUTH_CACHE_SIZE) passed.clear()
        passed.set(key, request.user)
      }
      done(permission === undefined ? undefined : allow(request, permission))
    })
  })
}, { name: 'crdb-auth', dependencies: ['crdb-member'] })

const AUTH_CACHE_SIZE = 10_000

const PERMISSION_TEXT: Record<Permission, string> = {
  view_crdb_list: 'list CRDBs',
  view_crdb: 'read CRDBs',
  create_crdb: 'create CRDBs',
  update_crdb: 'change CRDBs',
  delete_crdb: 'delete CRDBs',
  flush_crdb: 'flush CRDBs',
  purge_instance: 'purge CRDB instances',
  upgrade_crdb: 'upgrade CRDBs',
  view_crdb_task_list: 'list CRDB tasks',
  view_crdb_task: 'read CRDB tasks',
  cancel_crdb_task: 'cancel CRDB tasks',
  view_cluster_info: 'read the cluster\'s information',
  control_emulator: 'use the emulator\'s control API (admin only)'
}
