// Reference for start-up: the least a Node server can do, a bare node:http listen that answers
// every request with 200 and a small JSON body.
import { createServer } from 'node:http'

const server = createServer((req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end('{"status":"ok"}')
})
server.listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
