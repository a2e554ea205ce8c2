#!/usr/bin/env node
// The container's health check, with no curl in the image: GET /__emulator/health on this
// machine's port, over HTTPS when TLS is on. Exit 0 when it answers 200, else 1.
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

const tls = ['1', 'true'].includes((process.env.EMULATOR_TLS ?? '').toLowerCase()) || (process.env.EMULATOR_TLS_CERT ?? '') !== ''
const port = process.env.PORT !== undefined && process.env.PORT !== '' ? process.env.PORT : (tls ? '9443' : '8080')
const request = tls ? httpsRequest : httpRequest

const req = request({ host: '127.0.0.1', port, path: '/__emulator/health', timeout: 2000, rejectUnauthorized: false }, (res) => {
  res.resume()
  process.exit(res.statusCode === 200 ? 0 : 1)
})
req.on('timeout', () => req.destroy(new Error('timeout')))
req.on('error', (err) => {
  process.stderr.write(`health check failed: ${err.message}\n`)
  process.exit(1)
})
req.end()
