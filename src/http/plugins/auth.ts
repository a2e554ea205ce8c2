import fastifyBasicAuth from '@fastify/basic-auth'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { createUserDirectory, hasPermission, type Permission, type User } from '../../emulator/users.js'
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
  }
}

/**
 * HTTP Basic auth and permissions, checked before anything else about a request (401, then
 * 403, then the request's own form). A route must declare `config.permission` or
 * `config.public: true`; registering one that declares neither fails at start-up.
 */
export const authPlugin = fp(async (app: FastifyInstance, { users }: { users: readonly User[] }) => {
  const check = createUserDirectory(users)
  app.decorateRequest('user', null)
  await app.register(fastifyBasicAuth, {
    // the challenge header is set by the error handler, with the exact realm format
    authenticate: false,
    validate (email, password, request, _reply, done) {
      const user = check(email, password)
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
    return hasPermission(role, permission) ? undefined : new ApiError('forbidden', `Role ${role} may not ${PERMISSION_TEXT[permission]}.`)
  }

  app.addHook('onRequest', (request, reply, done) => {
    const permission = request.routeOptions.config?.permission
    if (permission === undefined) {
      done()
      return
    }
    const header = request.headers.authorization
    const known = header === undefined ? undefined : passed.get(header)
    if (known !== undefined) {
      request.user = known
      done(allow(request, permission))
      return
    }
    app.basicAuth(request, reply, (err?: Error) => {
      if (err !== undefined) {
        done(err)
        return
      }
      if (header !== undefined && request.user !== null) {
        if (passed.size >= AUTH_CACHE_SIZE) passed.clear()
        passed.set(header, request.user)
      }
      done(allow(request, permission))
    })
  })
}, { name: 'crdb-auth' })

const AUTH_CACHE_SIZE = 10_000

const PERMISSION_TEXT: Record<Permission, string> = {
  view_crdb_tasks: 'read CRDB tasks',
  cancel_crdb_task: 'cancel CRDB tasks',
  view_crdbs: 'read CRDBs',
  change_crdbs: 'create, change, flush or delete CRDBs',
  control_emulator: 'use the emulator\'s control API (admin only)'
}
