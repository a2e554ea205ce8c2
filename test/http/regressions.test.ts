import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorCodeOf, makeApp, type TestApp } from './helpers.js'

// Bugs the fuzz and model tests found, each kept as a test named after it.
let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

const nested = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels)

describe('regressions', () => {
  it('refuses a CRDB whose db_config nests 4 500 levels deep, which used to break later reads with 500', async () => {
    const body = `{"name":"deep","instances":[{"cluster":{"name":"a","url":"https://a","credentials":{"username":"u","password":"p"}},"db_config":${nested(4500)}},{"cluster":{"name":"b","url":"https://b","credentials":{"username":"u","password":"p"}}}]}`
    const res = await t.call({ method: 'POST', url: '/v1/crdbs', headers: { 'content-type': 'application/json' }, payload: body })
    expect(res.status).toBe(400)
    expect(errorCodeOf(res)).toBe('invalid_request')
    expect(res.json.description).toContain('nested deeper than 64 levels')
    t.advance(100)
    expect((await t.call({ method: 'GET', url: '/v1/crdbs' })).status).toBe(200)
    expect((await t.call({ method: 'GET', url: '/__emulator/state' })).status).toBe(200)
  })

  it('refuses the same nesting in a state import and in a create, and takes 64 levels', async () => {
    const state = `{"namespaces":{"default":{"crdbs":[{"guid":"g","name":"n","instances":[{"cluster":{"name":"a","url":"u"}}],"default_db_config":${nested(100)}}]}}}`
    expect((await t.call({ method: 'PUT', url: '/__emulator/state', headers: { 'content-type': 'application/json' }, payload: state })).status).toBe(400)
    const ok = `{"name":"ok","instances":[{"cluster":{"name":"a","url":"https://a","credentials":{"username":"u","password":"p"}},"db_config":${nested(60)}},{"cluster":{"name":"b","url":"https://b","credentials":{"username":"u","password":"p"}}}]}`
    expect((await t.call({ method: 'POST', url: '/v1/crdbs', headers: { 'content-type': 'application/json' }, payload: ok })).status).toBe(200)
    // brackets inside strings do not count
    const strings = `{"name":"brackets","default_db_config":{"note":"${'['.repeat(200)}"},"instances":[{"cluster":{"name":"a","url":"https://a","credentials":{"username":"u","password":"p"}}},{"cluster":{"name":"b","url":"https://b","credentials":{"username":"u","password":"p"}}}]}`
    expect((await t.call({ method: 'POST', url: '/v1/crdbs', headers: { 'content-type': 'application/json' }, payload: strings })).status).toBe(200)
  })
})
