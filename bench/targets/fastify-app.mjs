// The minimal Fastify app the benches compare with (basic auth, one route with a response
// schema, logger off): built and listening in this process, or, through fastify-min.mjs, in its own.
import fastifyBasicAuth from '@fastify/basic-auth'
import Fastify from 'fastify'
import { TASK } from './payload.mjs'

const taskSchema = {
  type: 'object',
  properties: Object.fromEntries(Object.keys(TASK).map((k) => [k, { type: 'string' }]))
}

/** Builds the app and listens on 127.0.0.1 and `port` (default a free one); resolves with the app (close it). */
export async function startFastifyApp (port = 0) {
  const app = Fastify({ logger: false })
  await app.register(fastifyBasicAuth, {
    validate (username, password, _req, _reply, done) {
      done(username === 'admin@example.com' && password === 'admin' ? undefined : new Error('no'))
    },
    authenticate: { realm: 'cluster.local' }
  })
  app.addHook('onRequest', app.basicAuth)
  app.get('/v1/crdb_tasks/:id', { schema: { response: { 200: taskSchema } } }, async () => TASK)
  await app.listen({ host: '127.0.0.1', port })
  return app
}
