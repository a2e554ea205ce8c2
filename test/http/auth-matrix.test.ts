/**
 * The auth matrix (contract, sections 4, 6 and 8): every route, without and with a `/ns/{name}`
 * prefix, against no credentials, a wrong password, an unknown user and a user of each role.
 *
 * - no credentials, a wrong password, an unknown user: 401 `unauthorized` with
 *   `WWW-Authenticate: Basic realm="<cluster name>"`;
 * - a role without the route's permission: 403 `forbidden`;
 * - otherwise the route's own success (each request starts from the same state, so it is exact).
 *
 * Health and the OpenAPI document need no credentials at all; every other path, a path that is no
 * route too, answers 401 without them. With `--no-control` only health
 * is left of the control API. Passwords and credentials never reach the logs or the journal.
 */
import type { FastifyInstance, InjectOptions } from 'fastify'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { State } from '../../src/emulator/state-schema.js'
import { ROLES, type Role } from '../../src/emulator/users.js'
import { as, basic, errorCodeOf, makeApp, servedRoutes, USERS, type TestApp } from './helpers.js'

const REALM = 'Basic realm="test.cluster"'

/** Who may call a route, as the contract says (section 4). */
type Access = 'public' | 'read' | 'change' | 'control'
const ALLOWED: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  read: ROLES.filter((role) => role !== 'none'),
  change: ['admin', 'cluster_member', 'db_member'],
  control: ['admin']
}

interface Fixture {
  /** The state each request starts from. */
  snapshot: State
  /** The seeded CRDB's GUID in each namespace. */
  guids: Record<string, string>
}

interface Case {
  /** `METHOD /path` in Fastify's form, as `printRoutes` shows it. */
  route: string
  /** The concrete URL; `{guid}` is the seeded CRDB of the namespace. */
  url: string
  access: Access
  /** The answer when the caller may make the request. */
  success: number
  body?: (fixture: Fixture, prefix: string) => object
}

const instance = (n: number) => ({ cluster: { name: `c${n}.example.com`, url: `https://c${n}.example.com:9443`, credentials: { username: `admin@c${n}`, password: 'crdb-secret-456' } } })
const CRDB = { name: 'matrix-db', instances: [instance(1), instance(2), instance(3)] }

