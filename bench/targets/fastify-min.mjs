// Reference: the realistic ceiling, a minimal Fastify 5 route with @fastify/basic-auth and a
// response schema, logger off.
import fastifyBasicAuth from '@fastify/basic-auth'
import Fastify from 'fastify'
import { TASK } from './payload.mjs'

const app = Fastify({ logger: false })
await app.register(fastifyBasicAuth, {
  validate (username, password, _req, _reply, done) {
    done(username === 'admin@example.com' && password === 'admin' ? undefined : new Error('no'))
  },
  authenticate: { realm: 'cluster.local' }
})
app.addHook('onRequest', app.basicAuth)
const taskSchema = {
  type: 'object',
  properties: Object.fromEntries(Object.keys(TASK).map((k) => [k, { type: 'string' }]))
}
app.get('/v1/crdb_tasks/:id', { schema: { response: { 200: taskSchema } } }, async () => TASK)
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
process.stdout.write('ready\n')
process.on('SIGTERM', () => { app.close().then(() => process.exit(0)) })
