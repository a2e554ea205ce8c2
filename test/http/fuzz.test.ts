/**
 * Fuzzing the HTTP layer: fast-check drives `app.inject` with hostile requests to every route,
 * with and without a `/ns/{name}` prefix: odd path ids (unicode, %-encodings, `..`, empty
 * segments, NUL escapes, very long ones), garbage and repeated query parameters, garbage
 * `X-Result-TTL`, `X-Task-ID` and `Authorization` headers, and bodies that are malformed, of the
 * wrong type at any field, nested thousands of levels deep, over 1 MiB or sent with the wrong
 * content type.
 *
 * Whatever comes in (contract, section 4): never a 5xx; every answer that is not 2xx is
 * `Content-Type: application/json` with exactly `{error_code, description}`, a snake_case code
 * and no stack trace; and afterwards the server still answers health, the task list, the CRDB
 * list, the journal and the state export of every namespace, now and once every task has run.
 *
 * Every case starts from the same state (a few tasks held in each phase, a CRDB, a fault rule
 * that matches nothing, in `default` and in namespace `fz`), so that cases are independent and
 * a failure shrinks to the smallest request that breaks the server.
 *
 * The default run uses a fixed seed; `DEEP=1` runs 20 times as many cases from a random seed.
 * fast-check prints the seed and the shrunk request of a failure; replay it with `FC_SEED=<seed>`.
 */
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PHASE_NAMES } from '../../src/engine/phases.js'
import { BODY_LIMIT } from '../../src/http/app.js'
import type { State } from '../../src/emulator/state-schema.js'
import { ROLES } from '../../src/emulator/users.js'
import { as, basic, makeApp, servedRoutes, type TestApp } from './helpers.js'

const DEEP = process.env.DEEP === '1'
const SCALE = DEEP ? 20 : 1
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : DEEP ? undefined : 20260101
const settings = <T extends unknown[]> (numRuns: number): fc.Parameters<T> => ({ numRuns: numRuns * SCALE, ...(SEED === undefined ? {} : { seed: SEED }) })
const TIMEOUT = DEEP ? 1_800_000 : 60_000

// ---- the route table ----

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** What kind of value a path parameter names, for the known values a case may pick. */
type ParamKind = 'task' | 'guid' | 'fault' | 'namespace'

interface Route {
  method: string
  /** Fastify's form: `:name` for a parameter. */
  path: string
  /** The templates of a valid body (by name in `templates`), when the route takes one. */
  bodies?: readonly string[]
  /** The query parameters the route reads. */
  query?: readonly string[]
}

/** Every route the app serves (HEAD aside); a test below checks this against the app itself. */
const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1/crdb_tasks' },
  { method: 'GET', path: '/v1/crdb_tasks/:task_id', query: ['verbose'] },
  { method: 'POST', path: '/v1/crdb_tasks/:task_id/actions/cancel', query: ['force'] },
  { method: 'GET', path: '/v1/crdbs' },
  { method: 'POST', path: '/v1/crdbs', bodies: ['crdb'], query: ['dry_run'] },
  { method: 'GET', path: '/v1/crdbs/:guid', query: ['instance_id'] },
  { method: 'PATCH', path: '/v1/crdbs/:guid', bodies: ['crdbPatch'] },
  { method: 'DELETE', path: '/v1/crdbs/:guid' },
  { method: 'PUT', path: '/v1/crdbs/:guid/flush', query: ['async_flush'] },
  { method: 'GET', path: '/v1/crdbs/:guid/health_report', query: ['instance_id'] },
  { method: 'POST', path: '/v1/crdbs/:guid/updates', bodies: ['crdbUpdates'], query: ['dry_run'] },
  { method: 'PUT', path: '/v1/crdbs/:guid/purge', bodies: ['crdbPurge'] },
  { method: 'POST', path: '/v1/crdbs/:guid/upgrade', bodies: ['crdbUpgrade', 'empty'] },
  { method: 'GET', path: '/v1/cluster' },
  { method: 'GET', path: '/v1/nodes' },
  { method: 'GET', path: '/__emulator/health' },
  { method: 'GET', path: '/__emulator/openapi.json' },
  { method: 'GET', path: '/__emulator/clock' },
  { method: 'POST', path: '/__emulator/clock/advance', bodies: ['advance'] },
  { method: 'POST', path: '/__emulator/clock/run', bodies: ['run', 'empty'] },
  { method: 'POST', path: '/__emulator/tasks', bodies: ['task', 'empty'] },
  { method: 'PATCH', path: '/__emulator/tasks/:id', bodies: ['amend'] },
  { method: 'POST', path: '/__emulator/tasks/:id/step' },
  { method: 'GET', path: '/__emulator/tasks/:id/history' },
  { method: 'POST', path: '/__emulator/reset' },
  { method: 'GET', path: '/__emulator/state' },
  { method: 'PUT', path: '/__emulator/state', bodies: ['state', 'oneNamespace'] },
  { method: 'POST', path: '/__emulator/faults', bodies: ['fault', 'faultDelay', 'faultDrop'] },
  { method: 'GET', path: '/__emulator/faults' },
  { method: 'DELETE', path: '/__emulator/faults' },
  { method: 'DELETE', path: '/__emulator/faults/:id' },
  { method: 'GET', path: '/__emulator/requests', query: ['method', 'path', 'status', 'cluster'] },
  { method: 'DELETE', path: '/__emulator/requests' },
  { method: 'GET', path: '/__emulator/namespaces' },
  { method: 'GET', path: '/__emulator/clusters' },
  { method: 'PUT', path: '/__emulator/clusters/:name', bodies: ['link'] },
  { method: 'PUT', path: '/__emulator/namespaces/:name', bodies: ['namespace', 'empty'] },
  { method: 'DELETE', path: '/__emulator/namespaces/:name' },
  { method: 'GET', path: '/__emulator/ui' },
  { method: 'GET', path: '/__emulator/ui/:file' },
  { method: 'GET', path: '/__emulator/overview' },
  { method: 'POST', path: '/__emulator/tasks/:id/cancel', query: ['force'] }
]
const V1_ROUTES = ROUTES.filter((r) => r.path.startsWith('/v1/'))
const PROTECTED_ROUTES = ROUTES.filter((r) => r.path !== '/__emulator/health' && r.path !== '/__emulator/openapi.json')
const BODY_ROUTES = ROUTES.filter((r) => r.bodies !== undefined)

