import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { setTimeout as sleepFor } from 'node:timers/promises'
import type { NamespaceRegistry } from '../emulator/namespaces.js'
import { permissionsFor, type User } from '../emulator/users.js'
import { singleCluster, type Topology } from '../emulator/topology.js'
import { LATEST_RS_VERSION, RS_VERSIONS, type RsVersionName } from '../emulator/versions.js'
import { ApiError, createErrorHandler, createNotFoundHandler, formatSchemaErrors, handleClientError, handleFrameworkError } from './errors.js'
import { registerOpenApi } from './openapi.js'
import { createSchemaCompilers } from './schema-compilers.js'
import { MAX_CONNECTIONS, SERVER_OPTIONS, TLS_OPTIONS } from './server-options.js'
import { indexRoutes } from './route-index.js'
import { clusterRoutes } from './routes/cluster.js'
import { authPlugin } from './plugins/auth.js'
import { faultsPlugin } from './plugins/faults.js'
import { journalPlugin } from './plugins/journal.js'
import { memberPlugin } from './plugins/member.js'
import { namespacePlugin, stripNamespace } from './plugins/namespace.js'
import { controlRoutes, healthRoute } from './routes/control.js'
import { crdbRoutes } from './routes/crdbs.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { taskRoutes } from './routes/tasks.js'

export interface AppDeps {
  /** The fake clusters, by namespace. */
  registry: NamespaceRegistry
  users: readonly User[]
  /** The member clusters (`--clusters`); default one, named `clusterName`, with `users`. */
  topology?: Topology
  /** The auth realm. */
  clusterName: string
  /** Serve the control API (health is always served). */
  control: boolean
  /** A pino logger; omit for none. */
  logger?: FastifyBaseLogger
  /** How often the background tick settles due events, in real ms. Default 250. */
  tickMs?: number
  /** How a delay fault waits (real time by default; tests pass one that does not). */
  sleep?: (ms: number) => Promise<void>
  /** The Redis Software version to answer as (`--rs-version`); default the latest. */
  rsVersion?: RsVersionName
  /** The package version, for the OpenAPI document. */
  version?: string
  /** A request must have fully arrived within this (real ms); default 30 000. Its headers within a third of it. */
  requestTimeoutMs?: number
  /** Open connections at most, on the main server and each member cluster's (default `MAX_CONNECTIONS`). */
  maxConnections?: number
  /** Serve HTTPS with this key and certificate (PEM). */
  https?: { key: string, cert: string }
  /**
   * When the routes' schemas are compiled: `lazy` (default), on each route's first request, once
   * per process (see schema-compilers.ts); `ready`, all of them when the app gets ready.
   */
  compileSchemas?: 'lazy' | 'ready'
}

/** How deep a JSON body may nest objects and arrays. */
const MAX_JSON_DEPTH = 64

/** The deepest nesting of objects and arrays in a JSON text (strings skipped), in one pass. */
export function nestingDepth (text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) {
      inString = true
    } else if (c === 123 || c === 91) {
      if (++depth > max) max = depth
    } else if (c === 125 || c === 93) {
      depth--
    }
  }
  return max
}

/** 1 MiB, the largest body accepted (413 `payload_too_large` past it). */
export const BODY_LIMIT = 1024 * 1024

/**
 * Builds the HTTP app around a fake cluster. It never listens: `main` (or a test through
 * `app.inject`) decides that.
 */
export async function buildApp (deps: AppDeps): Promise<FastifyInstance> {
  const compilers = createSchemaCompilers()
  const app = Fastify({
    // Node checks request and header timeouts on this interval (30 s by default)
    ...(deps.https === undefined ? { http: SERVER_OPTIONS } : { https: { ...deps.https, ...SERVER_OPTIONS, ...TLS_OPTIONS } }),
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    logController: new OneLinePerRequest(),
    bodyLimit: BODY_LIMIT,
    // a slow client cannot hold a connection forever (Node's defaults are minutes)
    requestTimeout: deps.requestTimeoutMs ?? 30_000,
    clientErrorHandler: handleClientError,
    frameworkErrors: handleFrameworkError,
    // long enough for any task id a client may choose, so that an odd id gets task_not_found
    routerOptions: { maxParamLength: 1024 },
    // `/ns/{name}/...` is `...` in namespace `name`: routes, faults and the journal see no prefix
    rewriteUrl: (req) => stripNamespace(req.url ?? '/'),
    // Fastify's own compilers, run once per process and on first use (Ajv's options are there)
    schemaController: compilers.schemaController,
    schemaErrorFormatter: formatSchemaErrors
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance

  if (deps.compileSchemas === 'ready') app.addHook('onReady', async () => { compilers.compileAll() })
  app.server.headersTimeout = Math.ceil((deps.requestTimeoutMs ?? 30_000) / 3)
  app.server.maxConnections = deps.maxConnections ?? MAX_CONNECTIONS
  app.setErrorHandler(createErrorHandler(deps.clusterName))
  app.setNotFoundHandler(createNotFoundHandler(indexRoutes(app)))
  // JSON or no body: a text/plain body (which a web page can send with a browser's cached
  // credentials, no preflight asked) is 415, or the problem shape on a /v1/crdbs route
  app.removeContentTypeParser('text/plain')
  // an empty body is no body (`curl -X POST -H 'Content-Type: application/json'` sends one)
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, undefined)
      return
    }
    // free-form objects (db_config) are stored and serialised again later: a body nested
    // thousands of levels deep would overflow the stack then, so it is refused now
    if (nestingDepth(body as string) > MAX_JSON_DEPTH) {
      done(new ApiError('invalid_request', `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`), undefined)
      return
    }
    parseJson(request, body as string, done)
  })

  const { registry } = deps
  await registerOpenApi(app, deps.version ?? '0.0.0')
  // in this order, before the routes: who asks (401, 403), which fake cluster, its faults;
  // after the answer, the journal
  const rsVersion = RS_VERSIONS[deps.rsVersion ?? LATEST_RS_VERSION]
  const topology = deps.topology ?? singleCluster(deps.clusterName, deps.users)
  const sleep = deps.sleep ?? (async (ms: number) => { await sleepFor(ms) })
  await app.register(memberPlugin, { topology, registry, sleep })
  await app.register(authPlugin, { topology, permissions: permissionsFor(rsVersion) })
  await app.register(namespacePlugin, { registry })
  await app.register(faultsPlugin, { sleep })
  await app.register(journalPlugin, { registry })

  await app.register(healthRoute)
  await app.register(taskRoutes)
  await app.register(crdbRoutes, { topology, rsVersion })
  await app.register(clusterRoutes, { rsVersion })
  if (deps.control) {
    await app.register(controlRoutes, { registry })
    await app.register(dashboardRoutes, { topology, rsVersion })
  }

  // settle in the background too, so that expired results are freed even when nobody asks
  // and remove the namespaces nobody has used for --namespace-idle-ttl
  const tick = setInterval(() => {
    for (const ns of registry.list()) ns.cluster.engine.settle()
    registry.sweep()
  }, deps.tickMs ?? 250)
  tick.unref()
  app.addHook('onClose', async () => clearInterval(tick))

  return app
}

/** One log line per request, after the answer, never with headers (they hold credentials). */
class OneLinePerRequest extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields = {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      user: request.user?.email
    }
    if (error) request.log.error({ ...fields, err: error }, 'request errored')
    else request.log.info(fields, 'request')
  }
}
