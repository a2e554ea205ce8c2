import { once } from 'node:events'
import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { NamespaceRegistry } from '../../src/emulator/namespaces.js'
import { USERS, basic } from './helpers.js'

// Limits a slow or broken client meets, over a real socket: Node refuses these before Fastify
// sees a request, and the emulator still answers in its {error_code, description} shape.
let app: FastifyInstance
let port: number
beforeAll(async () => {
  const registry = new NamespaceRegistry({
    cluster: { clock: 'manual', timeScale: 1, clusterName: 'test.cluster', durations: { queued: 1, running: 10, commit: 3 }, resultTtl: 500, maxTasks: 100, journalSize: 10 },
    maxNamespaces: 10,
    idleTtlMs: 3_600_000,
    now: () => 0
  })
  app = await buildApp({ registry, users: USERS, clusterName: 'test.cluster', control: true, requestTimeoutMs: 900 })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  port = Number(new URL(url).port)
})
afterAll(async () => { await app.close() })

/** Sends raw bytes and collects what comes back until the server closes the connection (5 s at most). */
async function raw (text: string, keepOpen = false): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  let received = ''
  socket.on('data', (chunk: Buffer) => { received += chunk.toString() })
  socket.on('error', () => {})
  socket.write(text)
  if (!keepOpen) socket.end()
  const timer = setTimeout(() => socket.destroy(), 5000)
  await once(socket, 'close')
  clearTimeout(timer)
  return received
}

const bodyOf = (response: string): any => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))

describe('limits', () => {
  it('answers 431 headers_too_large as JSON to headers over 16 KiB', async () => {
    const response = await raw(`GET /v1/crdb_tasks HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(response).toMatch(/^HTTP\/1\.1 431 /)
    expect(response).toContain('Content-Type: application/json')
    expect(bodyOf(response)).toMatchObject({ error_code: 'headers_too_large' })
  })

  it('answers 400 invalid_request as JSON to a request that is not HTTP', async () => {
    const response = await raw('NOT HTTP AT ALL\r\n\r\n')
    expect(response).toMatch(/^HTTP\/1\.1 400 /)
    expect(bodyOf(response)).toEqual({ error_code: 'invalid_request', description: 'The request is not valid HTTP.' })
  })

  it('closes the connection of a client too slow to send its request, with 408 request_timeout', async () => {
    const started = Date.now()
    const response = await raw('GET /v1/crdb_tasks HTTP/1.1\r\nHost: x\r\n', true)
    expect(Date.now() - started).toBeLessThan(4000)
    expect(response).toMatch(/^HTTP\/1\.1 408 /)
    expect(bodyOf(response)).toMatchObject({ error_code: 'request_timeout' })
  })

  it('answers a path id of 2 000 characters with 414 uri_too_long', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/crdb_tasks/${'x'.repeat(2000)}`, headers: { authorization: basic('admin@example.com', 'pw-admin') } })
    expect(res.statusCode).toBe(414)
    expect(res.json()).toMatchObject({ error_code: 'uri_too_long' })
  })

  it('answers a long unknown path with a 404 whose description stays short', async () => {
    const res = await app.inject({ method: 'GET', url: `/nope/${'y/'.repeat(1500)}`, headers: { authorization: basic('admin@example.com', 'pw-admin') } })
    expect(res.statusCode).toBe(404)
    expect(res.json().description.length).toBeLessThan(400)
  })

  it('goes on answering after all of that', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/crdb_tasks`, { headers: { authorization: basic('admin@example.com', 'pw-admin') } })
    expect(res.status).toBe(200)
  })
})
