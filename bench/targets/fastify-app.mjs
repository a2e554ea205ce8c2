// Reference for start-up in one process: the minimal Fastify app of fastify-min.mjs (basic auth,
// one route with a response schema, logger off), built and listening on a free port.
import fastifyBasicAuth from '@fastify/basic-auth'
import Fastify from 'fastify'
import { TASK } from './payload.mjs'

const taskSchema = {
  type: 'object',
  properties: Object.fromEntries(Object.keys(TASK).map((k) => [k, { type: 'string' }]))
}

/** Builds the app and listens on 127.0.0.1 and a free port; resolves with the app (close it). */
export async function startFastifyApp () {
  const app = Fastify({ logger: false })
  await app.register(fastifyBasicAuth, {
    validate (username, password, _req, _reply, done) {
      done(username === 'admin@example.com' && password === 'admin' ? undefined : new Error('no'))
    },
    authenticate: { realm: 'cluster.local' }
  })
  app.addHook('onRequest', app.basicAuth)
  app.get('/v1/crdb_tasks/:id', { schema: { response: { 200: taskSchema } } }, async () => TASK)
  await app.listen({ host: '127.0.0.1', port: 0 })
  return app
}