const paramKind = (path: string, name: string): ParamKind =>
  name === 'guid' ? 'guid' : name === 'name' ? 'namespace' : path.startsWith('/__emulator/faults/') ? 'fault' : 'task'

// ---- the state every case starts from ----

const CRDB: Json = {
  name: 'fuzz-db',
  default_db_config: { memory_size: 1024, replication: true },
  instances: [
    { cluster: { name: 'c1.example.com', url: 'https://c1.example.com:9443', credentials: { username: 'u', password: 'p' } }, compression: 3, db_config: { shard_count: 1 } },
    { cluster: { name: 'c2.example.com', url: 'https://c2.example.com:9443', credentials: { username: 'u', password: 'p' } } }
  ],
  encryption: true
}
const AMEND: Json = {
  durations: { queued: 1, running: null, commit: 3 },
  outcome: 'failed',
  errors: [{ cluster_name: 'c1', error_code: 'boom', description: 'It broke.' }],
  result_ttl: 10,
  cancel: 'conflict',
  cancel_delay: 2,
  clusters: ['c1', 'c2']
}
const STATIC_TEMPLATES: Record<string, Json> = {
  empty: {},
  crdb: CRDB,
  crdbPatch: { name: 'renamed', default_db_config: { memory_size: 2048, eviction_policy: 'allkeys-lru' }, encryption: false, instances: [{ id: 1, db_config: { memory_size: null } }] },
  crdbUpdates: {
    add_instances: [{ cluster: { name: 'c3.example.com', url: 'https://c3.example.com:9443', credentials: { username: 'u', password: 'p' } }, compression: 2 }],
    remove_instances: [2],
    force_remove: true,
    crdb: { default_db_config: { shards_count: 2 } },
    force_update: false
  },
  crdbPurge: { instances: [2] },
  crdbUpgrade: { redis_version: '8.2', preserve_roles: true, may_discard_data: false, parallel_shards_upgrade: 2 },
  advance: { seconds: 1.5 },
  run: { task_id: 'runs', status: 'finished' },
  task: { id: 'fuzz-task', crdb_guid: 'g-1', operation: 'update_crdb', ...AMEND as Record<string, Json> },
  amend: AMEND,
  fault: { match: { method: 'GET', path: '/v1/crdb_tasks/*', user: 'admin@example.com', phase: 'commit' }, action: { status: 503, error_code: 'cluster_busy', description: 'Busy.' }, times: 1, probability: 0.5 },
  faultDelay: { match: { path: '/v1/crdbs' }, action: { delay_ms: [100, 300] } },
  faultDrop: { action: { drop: true } },
  namespace: { clock: 'manual', time_scale: 2 },
  link: { reachable: true, delay_ms: 0 }
}

const KNOWN_TASKS = ['held-queued', 'held-running', 'held-commit', 'refuses', 'ended', 'runs', 'made-crdb']
const KNOWN_NAMESPACES = ['fz', 'default', 'new-ns', 'nope']
/** The namespaces the start state has. */
const SEEDED_NAMESPACES = ['', '/ns/fz']

interface Fixture {
  snapshot: State
  /** The CRDB's GUID in each seeded namespace. */
  guids: Record<string, string>
  templates: Record<string, Json>
}

