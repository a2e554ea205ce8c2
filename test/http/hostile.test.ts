import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { crdbBody, errorCodeOf, instanceOn, makeApp, type TestApp } from './helpers.js'

// Regressions of the attack on the running emulator (the "hostile load" issue), each named
// after what used to go wrong.
let t: TestApp
beforeEach(async () => { t = await makeApp() })
afterEach(async () => { await t.app.close() })

describe('nothing unauthenticated creates state or grows memory', () => {
  it('answers the public health probe under /ns/{any} without making the namespace (it used to make one per name)', async () => {
    for (let i = 0; i < 20; i++) expect((await t.app.inject({ method: 'GET', url: `/ns/probe-${i}/__emulator/health` })).statusCode).toBe(200)
    expect(t.registry.list().map((ns) => ns.name)).toEqual(['default'])
  })

  it('cuts what the journal keeps of a request (it used to keep a parsed query of ~200 KB per entry)', async () => {
    const query = Array.from({ length: 500 }, (_, i) => `k${i}=${'v'.repeat(1000)}`).join('&')
    await t.app.inject({ method: 'GET', url: `/v1/crdb_tasks/${'x'.repeat(900)}?${query}` })
    const [entry] = (await t.call({ method: 'GET', url: '/__emulator/requests' })).json
    expect(Object.keys(entry.query)).toHaveLength(32)
    expect(Math.max(...Object.values(entry.query as Record<string, string>).map((v) => v.length))).toBeLessThanOrEqual(259)
    expect(JSON.stringify(entry).length).toBeLessThan(12_000)
  })
})

describe('every store has a bound', () => {
  it('refuses a create past --max-crdbs with 503 too_many_crdbs (CRDBs used to be uncapped)', async () => {
    const small = await makeApp({ maxCrdbs: 1 })
    try {
      expect((await small.call({ method: 'POST', url: '/v1/crdbs', payload: crdbBody('one') })).status).toBe(200)
      small.advance(14)
      const res = await small.call({ method: 'POST', url: '/v1/crdbs', payload: crdbBody('two') })
      expect(res.status).toBe(503)
      expect(errorCodeOf(res)).toBe('too_many_crdbs')
    } finally {
      await small.app.close()
    }
  })

  it('refuses a /v1/crdbs body over 64 KiB with 413, and a db_config of more than 256 fields with 400 (a body used to cost 8-10 MB)', async () => {
    const big = { ...crdbBody('big'), default_db_config: { note: 'x'.repeat(70 * 1024) } }
    expect((await t.call({ method: 'POST', url: '/v1/crdbs', payload: big })).status).toBe(413)
    const wide = { ...crdbBody('wide'), default_db_config: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, 1])) }
    const res = await t.call({ method: 'POST', url: '/v1/crdbs', payload: wide })
    expect(res.status).toBe(400)
    expect(res.json.detail).toContain('default_db_config')
  })
})

describe('changes are saved', () => {
  it('counts a clock advance that fires no event as a change (it used not to be saved)', async () => {
    const before = t.registry.totalChanges()
    await t.call({ method: 'POST', url: '/__emulator/clock/advance', payload: { seconds: 1 } })
    expect(t.registry.totalChanges()).toBeGreaterThan(before)
  })

  it('keeps the change total growing when a namespace is deleted (it used to fall back to a saved count)', async () => {
    await t.call({ method: 'PUT', url: '/__emulator/namespaces/gone' })
    for (let i = 0; i < 5; i++) await t.call({ method: 'POST', url: '/ns/gone/__emulator/tasks', payload: {} })
    const before = t.registry.totalChanges()
    await t.call({ method: 'DELETE', url: '/__emulator/namespaces/gone' })
    expect(t.registry.totalChanges()).toBeGreaterThan(before)
  })
})

describe('time has an upper bound', () => {
  it('refuses an advance past 9000-01-01 with 400 time_out_of_range and moves nothing (800 advances used to pass year 9999)', async () => {
    const clock = (await t.call({ method: 'GET', url: '/__emulator/clock' })).json.now
    for (let i = 0; i < 800; i++) {
      const res = await t.call({ method: 'POST', url: '/__emulator/clock/advance', payload: { seconds: 315_360_000 } })
      if (res.status !== 200) {
        expect(res.status).toBe(400)
        expect(errorCodeOf(res)).toBe('time_out_of_range')
        break
      }
    }
    const now = (await t.call({ method: 'GET', url: '/__emulator/clock' })).json.now as string
    expect(now > clock).toBe(true)
    expect(now < '9000-01-01').toBe(true)
    expect((await t.call({ method: 'GET', url: '/__emulator/state' })).status).toBe(200)
  })

  it('refuses an import whose clock would resume past the bound, changing nothing (an offset of 8.7e15 ms used to kill the process)', async () => {
    const res = await t.call({ method: 'PUT', url: '/__emulator/state', payload: { namespaces: { default: { clock: { mode: 'real', offset_ms: 8.7e15 } } } } })
    expect(res.status).toBe(400)
    expect(res.json.description).toContain('clock')
    expect((await t.call({ method: 'GET', url: '/__emulator/clock' })).status).toBe(200)
  })
})

describe('smaller ones', () => {
  it('refuses text/plain on state-changing routes with 415 (a web page could send it with cached credentials)', async () => {
    for (const url of ['/__emulator/reset', '/v1/crdb_tasks/x/actions/cancel', '/__emulator/tasks']) {
      const res = await t.call({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: 'x' })
      expect(res.status, url).toBe(415)
    }
  })

  it('refuses an imported state whose fault rules share an id (they used to collide)', async () => {
    const rule = { id: 'fault-1', action: { drop: true } }
    const res = await t.call({ method: 'PUT', url: '/__emulator/state', payload: { namespaces: { default: { faults: [rule, rule] } } } })
    expect(res.status).toBe(400)
    expect(res.json.description).toContain('fault-1')
  })

  it('still creates with instances given in full (the bounds do not get in the way of a real body)', async () => {
    const body = { ...crdbBody('real', ['a.example.com', 'b.example.com', 'c.example.com']), default_db_config: { memory_size: 1 << 30, shards_count: 2 } }
    expect((await t.call({ method: 'POST', url: '/v1/crdbs', payload: { ...body, instances: [...body.instances, instanceOn('d.example.com')] } })).status).toBe(200)
  })
})
