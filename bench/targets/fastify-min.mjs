// Reference: the realistic ceiling, a minimal Fastify 5 route with @fastify/basic-auth and a
// response schema, logger off, in a process of its own.
import { startFastifyApp } from './fastify-app.mjs'

const app = await startFastifyApp(Number(process.env.PORT))
process.stdout.write('ready\n')
process.on('SIGTERM', () => { app.close().then(() => process.exit(0)) })
