import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeApp, type TestApp } from './helpers.js'

let t: TestApp
beforeAll(async () => { t = await makeApp() })
afterAll(async () => { await t.app.close() })

describe('GET /__emulator/openapi.json', () => {
  it('serves, without auth, a valid OpenAPI 3.1 document of every /v1 and control route', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/__emulator/openapi.json' })
    expect(res.statusCode).toBe(200)
    const doc = res.json()
    const result = await new Validator().validate(doc)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    const paths = Object.keys(doc.paths)
    for (const path of ['/v1/crdb_tasks', '/v1/crdb_tasks/{task_id}', '/v1/crdb_tasks/{task_id}/actions/cancel', '/v1/crdbs', '/v1/crdbs/{guid}', '/v1/crdbs/{guid}/flush',
      '/__emulator/clock', '/__emulator/clock/advance', '/__emulator/clock/run', '/__emulator/tasks', '/__emulator/tasks/{id}/step', '/__emulator/state', '/__emulator/faults', '/__emulator/requests']) {
      expect(paths).toContain(path)
    }
    expect(doc.paths['/v1/crdb_tasks/{task_id}'].get.responses['404']).toBeDefined()
  })

  it('matches the committed docs/openapi.json (run `npm run openapi` after changing a schema)', async () => {
    const served = (await t.app.inject({ method: 'GET', url: '/__emulator/openapi.json' })).json()
    const committed = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'))
    expect(served).toEqual(committed)
  })
})
