import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorCodeOf, makeApp, type TestApp } from './helpers.js'

let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

describe('errors', () => {
  it('answers 404 not_found as JSON for an unknown route', async () => {
    for (const [method, url] of [['GET', '/nope'], ['GET', '/'], ['GET', '/v1/crdb_tasks/a/b/c'], ['POST', '/v1/crdbs/x/nothing']] as const) {
      const res = await t.call({ method, url })
      expect(res.status).toBe(404)
      expect(errorCodeOf(res)).toBe('not_found')
    }
  })

  it('answers 405 method_not_allowed, with Allow, to a known path with a wrong method (as real clusters answer PUT /v1/crdbs/{guid})', async () => {
    for (const [method, url, allow] of [
      ['PUT', '/v1/crdbs/7a1e5a4e-0d1c-4b1e-9d5a-3c2b1a0f9e8d', 'DELETE, GET, HEAD, PATCH'],
      ['DELETE', '/v1/crdb_tasks', 'GET, HEAD'],
      ['GET', '/v1/crdbs/x/flush', 'PUT'],
      ['GET', '/v1/crdb_tasks/t/actions/cancel', 'POST']
    ] as const) {
      const res = await t.call({ method, url })
      expect(res.status).toBe(405)
      expect(errorCodeOf(res)).toBe('method_not_allowed')
      expect(res.headers.allow).toBe(allow)
    }
  })

  it('answers 401 with the realm to a request without credentials before routing, for a path that is no route too', async () => {
    for (const [method, url] of [['GET', '/'], ['GET', '/nope'], ['PUT', '/v1/crdbs/x'], ['GET', '/v1/crdb_tasks']] as const) {
      const res = await t.app.inject({ method, url })
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Basic realm="test.cluster"')
      expect(res.json()).toMatchObject({ error_code: 'unauthorized' })
    }
    expect((await t.app.inject({ method: 'GET', url: '/__emulator/health' })).statusCode).toBe(200)
  })

  it('answers 400 invalid_request to a body that is not JSON', async () => {
    const res = await t.call({ method: 'POST', url: '/__emulator/tasks', headers: { 'content-type': 'application/json' }, payload: '{"id": ' })
    expect(res.status).toBe(400)
    expect(errorCodeOf(res)).toBe('invalid_request')
    expect(res.json.description).toBe('The request body is not valid JSON.')
  })

  it('answers 400 to a body that tries prototype poisoning', async () => {
    const res = await t.call({ method: 'POST', url: '/__emulator/tasks', headers: { 'content-type': 'application/json' }, payload: '{"__proto__": {"x": 1}}' })
    expect(res.status).toBe(400)
    expect(errorCodeOf(res)).toBe('invalid_request')
  })

  it('answers 413 payload_too_large to a body over 1 MiB', async () => {
    const res = await t.call({ method: 'POST', url: '/__emulator/tasks', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ id: 'x'.repeat(1024 * 1024) }) })
    expect(res.status).toBe(413)
    expect(errorCodeOf(res)).toBe('payload_too_large')
  })

  it('answers 415 unsupported_media_type to a body that is not JSON by its type', async () => {
    const res = await t.call({ method: 'POST', url: '/__emulator/tasks', headers: { 'content-type': 'application/xml' }, payload: '<task/>' })
    expect(res.status).toBe(415)
    expect(errorCodeOf(res)).toBe('unsupported_media_type')
  })

  it('answers 500 internal_error without a stack trace when a handler fails, and goes on serving', async () => {
    t.app.get('/__test/boom', { config: { public: true } }, async () => { throw new Error('secret internals at /src/x.ts:1') })
    const res = await t.call({ method: 'GET', url: '/__test/boom' })
    expect(res.status).toBe(500)
    expect(errorCodeOf(res)).toBe('internal_error')
    expect(res.body).not.toContain('secret')
    expect(res.body).not.toContain('.ts')
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).status).toBe(200)
  })

  it('refuses to register a route that declares neither a permission nor public', async () => {
    expect(() => t.app.get('/__test/open', async () => 'x')).toThrow(/declares neither/)
  })
})