/** One concrete request per route (two for `POST /v1/crdbs`: with and without `dry_run`). */
const CASES: readonly Case[] = [
  { route: 'GET /v1/crdb_tasks', url: '/v1/crdb_tasks', access: 'read', success: 200 },
  { route: 'GET /v1/crdb_tasks/:task_id', url: '/v1/crdb_tasks/held-queued?verbose=true', access: 'read', success: 200 },
  { route: 'POST /v1/crdb_tasks/:task_id/actions/cancel', url: '/v1/crdb_tasks/held-queued/actions/cancel', access: 'change', success: 200 },
  { route: 'GET /v1/crdbs', url: '/v1/crdbs', access: 'read', success: 200 },
  { route: 'POST /v1/crdbs', url: '/v1/crdbs', access: 'change', success: 200, body: () => CRDB },
  { route: 'POST /v1/crdbs', url: '/v1/crdbs?dry_run=true', access: 'change', success: 200, body: () => CRDB },
  { route: 'GET /v1/crdbs/:guid', url: '/v1/crdbs/{guid}', access: 'read', success: 200 },
  { route: 'PATCH /v1/crdbs/:guid', url: '/v1/crdbs/{guid}', access: 'change', success: 200, body: () => ({ name: 'renamed' }) },
  { route: 'DELETE /v1/crdbs/:guid', url: '/v1/crdbs/{guid}', access: 'change', success: 200 },
  { route: 'PUT /v1/crdbs/:guid/flush', url: '/v1/crdbs/{guid}/flush', access: 'change', success: 200 },
  { route: 'GET /v1/crdbs/:guid/health_report', url: '/v1/crdbs/{guid}/health_report', access: 'read', success: 200 },
  { route: 'POST /v1/crdbs/:guid/updates', url: '/v1/crdbs/{guid}/updates', access: 'change', success: 200, body: () => ({ add_instances: [instance(4)] }) },
  { route: 'PUT /v1/crdbs/:guid/purge', url: '/v1/crdbs/{guid}/purge', access: 'change', success: 200, body: () => ({ instances: [3] }) },
  { route: 'POST /v1/crdbs/:guid/upgrade', url: '/v1/crdbs/{guid}/upgrade', access: 'change', success: 200, body: () => ({ redis_version: '7.4' }) },
  { route: 'GET /v1/cluster', url: '/v1/cluster', access: 'read', success: 200 },
  { route: 'GET /v1/nodes', url: '/v1/nodes', access: 'read', success: 200 },
  { route: 'GET /__emulator/health', url: '/__emulator/health', access: 'public', success: 200 },
  { route: 'GET /__emulator/openapi.json', url: '/__emulator/openapi.json', access: 'public', success: 200 },
  { route: 'GET /__emulator/clock', url: '/__emulator/clock', access: 'control', success: 200 },
  { route: 'POST /__emulator/clock/advance', url: '/__emulator/clock/advance', access: 'control', success: 200, body: () => ({ seconds: 1 }) },
  { route: 'POST /__emulator/clock/run', url: '/__emulator/clock/run', access: 'control', success: 200, body: () => ({ task_id: 'runs', status: 'finished' }) },
  { route: 'POST /__emulator/tasks', url: '/__emulator/tasks', access: 'control', success: 201, body: () => ({ id: 'made-here' }) },
  { route: 'PATCH /__emulator/tasks/:id', url: '/__emulator/tasks/held-running', access: 'control', success: 200, body: () => ({ result_ttl: 10 }) },
  { route: 'POST /__emulator/tasks/:id/step', url: '/__emulator/tasks/held-running/step', access: 'control', success: 200 },
  { route: 'GET /__emulator/tasks/:id/history', url: '/__emulator/tasks/held-running/history', access: 'control', success: 200 },
  { route: 'POST /__emulator/reset', url: '/__emulator/reset', access: 'control', success: 204 },
  { route: 'GET /__emulator/state', url: '/__emulator/state', access: 'control', success: 200 },
  {
    route: 'PUT /__emulator/state',
    url: '/__emulator/state',
    access: 'control',
    success: 204,
    // a namespace loads a state of exactly one namespace
    body: (fixture, prefix) => prefix === '' ? fixture.snapshot : { ...fixture.snapshot, namespaces: { am: fixture.snapshot.namespaces.am } }
  },
  {
    route: 'POST /__emulator/faults',
    url: '/__emulator/faults',
    access: 'control',
    success: 201,
    body: () => ({ match: { path: '/v1/crdb_tasks/*' }, action: { status: 503, error_code: 'cluster_busy', description: 'Busy.' }, times: 1 })
  },
  { route: 'GET /__emulator/faults', url: '/__emulator/faults', access: 'control', success: 200 },
  { route: 'DELETE /__emulator/faults', url: '/__emulator/faults', access: 'control', success: 204 },
  { route: 'DELETE /__emulator/faults/:id', url: '/__emulator/faults/fault-1', access: 'control', success: 204 },
  { route: 'GET /__emulator/requests', url: '/__emulator/requests', access: 'control', success: 200 },
  { route: 'DELETE /__emulator/requests', url: '/__emulator/requests', access: 'control', success: 204 },
  { route: 'GET /__emulator/namespaces', url: '/__emulator/namespaces', access: 'control', success: 200 },
  { route: 'GET /__emulator/clusters', url: '/__emulator/clusters', access: 'control', success: 200 },
  { route: 'PUT /__emulator/clusters/:name', url: '/__emulator/clusters/test.cluster', access: 'control', success: 200, body: () => ({ delay_ms: 0 }) },
  { route: 'PUT /__emulator/namespaces/:name', url: '/__emulator/namespaces/made-here', access: 'control', success: 201, body: () => ({ clock: 'manual' }) },
  { route: 'DELETE /__emulator/namespaces/:name', url: '/__emulator/namespaces/doomed', access: 'control', success: 204 },
  { route: 'GET /__emulator/ui', url: '/__emulator/ui', access: 'control', success: 200 },
  { route: 'GET /__emulator/ui/:file', url: '/__emulator/ui/', access: 'control', success: 200 },
  { route: 'GET /__emulator/overview', url: '/__emulator/overview', access: 'control', success: 200 },
  { route: 'POST /__emulator/tasks/:id/cancel', url: '/__emulator/tasks/held-queued/cancel', access: 'control', success: 200 }
]

