// Reference: bare node:http. Checks the Authorization header and answers the task (or a list of
// LIST_SIZE tasks, or a cancel) with JSON.stringify per request, as a hand-written mock would.
import { createServer } from 'node:http'
import { AUTH, TASK } from './payload.mjs'

const list = Array.from({ length: Number(process.env.LIST_SIZE ?? 10) }, (_, i) => ({ ...TASK, id: `task-${i}` }))

const server = createServer((req, res) => {
  if (req.headers.authorization !== AUTH) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="cluster.local"' })
    res.end('{"error_code":"unauthorized","description":"no"}')
    return
  }
  let body
  if (req.method === 'POST' && req.url.endsWith('/actions/cancel')) body = JSON.stringify({ id: req.url.split('/')[3], status: 'failed' })
  else if (req.url === '/v1/crdb_tasks') body = JSON.stringify(list)
  else body = JSON.stringify(TASK)
  req.resume()
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
})
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
