import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { NamespaceRegistry } from '../../src/emulator/namespaces.js'
import { buildApp } from '../../src/http/app.js'
import { formatSchemaErrors } from '../../src/http/errors.js'
import { formatBodyProblems } from '../../src/http/problem.js'
import { AJV_OPTIONS, createSchemaCompilers } from '../../src/http/schema-compilers.js'
import { CreateTaskBodySchema, GetTaskQuerySchema, ResultTtlHeadersSchema, TaskIdParamsSchema, TaskSchema } from '../../src/http/schemas.js'
import { CreateCrdbBodySchema } from '../../src/http/crdb-schemas.js'
import { USERS } from './helpers.js'

/** One route with every request part, checked by Fastify's own compilers or by ours. */
async function appWith (compilers: 'fastify' | 'ours', formatter: typeof formatSchemaErrors, body: object): Promise<FastifyInstance> {
  const ours = createSchemaCompilers()
  const app = Fastify({
    logger: false,
    ...(compilers === 'ours' ? { schemaController: ours.schemaController } : { ajv: { customOptions: { ...AJV_OPTIONS } } }),
    schemaErrorFormatter: formatter
  })
  app.setErrorHandler((error: Error & { statusCode?: number, validationContext?: string }, _request, reply) => {
    reply.code(error.statusCode ?? 500).send({ context: error.validationContext, message: error.message, detail: (error as { detail?: string }).detail })
  })
  app.post('/t/:task_id', {
    schema: { params: TaskIdParamsSchema, querystring: GetTaskQuerySchema, headers: ResultTtlHeadersSchema, body, response: { 200: TaskSchema } }
  }, async (request) => ({ id: (request.params as { task_id: string }).task_id, operation: 'create_crdb', status: 'queued', ignored: 'not in the schema' }))
  return app
}

const REQUESTS = [
  { url: '/t/a?verbose=perhaps', payload: {} },
  { url: '/t/a?verbose=TRUE', payload: {} },
  { url: '/t/a', headers: { 'x-result-ttl': '-1' }, payload: {} },
  { url: '/t/a', headers: { 'X-Result-TTL': '12x' }, payload: {} },
  { url: '/t/a', payload: { id: 'bad id with spaces' } },
  { url: '/t/a', payload: { durations: { queued: -1 } } },
  { url: '/t/a', payload: { durations: { queued: null, extra: 1 } } },
  { url: '/t/a', payload: { errors: [{ description: 'no code' }] } },
  { url: '/t/a', payload: { outcome: 'maybe' } },
  { url: '/t/a', payload: { unknown: true } },
  { url: '/t/a', payload: [] },
  { url: '/t/a', payload: { name: 'shop', instances: [{ cluster: { url: 3 } }] } },
  { url: '/t/a', payload: { name: 'shop', memory_size: 'big' } },
  { url: '/t/a', payload: { name: 'shop', instances: [{ cluster: { name: 'east', url: 'https://east.example.com:9443', credentials: { username: 'u', password: 'p' } }, compression: 9 }] } },
  { url: '/t/a?verbose=1', payload: { name: 'shop', instances: [{ cluster: { name: 'east', url: 'https://east.example.com:9443', credentials: { username: 'u', password: 'p' } } }] } },
  { url: '/t/a', payload: {} }
]

describe('the routes\' schema compilers', () => {
  for (const [name, formatter, body] of [
    ['the usual answer', formatSchemaErrors, CreateTaskBodySchema],
    ['the problem shape (/v1/crdbs)', formatBodyProblems, CreateCrdbBodySchema]
  ] as const) {
    it(`check requests and write answers exactly as Fastify's own compilers do (${name})`, async () => {
      const theirs = await appWith('fastify', formatter, body)
      const ours = await appWith('ours', formatter, body)
      const statuses = new Set<number>()
      for (const request of REQUESTS) {
        const a = await theirs.inject({ method: 'POST', ...request })
        const b = await ours.inject({ method: 'POST', ...request })
        expect({ request, status: b.statusCode, body: b.body }).toEqual({ request, status: a.statusCode, body: a.body })
        statuses.add(a.statusCode)
      }
      // the cases reach both a refusal and an answer
      expect([...statuses].sort()).toEqual([200, 400])
    })
  }

  it('compile a route\'s schema on its first request, not before', async () => {
    const compilers = createSchemaCompilers()
    const app = Fastify({ logger: false, schemaController: compilers.schemaController })
    app.get('/broken', { schema: { querystring: { type: 'no-such-type' } } }, async () => ({}))
    await app.ready()
    expect((await app.inject({ method: 'GET', url: '/broken' })).statusCode).toBe(500)
    expect(() => compilers.compileAll()).toThrow(/no-such-type|type/)
  })

  it('refuse a header schema whose names are not in lower case (Fastify lowercases only for its own)', async () => {
    const app = Fastify({ logger: false, schemaController: createSchemaCompilers().schemaController })
    app.get('/h', { schema: { headers: { type: 'object', properties: { 'X-Task-ID': { type: 'string' } } } } }, async () => ({}))
    await expect(app.ready()).rejects.toThrow(/X-Task-ID.*lower case/)
  })

  it('compile every schema of the app at ready with compileSchemas: ready', async () => {
    const registry = new NamespaceRegistry({
      cluster: { clock: 'manual', timeScale: 1, clusterName: 'test.cluster', durations: { queued: 1, running: 10, commit: 3 }, resultTtl: 500, maxTasks: 100, journalSize: 10 },
      maxNamespaces: 10,
      idleTtlMs: 3_600_000,
      now: () => 0
    })
    const app = await buildApp({ registry, users: USERS, clusterName: 'test.cluster', control: true, compileSchemas: 'ready' })
    await expect(app.ready()).resolves.toBeDefined()
    await app.close()
  })
})
