import type { FastifyBaseLogger, FastifyInstance, InjectOptions } from 'fastify'
import type { Engine } from '../../src/engine/engine.js'
import type { FakeCluster } from '../../src/emulator/cluster.js'
import { NamespaceRegistry } from '../../src/emulator/namespaces.js'
import { buildApp } from '../../src/http/app.js'
import { ROLES, type Role, type User } from '../../src/emulator/users.js'
import { VERSION } from '../../src/cli/version.js'
import type { RsVersionName } from '../../src/emulator/versions.js'
import { topologyOf, type TopologyFile } from '../../src/emulator/topology.js'

/** 2026-01-01T00:00:00Z: tests start their manual clock here. */
export const T0 = Date.UTC(2026, 0, 1)

/** One user per role: `<role>@example.com`, password `pw-<role>`. */
export const USERS: User[] = ROLES.map((role) => ({ email: `${role}@example.com`, password: `pw-${role}`, role }))

export const basic = (email: string, password: string): string =>
  `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`

export const as = (role: Role): { authorization: string } => ({ authorization: basic(`${role}@example.com`, `pw-${role}`) })

export interface TestApp {
  app: FastifyInstance
  engine: Engine
  cluster: FakeCluster
  /** The delays delay faults asked for (they do not wait in tests). */
  slept: number[]
  /** Injects a request as the admin unless `headers.authorization` says otherwise. */
  call: (options: InjectOptions & { role?: Role }) => Promise<{ status: number, json: any, headers: Record<string, unknown>, body: string }>
  advance: (seconds: number) => void
  registry: NamespaceRegistry
  /** Moves the real time the namespace registry sees (for idle namespaces). */
  passRealTime: (seconds: number) => void
}

export interface MakeAppOptions {
  maxTasks?: number
  maxCrdbs?: number
  control?: boolean
  resultTtl?: number
  journalSize?: number
  seed?: string
  maxNamespaces?: number
  /** Real seconds before an unused namespace is removed. */
  idleTtl?: number
  /** A pino logger to capture what the app logs. */
  logger?: FastifyBaseLogger
  /** The Redis Software version to answer as. */
  rsVersion?: RsVersionName
  /** Linked clusters (as a `--clusters` file gives them); clusters without users take USERS. */
  clusters?: TopologyFile['clusters']
}

export async function makeApp (options: MakeAppOptions = {}): Promise<TestApp> {
  let wall = T0
  const topology = options.clusters === undefined ? undefined : topologyOf({ clusters: options.clusters }, USERS)
  const registry = new NamespaceRegistry({
    cluster: {
      ...(topology === undefined ? {} : { topology }),
      clock: 'manual',
      clockStart: T0,
      timeScale: 1,
      clusterName: topology?.members[0]?.name ?? 'test.cluster',
      durations: { queued: 1, running: 10, commit: 3 },
      resultTtl: options.resultTtl ?? 500,
      maxTasks: options.maxTasks ?? 100_000,
      ...(options.maxCrdbs === undefined ? {} : { maxCrdbs: options.maxCrdbs }),
      journalSize: options.journalSize ?? 1000,
      seed: options.seed ?? 'test-seed'
    },
    maxNamespaces: options.maxNamespaces ?? 1000,
    idleTtlMs: (options.idleTtl ?? 3600) * 1000,
    now: () => wall
  })
  const slept: number[] = []
  const app = await buildApp({ registry, users: USERS, clusterName: topology?.members[0]?.name ?? 'test.cluster', ...(topology === undefined ? {} : { topology }), control: options.control ?? true, version: VERSION, ...(options.rsVersion === undefined ? {} : { rsVersion: options.rsVersion }), ...(options.logger === undefined ? {} : { logger: options.logger }), sleep: async (ms) => { slept.push(ms) } })
  const call: TestApp['call'] = async ({ role, ...inject }) => {
    const res = await app.inject({ ...inject, headers: { ...as(role ?? 'admin'), ...(inject.headers ?? {}) } })
    let json: unknown
    try { json = res.body === '' ? undefined : JSON.parse(res.body) } catch { json = undefined }
    return { status: res.statusCode, json, headers: res.headers, body: res.body }
  }
  const cluster = registry.default
  return {
    app,
    engine: cluster.engine,
    cluster,
    registry,
    slept,
    call,
    advance: (s) => cluster.engine.advance(s),
    passRealTime: (seconds) => { wall += seconds * 1000 }
  }
}

/** Asserts the real API's error shape and returns the code. */
export function errorCodeOf (res: { json: any, headers: Record<string, unknown> }): string {
  if (typeof res.json?.error_code !== 'string' || typeof res.json?.description !== 'string') {
    throw new Error(`not an {error_code, description} body: ${JSON.stringify(res.json)}`)
  }
  if (!String(res.headers['content-type']).startsWith('application/json')) {
    throw new Error(`content-type is ${String(res.headers['content-type'])}`)
  }
  return res.json.error_code
}

/** The routes an app serves, from `printRoutes({ commonPrefix: false })`, as `METHOD /path`. */
export function servedRoutes (tree: string): string[] {
  const stack: string[] = []
  const out: string[] = []
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line)
    if (m === null) continue
    const depth = (m[1] ?? '').length / 4
    stack.length = depth
    const path = (stack[depth - 1] ?? '') + (m[2] ?? '')
    stack.push(path)
    for (const method of (m[3] ?? '').split(', ')) if (method !== '') out.push(`${method} ${path}`)
  }
  return out
}

/** An instance on cluster `name`, as a create body gives it (credentials included). */
export const instanceOn = (name: string) => ({ cluster: { name, url: `https://${name}:9443`, credentials: { username: 'admin@example.com', password: 'crdb-secret' } } })

/** A valid `POST /v1/crdbs` body: two instances (the least a CRDB may have), each with credentials. */
export const crdbBody = (name = 'db', clusters: readonly string[] = ['a.example.com', 'b.example.com']) => ({ name, instances: clusters.map(instanceOn) })
