import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'

/**
 * The OpenAPI 3 document, generated from the same TypeBox schemas that validate requests and
 * serialise answers. Registered before the routes, so that it sees them all.
 */
export async function registerOpenApi (app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
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
  })
}