async function seed (t: TestApp): Promise<Fixture> {
  const guids: Record<string, string> = {}
  const ok = async (prefix: string, method: InjectOptions['method'], url: string, payload?: Json, headers: Record<string, string> = {}) => {
    const res = await t.call({ method, url: prefix + url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
    if (res.status >= 300) throw new Error(`seeding ${method} ${prefix}${url}: ${res.status} ${res.body}`)
    return res
  }
  for (const prefix of SEEDED_NAMESPACES) {
    await ok(prefix, 'POST', '/v1/crdbs', CRDB, { 'x-task-id': 'made-crdb' })
    await ok(prefix, 'POST', '/__emulator/tasks', { id: 'ended' })
    await ok(prefix, 'POST', '/__emulator/clock/advance', { seconds: 60 })
    await ok(prefix, 'POST', '/__emulator/tasks', { id: 'held-queued', durations: { queued: null } })
    await ok(prefix, 'POST', '/__emulator/tasks', { id: 'held-running', durations: { queued: 0, running: null } })
    await ok(prefix, 'POST', '/__emulator/tasks', { id: 'held-commit', durations: { queued: 0, running: 0, commit: null } })
    await ok(prefix, 'POST', '/__emulator/tasks', { id: 'refuses', cancel: 'conflict', durations: { queued: null } })
    await ok(prefix, 'POST', '/__emulator/tasks', { id: 'runs', durations: { queued: 1, running: 2, commit: 1 } })
    await ok(prefix, 'POST', '/__emulator/faults', { match: { path: '/nowhere' }, action: { status: 503, error_code: 'cluster_busy', description: 'Busy.' } })
    const crdbs = ((await ok(prefix, 'GET', '/v1/crdbs')).json as { crdbs: Array<{ guid: string }> }).crdbs
    guids[namespaceOf(prefix)] = (crdbs[0] as { guid: string }).guid
  }
  const snapshot = t.registry.exportState()
  const oneNamespace = t.registry.exportState('fz') as unknown as Json
  return { snapshot, guids, templates: { ...STATIC_TEMPLATES, state: snapshot as unknown as Json, oneNamespace } }
}

/** Back to the start state: tasks, CRDBs, faults and clocks as seeded, journals empty, no other namespace. */
function restore (t: TestApp, fixture: Fixture): void {
  t.registry.applyState(structuredClone(fixture.snapshot))
  for (const ns of t.registry.list()) ns.cluster.journal.clear()
}

const namespaceOf = (prefix: string): string => /^\/ns\/([a-z0-9-]{1,64})$/.exec(prefix)?.[1] ?? 'default'

// ---- what a case is made of ----

/** JSON text put as is where a value goes (`1e999`, a 5 000-level nesting, a 2 MiB string). */
class RawJson {
  constructor (readonly text: string) {}
  [fc.toStringMethod] (): string {
    return `raw(${short(this.text, 60)})`
  }
}
type Value = Json | RawJson
type PathKey = string | number
type Edit =
  | { op: 'set', path: PathKey[], value: Value }
  | { op: 'remove', path: PathKey[] }
  | { op: 'add', path: PathKey[], key: string, value: Value }

type Body =
  | { kind: 'none' }
  | { kind: 'json', template: string, edit: Edit | undefined }
  | { kind: 'text', text: string }
  | { kind: 'bytes', bytes: Uint8Array }

/** A path parameter: one of the known values of its kind, or hostile text put in the URL as is. */
type Param = { known: number } | { text: string }

interface Spec {
  route: Route
  method: string
  prefix: string
  params: Param[]
  query: string
  headers: Record<string, string | string[]>
  auth: string | string[] | undefined
  contentType: string | undefined
  body: Body
}

/** A request to inject, which fast-check shows shortened. */
interface FuzzRequest {
  method: string
  url: string
  headers: Record<string, string | string[]>
  payload: string | Buffer | undefined
  [fc.toStringMethod]: () => string
}

const short = (text: string, max = 200): string => text.length > max ? `${text.slice(0, max)}... (${text.length} chars)` : text
const b64 = (text: string): string => Buffer.from(text).toString('base64')

/** %-encodes every byte of the UTF-8 form but the unreserved characters. */
const encode = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((b) => /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')

/** What the server may decode from a URL, to tell an echo of the input from a stack trace. */
function decodedForms (text: string): string[] {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const hex = /^%([0-9A-Fa-f]{2})/.exec(text.slice(i, i + 3))
    if (hex !== null) {
      bytes.push(parseInt(hex[1] as string, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(text[i] === '+' ? ' ' : text[i] as string, 'utf8'))
    }
  }
  const buffer = Buffer.from(bytes)
  return [text, buffer.toString('utf8'), buffer.toString('latin1')]
}

// ---- arbitraries ----

const HOSTILE_SEGMENTS = [
  '..', '.', '', '%', '%zz', '%0', '%00', '%u0000', '\\0', '\\x00', '%2500', 'a%00b', '%2e%2e', '%2E', '%2F', '%2f..%2f', '%5C', '..;',
  '%252e', '%C0%AE', '%FF', '%E2%82', '%ED%A0%80', '%F0%9F%92%A5', 'é', '💥', '\u202e', '*', '~', ':', '@', '!', '\'', '%22', '%20', '+',
  '%0A', '%0D%0A', '%09', ';', 'a;b=c', '%3F', '%23', 'a/b', '/', '//', 'null', 'undefined', '__proto__', 'constructor', 'toString',
  'hasOwnProperty', '0', '-1', '1e999', 'fault-1', 'FAULT-1', 'held-queued%00', 'held-queued/', 'HELD-QUEUED', '%20held-queued', 'default'
]
const segmentArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }).map(encode) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('a', '%41', 'é', '%', '%F0%9F%92%A5', '../'), fc.constantFrom(127, 128, 129, 1023, 1024, 1025, 4096, 70_000))
      .map(([unit, times]) => unit.repeat(times))
  }
)
const paramArb: fc.Arbitrary<Param> = fc.oneof(
  { weight: 3, arbitrary: fc.nat(20).map((known) => ({ known })) },
  { weight: 4, arbitrary: segmentArb.map((text) => ({ text })) }
)

const prefixArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.constant('/ns/fz') },
  { weight: 2, arbitrary: fc.constantFrom('/ns/default', '/ns/new-ns', `/ns/${'z'.repeat(64)}`, '/ns/0', '/ns/-') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('/ns', '/ns/', '/ns//', '/ns/UPPER', `/ns/${'z'.repeat(65)}`, '/ns/a_b', '/ns/..', '/ns/%2e', '/ns/%', '/ns/é', '/NS/fz',
      '/ns/fz/ns/fz', '/ns/fz%2F', '/ns/%66z', '//ns/fz')
  },
  { weight: 1, arbitrary: segmentArb.map((s) => `/ns/${s}`) }
)

