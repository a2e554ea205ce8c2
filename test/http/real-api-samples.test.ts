import { readFileSync } from 'node:fs'
import { Value } from '@sinclair/typebox/value'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TaskSchema } from '../../src/http/schemas.js'
import { crdbBody, makeApp, type TestApp } from './helpers.js'

type Sample = { situation: string, body: Record<string, unknown> }
const samples = JSON.parse(readFileSync(new URL('../../fixtures/real-api-samples.json', import.meta.url), 'utf8')) as Record<string, Sample | string>
const sample = (name: string): Record<string, unknown> => (samples[name] as Sample).body

let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

describe('real clusters\' captured task objects', () => {
  it('all fit the emulator\'s task schema, but for the fields old releases leave out', () => {
    const tolerant = { ...TaskSchema, required: ['id', 'status'] }
    for (const [name, s] of Object.entries(samples)) {
      if (typeof s === 'string') continue
      expect(Value.Errors(tolerant, s.body).First(), name).toBeUndefined()
    }
  })

  it('have the same fields as the emulator\'s answer for a finished create', async () => {
    const created = await t.call({ method: 'POST', url: '/v1/crdbs', payload: crdbBody('x') })
    expect(Object.keys(created.json).sort()).toEqual([...Object.keys(sample('create_answer')), 'operation'].sort())
    t.advance(14)
    const done = (await t.call({ method: 'GET', url: `/v1/crdb_tasks/${created.json.id as string}` })).json
    expect(Object.keys(done).sort()).toEqual(Object.keys(sample('rich')).sort())
    expect(done.worker_name).toBe(sample('rich').worker_name)
    expect(done.started).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it('have the same fields as the emulator\'s answer for a failed task', async () => {
    await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: 'f', outcome: 'failed', errors: [{ cluster_name: 'east.example.com', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }] } })
    t.advance(11)
    const failed = (await t.call({ method: 'GET', url: '/v1/crdb_tasks/f' })).json
    expect(failed.errors).toEqual((sample('failed_port').errors))
    expect(failed.status).toBe('failed')
  })
})