interface Identity {
  name: string
  headers: Record<string, string>
  /** The role of a user who passes auth; none for a caller who does not. */
  role?: Role
}

const IDENTITIES: readonly Identity[] = [
  { name: 'no credentials', headers: {} },
  { name: 'a wrong password', headers: { authorization: basic('admin@example.com', 'wrong-secret-123') } },
  { name: 'an unknown user', headers: { authorization: basic('nobody@example.com', 'pw-admin') } },
  ...ROLES.map((role) => ({ name: `role ${role}`, headers: as(role), role }))
]

/** What the contract says this identity gets from this route. */
function expected (c: Case, who: Identity): { status: number, code?: string } {
  if (c.access === 'public') return { status: c.success }
  if (who.role === undefined) return { status: 401, code: 'unauthorized' }
  if (!ALLOWED[c.access].includes(who.role)) return { status: 403, code: 'forbidden' }
  return { status: c.success }
}

const PREFIXES = ['', '/ns/am']

async function seed (t: TestApp): Promise<Fixture> {
  const guids: Record<string, string> = {}
  const ok = async (method: InjectOptions['method'], url: string, payload?: object, headers: Record<string, string> = {}) => {
    const res = await t.call({ method, url, headers, ...(payload === undefined ? {} : { payload }) })
    if (res.status >= 300) throw new Error(`seeding ${method} ${url}: ${res.status} ${res.body}`)
    return res
  }
  await ok('PUT', '/__emulator/namespaces/doomed')
  for (const prefix of PREFIXES) {
    await ok('POST', `${prefix}/v1/crdbs`, CRDB, { 'x-task-id': 'made-crdb' })
    await ok('POST', `${prefix}/__emulator/clock/advance`, { seconds: 60 })
    const guid = ((await ok('GET', `${prefix}/v1/crdbs`)).json as { crdbs: Array<{ guid: string }> }).crdbs[0]?.guid ?? ''
    // instance 3 removed by force, so that a purge has something to purge
    await ok('POST', `${prefix}/v1/crdbs/${guid}/updates`, { remove_instances: [3], force_remove: true })
    await ok('POST', `${prefix}/__emulator/clock/advance`, { seconds: 60 })
    await ok('POST', `${prefix}/__emulator/tasks`, { id: 'held-queued', durations: { queued: null } })
    await ok('POST', `${prefix}/__emulator/tasks`, { id: 'held-running', durations: { queued: 0, running: null } })
    await ok('POST', `${prefix}/__emulator/tasks`, { id: 'runs', durations: { queued: 1, running: 2, commit: 1 } })
    await ok('POST', `${prefix}/__emulator/faults`, { match: { path: '/nowhere' }, action: { status: 503, error_code: 'cluster_busy', description: 'Busy.' } })
    guids[prefix] = guid
  }
  return { snapshot: t.registry.exportState(), guids }
}

const requestFor = (c: Case, fixture: Fixture, prefix: string, headers: Record<string, string>): InjectOptions => {
  const body = c.body?.(fixture, prefix)
  return {
    method: c.route.split(' ')[0] as InjectOptions['method'],
    url: prefix + c.url.replace('{guid}', fixture.guids[prefix] ?? ''),
    headers,
    ...(body === undefined ? {} : { payload: body })
  }
}