const QUERY_KEYS = ['verbose', 'force', 'dry_run', 'status', 'method', 'path', 'task_id', '__proto__', 'constructor', 'verbose[]', 'a[b]', '', 'VERBOSE']
const QUERY_VALUES = [
  'true', 'false', '1', '0', 'TRUE', 'tRuE', 'False', 'yes', 'no', 'on', 'perhaps', '', ' true', 'true ', '2', '-1', '%', '%zz', '%00', '[]', '{}',
  'null', 'undefined', '1e999', 'finished', 'failed', 'GET', 'get', 'G3T', '/v1/crdb_tasks', '999', '200', '0200', '1000'
]
const queryArb = (keys: readonly string[]): fc.Arbitrary<string> => fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?=x', '?verbose', '?force&force', '?%', '?verbose=1#frag', '?&verbose=1&', '?verbose=1;force=1', `?verbose=${'1'.repeat(5000)}`) },
  {
    weight: 6,
    arbitrary: fc.array(fc.tuple(
      fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys, ...QUERY_KEYS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) }),
      fc.option(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...QUERY_VALUES) }, { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) }), { nil: undefined }),
      fc.boolean()
    ), { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.map(([k, v, raw]) => {
      const e = raw ? (s: string) => s.replace(/[#\s]/g, encode) : encode
      return v === undefined ? e(k) : `${e(k)}=${e(v)}`
    }).join('&')}`)
  }
)

const headerValueArb = (constants: readonly string[]): fc.Arbitrary<string | string[]> => fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...constants) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.nat().map(String) },
  { weight: 1, arbitrary: fc.constantFrom('9'.repeat(100_000), 'x'.repeat(100_000)) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...constants), { minLength: 2, maxLength: 3 }) }
)
const headersArb: fc.Arbitrary<Record<string, string | string[]>> = fc.record({
  ttl: headerValueArb(['0', '1', '500', '2147483647', '2147483648', '9999999999', '99999999999', '-1', '+1', '1.0', '1e3', '0x1F', ' 1', '1 ', '',
    '\uff11', 'NaN', 'Infinity', '00000000000000000001', '1\u0000', '1,2']),
  taskId: headerValueArb(['my-task', 'held-queued', 'made-crdb', 'a'.repeat(128), 'a'.repeat(129), '', ' ', 'a b', 'é', '../x', 'x/y', 'a\u0000',
    '__proto__', 'constructor']),
  extra: fc.constantFrom<Record<string, string>>(
    { 'content-length': '0' }, { 'content-length': '-1' }, { 'content-length': 'abc' }, { 'content-length': '99999999999999999999' },
    { 'transfer-encoding': 'chunked' }, { 'content-encoding': 'gzip' }, { 'content-encoding': 'br' }, { expect: '100-continue' },
    { accept: 'text/html' }, { accept: 'application/xml;q=1, */*;q=0' }, { 'accept-encoding': 'gzip, br' }, { host: '' }, { host: 'é' },
    { 'x-forwarded-for': 'garbage' }, { connection: 'upgrade', upgrade: 'websocket' }, { 'x-http-method-override': 'DELETE' }
  )
}, { requiredKeys: [] }).map(({ ttl, taskId, extra }) => ({
  ...extra,
  ...(ttl === undefined ? {} : { 'x-result-ttl': ttl }),
  ...(taskId === undefined ? {} : { 'x-task-id': taskId })
}))

const ADMIN = b64('admin@example.com:pw-admin')
/** Authorization headers that never let anyone in. */
const brokenAuthArb: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 6,
    arbitrary: fc.constantFrom<string | string[]>(
      '', 'Basic', 'Basic ', `Basic  ${ADMIN}`, ` Basic ${ADMIN}`, `Basic\t${ADMIN}`, `Bearer ${ADMIN}`, 'Digest username="admin"', 'Token abc', ADMIN,
      `Basic ${b64('admin@example.com')}`, `Basic ${b64('admin@example.com:')}`, `Basic ${b64(':pw-admin')}`, `Basic ${b64('admin@example.com:pw-admin:x')}`,
      basic('admin@example.com', 'wrong-secret-123'), basic('nobody@example.com', 'pw-admin'), basic('ADMIN@example.com', 'pw-admin'),
      basic('admin@example.com', 'PW-ADMIN'), basic(' admin@example.com', 'pw-admin'), basic('admin@example.com', 'pw-admin\u0000'),
      basic('admin@example.com', 'pw-admin\n'), basic('admin@example.com', ' pw-admin'), basic('admin@example.com', 'pw-admin '),
      `Basic ${ADMIN.slice(0, -4)}`, `Basic ${ADMIN} x`, `Basic ${ADMIN}!`, 'Basic !!!', 'Basic ====', `Basic ${'A'.repeat(100_000)}`,
      basic('é@example.com', 'ü'), `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x80]).toString('base64')}`, 'Basic admin@example.com:pw-admin',
      basic('admin@example.com', 'pw-admin'.repeat(1000)), ['Basic', 'Basic'],
      // Node keeps the first of repeated Authorization headers (as it does for a real connection)
      [basic('admin@example.com', 'wrong-secret-123'), as('admin').authorization]
    )
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }).map((s) => `Basic ${b64(s)}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }).map((s) => `Basic ${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) }
)
const authArb: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(as('admin').authorization) },
  { weight: 2, arbitrary: fc.constantFrom(...ROLES).map((role) => as(role).authorization) },
  { weight: 1, arbitrary: fc.constantFrom(`basic ${ADMIN}`, `BASIC ${ADMIN}`, `Basic ${ADMIN}==`) },
  { weight: 3, arbitrary: brokenAuthArb }
)

const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom('application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8', 'application/json; charset=utf-16le',
      'application/json; charset=latin1', 'application/json;', 'application/json ; x=y', 'text/plain', 'text/json', 'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x', 'application/xml', '', ' ', '*/*', 'application/*', 'application/json, text/plain', 'application/jsonx',
      'application/vnd.api+json', 'application/octet-stream', 'json')
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constant(undefined) }
)

/** Nested objects, arrays or both, `depth` levels deep. */
const deepArb: fc.Arbitrary<RawJson> = fc.record({
  depth: fc.oneof(fc.integer({ min: 1, max: 6000 }), fc.constantFrom(5000, 10_000, 100_000)),
  shape: fc.constantFrom('object', 'array', 'mixed')
}).map(({ depth, shape }) => {
  const open = shape === 'object' ? '{"a":' : shape === 'array' ? '[' : '{"a":['
  const close = shape === 'object' ? '}' : shape === 'array' ? ']' : ']}'
  return new RawJson(`${open.repeat(depth)}1${close.repeat(depth)}`)
})
/** Values around and over the 1 MiB body limit. */
const hugeArb: fc.Arbitrary<RawJson> = fc.record({
  size: fc.constantFrom(BODY_LIMIT - 64, BODY_LIMIT + 1, 2 * BODY_LIMIT),
  shape: fc.constantFrom('string', 'array', 'object')
}).map(({ size, shape }) => new RawJson(
  shape === 'string' ? `"${'x'.repeat(size)}"` : shape === 'array' ? `[${'0,'.repeat(size / 2)}0]` : `{${Array.from({ length: Math.ceil(size / 12) }, (_, i) => `"k${i}":0`).join(',')}}`
))

const hostileValueArb: fc.Arbitrary<Value> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, '', ' ', 'x', 'true', '1', '-1', 'null', [], {}, [[]],
      [{}], { a: 1 }, 'é💥', '\u0000', '\ud800', 'a'.repeat(5000), ['c1', 1], [null])
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  {
    weight: 2,
    arbitrary: fc.constantFrom('1e999', '-1e999', '1e-999', '-0', '0.1e1', '123456789012345678901234567890', '1E400', '00', '01', '.5', '+1', 'NaN',
      'Infinity', 'undefined', '\'x\'', '"\\ud800"', '"\\u0000"', 'tru', '[1,]', '{,}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}')
      .map((text) => new RawJson(text))
  },
  { weight: 1, arbitrary: deepArb },
  { weight: 1, arbitrary: hugeArb }
)

const KEYS_TO_ADD = ['__proto__', 'constructor', 'prototype', 'unknown', 'id', 'name', 'users', 'credentials', '', 'a'.repeat(1000)]
const keyArb = fc.oneof(fc.constantFrom(...KEYS_TO_ADD), fc.string({ unit: 'binary', maxLength: 12 }))

function pathsOf (value: Json, prefix: PathKey[] = []): PathKey[][] {
  const out: PathKey[][] = [prefix]
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])))
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]))
  return out
}
const valueAt = (value: Json, path: PathKey[]): Json => path.reduce<Json>((v, k) => (v as Record<PathKey, Json>)[k] as Json, value)
const isObject = (value: Json): value is Record<string, Json> => value !== null && typeof value === 'object' && !Array.isArray(value)

/** Ways to spoil a valid body: a hostile value anywhere, a field removed, a field added. */
function editArb (template: Json): fc.Arbitrary<Edit | undefined> {
  const paths = pathsOf(template)
  const inner = paths.filter((p) => p.length > 0)
  const objects = paths.filter((p) => isObject(valueAt(template, p)))
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...paths), value: hostileValueArb }) },
    ...(inner.length === 0 ? [] : [{ weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), path: fc.constantFrom(...inner) }) }]),
    { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), path: fc.constantFrom(...objects), key: keyArb, value: hostileValueArb }) }
  )
}

const MALFORMED = [
  '{', '}', '{"a":}', '[1,]', '{\'a\':1}', 'nul', 'undefined', 'NaN', '{"a":1}{"b":2}', '\uFEFF{}', '{"a":"\\ud800"}', '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}', ' ', '\u0000', '{"a":1e999}', '[]', '""', '0', 'true', 'null', '{"a":1,"a":2}', '{"seconds":1,"seconds":"x"}',
  '\n\n{}', '{}\n', '{"id":"x"}garbage', '{"name":"x"', '{"a":\u0000}', '{"a":"\\x00"}', '{"a":"\\u00"}', '[' + '1,'.repeat(1000) + ']'
]

function bodyArb (route: Route, templates: Record<string, Json>): fc.Arbitrary<Body> {
  const names = route.bodies ?? ['empty']
  return fc.oneof(
    { weight: route.bodies === undefined ? 4 : 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    {
      weight: 8,
      arbitrary: fc.constantFrom(...names).chain((template) =>
        editArb(templates[template] as Json).map((edit): Body => ({ kind: 'json', template, edit })))
    },
    { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...MALFORMED), fc.string({ unit: 'binary', maxLength: 64 })).map((text): Body => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v): Body => ({ kind: 'text', text: JSON.stringify(v) ?? '' })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): Body => ({ kind: 'bytes', bytes })) }
  )
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'SEARCH']

interface SpecOptions {
  routes?: readonly Route[]
  method?: 'route' | 'any'
  prefix?: fc.Arbitrary<string>
  params?: fc.Arbitrary<Param>
  query?: 'none' | 'hostile'
  headers?: 'none' | 'hostile'
  auth?: fc.Arbitrary<string | string[] | undefined>
  contentType?: fc.Arbitrary<string | undefined>
  body?: (route: Route) => fc.Arbitrary<Body>
}

function specArb (fixture: Fixture, o: SpecOptions = {}): fc.Arbitrary<Spec> {
  return fc.constantFrom(...(o.routes ?? ROUTES)).chain((route) => fc.record({
    route: fc.constant(route),
    method: o.method === 'route' ? fc.constant(route.method) : fc.oneof({ weight: 9, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
    prefix: o.prefix ?? prefixArb,
    params: fc.array(o.params ?? paramArb, { minLength: 3, maxLength: 3 }),
    query: o.query === 'none' ? fc.constant('') : queryArb(route.query ?? []),
    headers: o.headers === 'none' ? fc.constant({}) : headersArb,
    auth: o.auth ?? authArb,
    contentType: o.contentType ?? contentTypeArb,
    body: o.body?.(route) ?? bodyArb(route, fixture.templates)
  }))
}

const validBody = (route: Route): fc.Arbitrary<Body> =>
  fc.constantFrom(...(route.bodies ?? ['none'])).map((template): Body => template === 'none' ? { kind: 'none' } : { kind: 'json', template, edit: undefined })

// ---- building and sending a case ----

function render (template: Json, edit: Edit | undefined): string {
  if (edit === undefined) return JSON.stringify(template)
  const raws: string[] = []
  const place = (value: Value): Json => {
    if (!(value instanceof RawJson)) return value
    raws.push(value.text)
    return `@@raw-${raws.length - 1}@@`
  }
  let body = structuredClone(template)
  if (edit.path.length === 0 && edit.op === 'set') {
    body = place(edit.value)
  } else {
    const parentPath = edit.op === 'add' ? edit.path : edit.path.slice(0, -1)
    const parent = valueAt(body, parentPath) as Record<PathKey, Json>
    if (edit.op === 'add') {
      Object.defineProperty(parent, edit.key, { value: place(edit.value), enumerable: true, writable: true, configurable: true })
    } else {
      const key = edit.path[edit.path.length - 1] as PathKey
      if (edit.op === 'set') parent[key] = place(edit.value)
      else if (Array.isArray(parent)) parent.splice(key as number, 1)
      else Reflect.deleteProperty(parent, key)
    }
  }
  return JSON.stringify(body).replace(/"@@raw-(\d+)@@"/g, (_, i: string) => raws[Number(i)] as string)
}

function build (spec: Spec, fixture: Fixture): FuzzRequest {
  const ns = namespaceOf(spec.prefix)
  let i = 0
  const path = spec.route.path.replace(/:(\w+)/g, (_, name: string) => {
    const param = spec.params[i++] ?? { known: 0 }
    if ('text' in param) return param.text
    const kind = paramKind(spec.route.path, name)
    const known = kind === 'task'
      ? KNOWN_TASKS
      : kind === 'guid' ? [fixture.guids[ns] ?? fixture.guids.default as string] : kind === 'fault' ? ['fault-1'] : KNOWN_NAMESPACES
    return known[param.known % known.length] as string
  })
  const headers: Record<string, string | string[]> = { ...spec.headers }
  if (spec.auth !== undefined) headers.authorization = spec.auth
  const body = spec.body
  const payload = body.kind === 'none'
    ? undefined
    : body.kind === 'json' ? render(fixture.templates[body.template] as Json, body.edit) : body.kind === 'text' ? body.text : Buffer.from(body.bytes)
  if (spec.contentType !== undefined && (payload !== undefined || spec.route.bodies !== undefined)) headers['content-type'] = spec.contentType
  const request = { method: spec.method, url: spec.prefix + path + spec.query, headers, payload }
  return { ...request, [fc.toStringMethod]: () => show(request) }
}

function show (r: Omit<FuzzRequest, typeof fc.toStringMethod>): string {
  const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => short(x, 80)) : short(v, 80)]))
  const payload = r.payload === undefined ? '' : ` body=${JSON.stringify(short(typeof r.payload === 'string' ? r.payload : `<bytes ${r.payload.toString('hex')}>`, 300))}`
  return `${r.method} ${JSON.stringify(short(r.url, 300))} headers=${JSON.stringify(headers)}${payload}`
}

const inputText = (r: FuzzRequest): string => [
  ...decodedForms(r.url),
  ...Object.values(r.headers).flat(),
  ...(r.payload === undefined ? [] : typeof r.payload === 'string' ? [r.payload] : [r.payload.toString('utf8'), r.payload.toString('latin1')])
].join('\n')

async function send (t: TestApp, r: FuzzRequest): Promise<LightMyRequestResponse> {
  return await t.app.inject({
    method: r.method as InjectOptions['method'],
    url: r.url,
    headers: r.headers,
    ...(r.payload === undefined ? {} : { payload: r.payload })
  })
}

// ---- what must hold ----

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/
/** Signs of a stack trace or a source path: frames, `file.ts:12`, internal modules. */
const STACK_TEXT = [/\n\s*at /, /\\n\s*at /, /\bat \S+ \(\S*:\d+:\d+\)/, /\.[cm]?[jt]sx?:/, /node:internal/, /file:\/\//, /\/(?:src|node_modules|dist)\//]

/** Skips a case whose own input looks like a stack trace (it may be echoed in a description). */
function assumeNoStackTextIn (r: FuzzRequest): void {
  const text = inputText(r)
  fc.pre(!STACK_TEXT.some((p) => p.test(text)))
}

function expectWellFormed (r: FuzzRequest, res: LightMyRequestResponse): void {
  const where = `${show(r)} -> ${res.statusCode} ${JSON.stringify(res.headers['content-type'])} ${short(res.body, 400)}`
  if (res.statusCode >= 500 || res.statusCode < 200) throw new Error(`status ${res.statusCode}: ${where}`)
  if (res.statusCode < 300) return
  const type = String(res.headers['content-type'] ?? '')
  if (type.startsWith('application/problem+json')) {
    expectProblem(r, res, where)
    return
  }
  if (!type.startsWith('application/json')) throw new Error(`an error that is not application/json: ${where}`)
  if (res.statusCode === 401 && res.headers['www-authenticate'] !== 'Basic realm="test.cluster"') {
    throw new Error(`a 401 without WWW-Authenticate: Basic realm="test.cluster" (${String(res.headers['www-authenticate'])}): ${where}`)
  }
  for (const pattern of STACK_TEXT) if (pattern.test(res.body)) throw new Error(`stack trace text (${String(pattern)}) in: ${where}`)
  if (r.method === 'HEAD') return
  let body: unknown
  try {
    body = JSON.parse(res.body)
  } catch {
    throw new Error(`an error body that is not JSON: ${where}`)
  }
  const keys = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).sort().join(',') : ''
  const { error_code: code, description } = (keys === 'description,error_code' ? body : {}) as { error_code?: unknown, description?: unknown }
  if (typeof code !== 'string' || typeof description !== 'string') throw new Error(`an error body that is not exactly {error_code, description}: ${where}`)
  if (!SNAKE_CASE.test(code)) throw new Error(`an error_code that is not snake_case: ${where}`)
  if (description.trim() === '') throw new Error(`an empty description: ${where}`)
  for (const pattern of STACK_TEXT) if (pattern.test(description)) throw new Error(`stack trace text (${String(pattern)}) in the description: ${where}`)
}

/**
 * The one exception to `{error_code, description}` (contract, section 4): a `/v1/crdbs*` request
 * body that fails its schema gets 400 in the problem shape real clusters answer with.
 */
function expectProblem (r: FuzzRequest, res: LightMyRequestResponse, where: string): void {
  const path = r.url.replace(/^\/ns\/[a-z0-9-]+/, '')
  if (res.statusCode !== 400 || !path.startsWith('/v1/crdbs')) throw new Error(`a problem body off a /v1/crdbs body error: ${where}`)
  const body = JSON.parse(res.body) as Record<string, unknown>
  if (Object.keys(body).sort().join(',') !== 'detail,status,title,type') throw new Error(`a problem body that is not exactly {detail, status, title, type}: ${where}`)
  if (body.status !== 400 || body.title !== 'Bad Request' || body.type !== 'about:blank') throw new Error(`a problem body with the wrong status, title or type: ${where}`)
  if (typeof body.detail !== 'string' || body.detail.trim() === '') throw new Error(`a problem body without a detail: ${where}`)
  for (const pattern of STACK_TEXT) if (pattern.test(body.detail)) throw new Error(`stack trace text (${String(pattern)}) in the detail: ${where}`)
}

/**
 * The server still answers: health, and in every namespace the task list, the CRDB list, the
 * journal, and the state export; then again once every task has had an hour to run its course
 * (a change a task carries is applied when it completes). Fault rules a case added are removed
 * first: their answers are the client's choice.
 */
async function expectStillServing (t: TestApp, after: FuzzRequest): Promise<void> {
  for (const ns of t.registry.list()) ns.cluster.faults.clear()
  const expectOk = async (url: string, headers: Record<string, string> = as('admin')) => {
    const res = await t.app.inject({ method: 'GET', url, headers })
    if (res.statusCode !== 200) throw new Error(`after ${show(after)}: GET ${url} answered ${res.statusCode} ${short(res.body, 300)}`)
  }
  const reads = async () => {
    await expectOk('/__emulator/health', {})
    await expectOk('/v1/crdb_tasks')
    await expectOk('/__emulator/state')
    for (const { name } of t.registry.list()) {
      for (const path of ['/v1/crdb_tasks', '/v1/crdbs', '/__emulator/requests', '/__emulator/state']) await expectOk(`/ns/${name}${path}`)
    }
  }
  await reads()
  for (const ns of t.registry.list()) ns.cluster.engine.advance(3600)
  await reads()
}

// ---- the tests ----

describe('fuzzing every route with hostile requests', () => {
  let t: TestApp
  let fixture: Fixture
  beforeAll(async () => {
    t = await makeApp()
    fixture = await seed(t)
  })
  afterAll(async () => { await t.app.close() })

  /** One case: the start state, the request, its answer, then the server's health. */
  const check = async (spec: Spec): Promise<void> => {
    const request = build(spec, fixture)
    assumeNoStackTextIn(request)
    restore(t, fixture)
    expectWellFormed(request, await send(t, request))
    await expectStillServing(t, request)
  }

  it('fuzzes a route table that covers every route the app serves', () => {
    const served = servedRoutes(t.app.printRoutes({ commonPrefix: false })).filter((r) => !r.startsWith('HEAD '))
    expect(served.length).toBeGreaterThan(20)
    expect([...served].sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort())
  })

  it('never answers a 5xx or a malformed error to a hostile request on any route, and keeps serving', async () => {
    await fc.assert(fc.asyncProperty(specArb(fixture), check), settings(500))
  }, TIMEOUT)

  it('answers a wrong type, a missing field or an unknown field anywhere in a body with a well-formed answer', async () => {
    await fc.assert(fc.asyncProperty(specArb(fixture, {
      routes: BODY_ROUTES,
      method: 'route',
      prefix: fc.constantFrom(...SEEDED_NAMESPACES),
      params: fc.nat(20).map((known) => ({ known })),
      query: 'none',
      headers: 'none',
      auth: fc.constant(as('admin').authorization),
      contentType: fc.constant('application/json'),
      body: (route) => fc.constantFrom(...(route.bodies ?? [])).chain((template) =>
        editArb(fixture.templates[template] as Json).filter((e) => e !== undefined).map((edit): Body => ({ kind: 'json', template, edit })))
    }), check), settings(300))
  }, TIMEOUT)

  it('survives bodies nested thousands of levels deep or larger than 1 MiB, anywhere in the body of any route', async () => {
    const nestedOrHuge = fc.oneof(deepArb, hugeArb)
    await fc.assert(fc.asyncProperty(specArb(fixture, {
      // the routes that take a body three times as often as the others
      routes: [...ROUTES, ...BODY_ROUTES, ...BODY_ROUTES],
      method: 'route',
      prefix: fc.constantFrom(...SEEDED_NAMESPACES),
      params: fc.nat(20).map((known) => ({ known })),
      query: 'none',
      headers: 'none',
      auth: fc.constant(as('admin').authorization),
      contentType: fc.constantFrom('application/json', 'application/json', 'text/plain'),
      body: (route) => fc.oneof(
        nestedOrHuge.map((raw): Body => ({ kind: 'text', text: raw.text })),
        fc.constantFrom(...(route.bodies ?? ['empty'])).chain((template) => {
          const paths = pathsOf(fixture.templates[template] as Json)
          const objects = paths.filter((p) => isObject(valueAt(fixture.templates[template] as Json, p)))
          return fc.oneof(
            fc.record({ path: fc.constantFrom(...paths), value: nestedOrHuge })
              .map(({ path, value }): Body => ({ kind: 'json', template, edit: { op: 'set', path, value } })),
            fc.record({ path: fc.constantFrom(...objects), key: fc.constantFrom('a', 'shard_count', 'name'), value: nestedOrHuge })
              .map(({ path, key, value }): Body => ({ kind: 'json', template, edit: { op: 'add', path, key, value } }))
          )
        })
      )
    }), check), settings(80))
  }, TIMEOUT)

  it('answers 401 unauthorized with the Basic challenge to any missing or broken Authorization header on a protected route', async () => {
    await fc.assert(fc.asyncProperty(specArb(fixture, {
      routes: PROTECTED_ROUTES,
      method: 'route',
      prefix: fc.constantFrom('', '/ns/fz', '/ns/never-made'),
      params: fc.nat(20).map((known) => ({ known })),
      headers: 'none',
      auth: brokenAuthArb,
      body: validBody
    }), async (spec) => {
      const request = build(spec, fixture)
      assumeNoStackTextIn(request)
      restore(t, fixture)
      const res = await send(t, request)
      expectWellFormed(request, res)
      const code = res.statusCode === 401 ? (JSON.parse(res.body) as { error_code: string }).error_code : undefined
      if (code !== 'unauthorized') throw new Error(`expected 401 unauthorized: ${show(request)} -> ${res.statusCode} ${short(res.body, 300)}`)
      // a request that fails auth makes no namespace
      if (t.registry.find('never-made') !== undefined) throw new Error(`a refused request made namespace never-made: ${show(request)}`)
      await expectStillServing(t, request)
    }), settings(300))
  }, TIMEOUT)

  it('applies hostile but valid fault rules to /v1 requests without breaking them', async () => {
    const segment = fc.oneof(fc.constantFrom('*', 'v1', 'crdb_tasks', 'crdbs', 'held-queued', 'actions', 'cancel', 'flush', '', '..', 'é', '%2F', '?x=1'), fc.string({ maxLength: 8 }))
    const ruleArb = fc.record({
      match: fc.record({
        method: fc.oneof(fc.constantFrom('GET', 'get', 'PoSt', 'PATCH', 'DELETE', 'PUT', 'HEAD'), fc.stringMatching(/^[A-Za-z]{1,16}$/)),
        path: fc.oneof(
          fc.constantFrom('/', '/*', '//', '/v1/crdb_tasks/*', '/v1/*/*', '/v1/crdb_tasks/*/actions/cancel', '/*/*/*/*', '/v1//crdbs', '/v1/crdbs/*/flush?x=1', `/${'*/'.repeat(300)}`),
          fc.array(segment, { maxLength: 8 }).map((s) => `/${s.join('/')}`)
        ),
        user: fc.oneof(fc.constantFrom(...ROLES.map((r) => `${r}@example.com`)), fc.string({ minLength: 1, maxLength: 40 })),
        phase: fc.constantFrom(...PHASE_NAMES)
      }, { requiredKeys: [] }),
      action: fc.oneof(
        fc.constant({ status: 418, error_code: 'fuzz_fault', description: 'A fuzzed fault.' }),
        fc.oneof(fc.integer({ min: 0, max: 600_000 }), fc.tuple(fc.nat(600_000), fc.nat(600_000)).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]))
          .map((delay) => ({ delay_ms: delay }))
      ),
      times: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      probability: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined })
    })
    const v1Request = specArb(fixture, { routes: V1_ROUTES, method: 'route', prefix: fc.constant(''), headers: 'none' })
    await fc.assert(fc.asyncProperty(fc.constantFrom(...SEEDED_NAMESPACES), ruleArb, fc.array(v1Request, { minLength: 1, maxLength: 4 }), async (prefix, rule, specs) => {
      const requests = specs.map((spec) => build({ ...spec, prefix }, fixture))
      for (const r of requests) assumeNoStackTextIn(r)
      restore(t, fixture)
      const added = await t.app.inject({ method: 'POST', url: `${prefix}/__emulator/faults`, headers: as('admin'), payload: rule })
      if (added.statusCode !== 201) throw new Error(`the rule ${JSON.stringify(rule)} was refused: ${added.statusCode} ${added.body}`)
      for (const r of requests) {
        const res = await send(t, r)
        if (res.statusCode === 418 && (JSON.parse(res.body) as { error_code?: string }).error_code === 'fuzz_fault') continue
        expectWellFormed(r, res)
      }
      const listed = await t.app.inject({ method: 'GET', url: `${prefix}/__emulator/faults`, headers: as('admin') })
      if (listed.statusCode !== 200) throw new Error(`GET ${prefix}/__emulator/faults answered ${listed.statusCode} ${listed.body}`)
      await expectStillServing(t, requests[requests.length - 1] as FuzzRequest)
    }), settings(150))
  }, TIMEOUT)
})
