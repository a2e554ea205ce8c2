import type fastifySwaggerPlugin from '@fastify/swagger'
import type { FastifyInstance, onRouteHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { createRequire } from 'node:module'

type SwaggerOptions = Parameters<typeof fastifySwaggerPlugin>[1]

function options (version: string): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'crdb-tasks-emulator',
        description: 'An emulator of the Redis Enterprise (Redis Software) CRDB tasks REST API, and its control API under /__emulator.',
        version
      },
      tags: [
        { name: 'crdb_tasks', description: 'Active-Active database task status requests (the real API)' },
        { name: 'crdbs', description: 'Active-Active database requests that start tasks (the real API)' },
        { name: 'emulator', description: 'The emulator\'s own control API' }
      ],
      components: { securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } } },
      security: [{ basicAuth: [] }]
    },
    transform: ({ schema, url, route }) => {
      const tag = url.startsWith('/v1/crdb_tasks') ? 'crdb_tasks' : url.startsWith('/v1/crdbs') ? 'crdbs' : 'emulator'
      const open = (route.config as { public?: boolean } | undefined)?.public === true
      return { schema: { ...schema, tags: [tag], ...(open ? { security: [] } : {}) } as typeof schema, url }
    }
  }
}

type Hook = (...args: any[]) => unknown
type Route = Parameters<onRouteHookHandler>[0]
type Swagger = FastifyInstance['swagger']

/**
 * The same @fastify/swagger, loaded only when the document is first asked for (importing it,
 * with its YAML and JSON-schema resolver, costs ~140 ms of every start). Until then this
 * records what the plugin's own hooks would have seen (every route, every plugin instance,
 * that the app is ready); on the first `app.swagger()` the plugin is set up on a stand-in of the
 * app and that record is replayed through its hooks, so the document is the one it makes.
 */
const lazySwagger = fp<{ version: string }>(async (app, { version }) => {
  const routes: Route[] = []
  const instances: FastifyInstance[] = []
  let ready = false
  app.addHook('onRoute', (route) => { routes.push(route) })
  app.addHook('onRegister', (instance) => { instances.push(instance) })
  app.addHook('onReady', async () => { ready = true })

  let swagger: Swagger | undefined
  const load = (): Swagger => {
    const plugin = createRequire(import.meta.url)('@fastify/swagger') as typeof fastifySwaggerPlugin
    const hooks: Record<string, Hook[]> = {}
    let made: Swagger | undefined
    const standIn = {
      addHook: (name: string, hook: Hook) => { (hooks[name] ??= []).push(hook) },
      decorate: (name: string, value: Swagger) => { if (name === 'swagger') made = value },
      getSchemas: () => app.getSchemas()
    }
    let failed: unknown
    ;(plugin as unknown as (instance: unknown, opts: SwaggerOptions, done: (err?: unknown) => void) => void)(standIn, options(version), (err) => { failed = err })
    if (failed !== undefined || made === undefined) throw (failed ?? new Error('@fastify/swagger did not decorate swagger'))
    for (const route of routes) for (const hook of hooks.onRoute ?? []) (hook as onRouteHookHandler).call(app, route)
    for (const instance of instances) for (const hook of hooks.onRegister ?? []) hook(instance, {}) // its own is async, but pushes at once
    for (const hook of hooks.onReady ?? []) hook((err?: unknown) => { if (err !== undefined && err !== null) failed = err })
    if (failed !== undefined) throw failed
    return made
  }
  app.decorate('swagger', function (this: FastifyInstance, opts?: { yaml?: boolean }) {
    // as @fastify/swagger says: the routes are all known only once the app is ready
    if (!ready) throw new Error('.swagger() must be called after .ready()')
    swagger ??= load()
    return swagger.call(this, opts as { yaml: boolean })
  } as Swagger)
}, { name: 'crdb-openapi' })

/**
 * The OpenAPI 3 document, generated from the same TypeBox schemas that validate requests and
 * serialise answers. Registered before the routes, so that it sees them all.
 */
export async function registerOpenApi (app: FastifyInstance, version: string): Promise<void> {
  await app.register(lazySwagger, { version })
}