describe('the auth matrix', () => {
  let t: TestApp
  let fixture: Fixture
  beforeAll(async () => {
    t = await makeApp()
    fixture = await seed(t)
  })
  afterAll(async () => { await t.app.close() })

  it('has a request for every route the app serves', () => {
    const served = new Set(servedRoutes(t.app.printRoutes({ commonPrefix: false })).filter((r) => !r.startsWith('HEAD ')))
    expect(served.size).toBeGreaterThan(20)
    expect(new Set(CASES.map((c) => c.route))).toEqual(served)
  })

  for (const prefix of PREFIXES) {
    describe(prefix === '' ? 'without a namespace prefix' : `under ${prefix}`, () => {
      it.each(CASES.map((c) => [`${c.route.split(' ')[0] ?? ''} ${c.url}`, c] as const))('%s answers each caller as the contract says', async (_, c) => {
        const wrong: string[] = []
        for (const who of IDENTITIES) {
          t.registry.applyState(structuredClone(fixture.snapshot))
          const request = requestFor(c, fixture, prefix, who.headers)
          const res = await t.app.inject(request)
          const want = expected(c, who)
          const got = { status: res.statusCode, json: res.body === '' ? undefined : safeJson(res.body), headers: res.headers }
          const say = (what: string) => wrong.push(`${who.name}: ${what} (${request.method ?? ''} ${String(request.url)} -> ${res.statusCode} ${res.body.slice(0, 200)})`)
          if (got.status !== want.status) {
            say(`expected ${want.status}${want.code === undefined ? '' : ` ${want.code}`}`)
            continue
          }
          if (want.code !== undefined) {
            let code: string | undefined
            try { code = errorCodeOf(got) } catch (err) { say((err as Error).message) }
            if (code !== undefined && code !== want.code) say(`expected error_code ${want.code}`)
          }
          if (want.status === 401 && res.headers['www-authenticate'] !== REALM) say(`expected WWW-Authenticate: ${REALM}, got ${String(res.headers['www-authenticate'])}`)
          if (want.status !== 401 && res.headers['www-authenticate'] !== undefined) say('a WWW-Authenticate challenge on an answer that is not 401')
        }
        expect(wrong).toEqual([])
      })
    })
  }

  it('makes no namespace for a request that fails auth or is forbidden', async () => {
    for (const c of CASES.filter((x) => x.access !== 'public')) {
      for (const who of IDENTITIES.filter((w) => expected(c, w).status === 401 || expected(c, w).status === 403)) {
        const res = await t.app.inject(requestFor(c, fixture, '/ns/ghost', who.headers))
        expect(res.statusCode, `${who.name} ${c.route}`).toBe(expected(c, who).status)
        expect(t.registry.find('ghost'), `${who.name} ${c.route}`).toBeUndefined()
      }
    }
  })
})

describe('with --no-control', () => {
  let t: TestApp
  beforeAll(async () => { t = await makeApp({ control: false }) })
  afterAll(async () => { await t.app.close() })

  const fixture: Fixture = { snapshot: { format: 'crdb-tasks-emulator/state@1', namespaces: { am: {} } } as unknown as State, guids: {} }

  it('serves only health of the control API: every other control route is 404 not_found to an admin, 401 without credentials', async () => {
    const wrong: string[] = []
    for (const prefix of ['', '/ns/nc']) {
      for (const c of CASES.filter((x) => x.route.includes(' /__emulator/'))) {
        for (const headers of [as('admin'), {}] as Array<Record<string, string>>) {
          const res = await t.app.inject(requestFor(c, fixture, prefix, headers))
          const want = c.route === 'GET /__emulator/health' ? 200 : headers.authorization === undefined ? 401 : 404
          if (res.statusCode !== want) wrong.push(`${c.route} under "${prefix}" (${headers.authorization === undefined ? 'no credentials' : 'admin'}): ${res.statusCode} ${res.body.slice(0, 200)}`)
          else if (want === 404 && errorCodeOf({ json: safeJson(res.body), headers: res.headers }) !== 'not_found') wrong.push(`${c.route}: ${res.body}`)
        }
      }
    }
    expect(wrong).toEqual([])
  })

  it('still serves the /v1 routes under auth', async () => {
    expect((await t.call({ method: 'GET', url: '/v1/crdb_tasks' })).status).toBe(200)
    expect((await t.call({ method: 'GET', url: '/ns/nc/v1/crdbs' })).status).toBe(200)
    const refused = await t.app.inject({ method: 'GET', url: '/v1/crdb_tasks' })
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['www-authenticate']).toBe(REALM)
  })
})

describe('credentials in logs and the journal', () => {
  const lines: string[] = []
  let app: FastifyInstance

  beforeAll(async () => {
    const logger = pino({ level: 'trace' }, { write (line: string) { lines.push(line) } })
    app = (await makeApp({ logger })).app
    // a handler that fails, for the error log line
    app.get('/v1/__test/boom', { config: { permission: 'view_crdb_task' } }, async () => { throw new Error('boom') })
  })
  afterAll(async () => { await app.close() })

  it('never logs or journals a password, the base64 credentials or the Authorization header, right or wrong', async () => {
    const wrongPassword = 'wrong-secret-123'
    const sent: string[] = []
    const send = async (method: InjectOptions['method'], url: string, authorization: string, payload?: object) => {
      sent.push(authorization)
      return await app.inject({ method, url, headers: { authorization }, ...(payload === undefined ? {} : { payload }) })
    }
    for (const user of USERS) {
      for (const prefix of ['', '/ns/logs']) {
        await send('GET', `${prefix}/v1/crdb_tasks`, basic(user.email, user.password))
        await send('POST', `${prefix}/v1/crdbs`, basic(user.email, user.password), CRDB)
        await send('GET', `${prefix}/__emulator/clock`, basic(user.email, user.password))
        await send('GET', `${prefix}/v1/crdb_tasks/nope?verbose=perhaps`, basic(user.email, user.password))
        await send('GET', `${prefix}/v1/crdb_tasks`, basic(user.email, wrongPassword))
        await send('POST', `${prefix}/v1/crdb_tasks/x/actions/cancel`, basic(user.email, wrongPassword))
        // the password in clear where base64 belongs, and base64 with garbage after it
        await send('GET', `${prefix}/v1/crdbs`, `Basic ${user.email}:${wrongPassword}`)
        await send('GET', `${prefix}/v1/crdbs`, `${basic(user.email, wrongPassword)}!`)
        await send('GET', `${prefix}/no/such/route`, basic(user.email, user.password))
      }
    }
    await send('GET', '/v1/crdb_tasks', basic('nobody@example.com', wrongPassword))
    await send('GET', '/v1/crdb_tasks', `Basic ${Buffer.from(`admin@example.com:${wrongPassword}`).toString('base64')}`)
    const boom = await send('GET', '/v1/__test/boom', basic('admin@example.com', 'pw-admin'))
    expect(boom.statusCode).toBe(500)

    const outputs: string[] = []
    for (const prefix of ['', '/ns/logs']) {
      for (const path of ['/__emulator/requests', '/__emulator/state', '/v1/crdbs', '/v1/crdb_tasks']) {
        const res = await app.inject({ method: 'GET', url: `${prefix}${path}`, headers: as('admin') })
        expect(res.statusCode).toBe(200)
        outputs.push(res.body)
      }
    }

    // the test saw what it means to search: one log line per request, the journal full
    expect(lines.length).toBeGreaterThan(USERS.length * 2 * 9)
    expect(lines.some((l) => l.includes('"status":401'))).toBe(true)
    expect(lines.some((l) => l.includes('"user":"admin@example.com"'))).toBe(true)
    expect(lines.some((l) => l.includes('"level":50'))).toBe(true)
    expect(JSON.parse(outputs[0] as string)).toHaveLength(USERS.length * 8 + 3)

    const secrets = [
      ...USERS.map((u) => u.password),
      wrongPassword,
      'crdb-secret-456',
      ...new Set(sent.map((a) => a.replace(/^Basic /, '').replace(/!$/, '')))
    ]
    const leaks: string[] = []
    for (const [where, text] of [...lines.map((l, i) => [`log line ${i}`, l] as const), ...outputs.map((o, i) => [`answer ${i}`, o] as const)]) {
      for (const secret of secrets) if (text.includes(secret)) leaks.push(`${where} holds "${secret}": ${text.slice(0, 300)}`)
      if (/authorization/i.test(text)) leaks.push(`${where} mentions authorization: ${text.slice(0, 300)}`)
    }
    expect(leaks).toEqual([])
  })
})

function safeJson (text: string): unknown {
  try { return JSON.parse(text) } catch { return undefined }
}
