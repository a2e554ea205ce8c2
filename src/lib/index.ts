/**
 * crdb-tasks-emulator as a library: start an emulator of the Redis Software CRDB tasks REST API
 * inside a test, with time under the test's control.
 *
 * @example
 * import { createEmulator } from 'crdb-tasks-emulator'
 *
 * const emulator = await createEmulator()            // manual clock, 127.0.0.1, a free port
 * const task = await emulator.tasks.create({ id: 'demo' })
 * await emulator.runUntil(task.id, 'finished')      // milliseconds, not 14 seconds
 * // point the code under test at emulator.url (user admin@example.com, password admin)
 * await emulator.reset()                            // back as it started
 * await emulator.close()                            // or: await using emulator = await createEmulator()
 */
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import type { FaultRuleInput } from '../emulator/faults.js'
import { makeHandle, type Emulator, type LocalCalls } from './handle.js'
import { Transport } from './transport.js'
import { EmulatorClient } from './client.js'
import { topologyOf } from '../emulator/topology.js'
import { listenAsMember } from '../http/plugins/member.js'
import { loadConfig, type Config, type LogLevel } from '../cli/config.js'
import type { ClockMode } from '../engine/clock.js'
import type { Durations } from '../engine/engine.js'
import { assemble } from '../cli/assemble.js'
import type { User } from '../emulator/users.js'
import { RESET_KEEPABLE, resetCluster, type ResetKeepable } from '../emulator/cluster.js'
import { DEFAULT_NAMESPACE, type NamespaceRegistry } from '../emulator/namespaces.js'
import type { RsVersionName } from '../emulator/versions.js'

export { EmulatorClient, type MutationOptions } from './client.js'
export type { Emulator, NamespaceSettings, ResetKeepable, ResetOptions } from './handle.js'
export { EmulatorError, type ClientOptions } from './transport.js'
export type { Role, User } from '../emulator/users.js'
export { ROLES } from '../emulator/users.js'
export type { RunTarget, WireStatus } from '../engine/phases.js'
export type { FaultRuleInput } from '../emulator/faults.js'
export type { JournalFilter } from '../emulator/journal.js'
export type { State } from '../emulator/state-schema.js'
export { RS_VERSION_NAMES, type RsVersionName } from '../emulator/versions.js'
/** Every shape the API answers with, as the schemas that serialise it say. */
export type {
  AmendTaskBody, CancelWire, ClockWire, CreateTaskBody, CreateTaskBody as TaskSpecBody,
  FaultRuleWire, FaultRuleWire as FaultRule, HistoryWire, JournalEntryWire, JournalEntryWire as JournalEntry,
  NamespaceWire, TaskWire
} from '../http/schemas.js'
export type { CreateCrdbBody, CrdbWire, HealthReportWire, PatchCrdbBody, UpdatesBody, UpgradeBody } from '../http/crdb-schemas.js'

export interface EmulatorOptions {
  /**
   * A running emulator to use instead of starting one (the Docker image, a compose service, one
   * shared by parallel test files): the handle gets its own namespace there.
   */
  url?: string
  /** With `url`: the namespace to use (default: a new random one). Made now, removed by `close()`. */
  namespace?: string
  /** With `url`: credentials of an admin (default `admin@example.com` / `admin`). */
  username?: string
  password?: string
  /** `manual` (default here): time moves only when the test says; `real`: time passes. */
  clock?: ClockMode
  /** Emulated seconds per real second, real clock only. Default 1. */
  timeScale?: number
  /** Default phase durations in seconds. Default 1, 10, 3. */
  durations?: Durations
  /** Seconds an ended task's result is kept. Default 500. */
  resultTtl?: number
  maxTasks?: number
  /** Default: `admin@example.com` / `admin`, role admin. The handle logs in as the first admin. */
  users?: User[]
  clusterName?: string
  /**
   * Linked clusters (as `--clusters` gives them): each listens on a free port of its own and
   * answers as itself (its users, realm and tasks); `emulator.clusters[name]` has its URL and a
   * client. The first is also `emulator.url`. Clusters without `users` take `users`.
   */
  clusters?: Array<{ name: string, users?: User[] }>
  /** Makes ids, GUIDs and fault draws reproducible. */
  seed?: string
  /** The Redis Software version to answer as (`7.4`, `7.8`, `7.22`, `8.0`). Default the latest. */
  rsVersion?: RsVersionName
  /** Fault rules to start with. */
  faults?: FaultRuleInput[]
  /** Requests the journal keeps. Default 1000. */
  journalSize?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: a free port. */
  port?: number
  /** A log level (`info` logs a line per request to stdout) or a pino logger. Default: no logs. */
  logger?: LogLevel | FastifyBaseLogger
}

/**
 * Starts an emulator in this process, on 127.0.0.1 and a free port, with a manual clock.
 *
 * @example
 * const emulator = await createEmulator({ seed: 'my-suite' })
 * afterAll(() => emulator.close())
 */
export async function createEmulator (options: EmulatorOptions = {}): Promise<Emulator> {
  if (options.url !== undefined) return await useRemoteNamespace({ ...options, url: options.url })
  // the options go through the CLI's own settings table: the same rules, the same messages
  // (`createEmulator({ timeScale: -1 })` fails as `--time-scale -1` does)
  const argv: string[] = []
  const add = (flag: string, value: string | number | undefined): void => { if (value !== undefined) argv.push(`${flag}=${String(value)}`) }
  add('--host', options.host ?? '127.0.0.1')
  add('--port', options.port ?? 0)
  add('--clock', options.clock ?? 'manual')
  add('--time-scale', options.timeScale)
  add('--result-ttl', options.resultTtl)
  add('--max-tasks', options.maxTasks)
  add('--cluster-name', options.clusterName)
  add('--journal-size', options.journalSize)
  add('--rs-version', options.rsVersion)
  add('--seed', options.seed)
  const d = options.durations
  if (d !== undefined && d.queued !== null && d.running !== null && d.commit !== null) add('--durations', `${d.queued},${d.running},${d.commit}`)
  const parsed = loadConfig(argv, {})
  if (parsed.kind !== 'run') throw new Error('unreachable')
  const config: Config = {
    ...parsed.config,
    // a duration held (null) is the library's alone: the CLI takes numbers
    ...(d === undefined ? {} : { durations: d }),
    ...(options.users === undefined ? {} : { users: options.users, defaultUsers: false }),
    control: true
  }
  const logger = typeof options.logger === 'string' ? pino({ level: options.logger }) : options.logger
  const topology = options.clusters === undefined ? undefined : topologyOf({ clusters: options.clusters.map((c) => ({ name: c.name, ...(c.users === undefined ? {} : { users: c.users }) })) }, config.users)
  const members = topology?.members ?? [{ name: config.clusterName, users: config.users }]
  const adminOf = (users: readonly User[]): User | undefined => users.find((u) => u.role === 'admin')
  const missing = members.find((m) => adminOf(m.users) === undefined)
  if (missing !== undefined) {
    throw new Error(`Failed to create the emulator: no user of cluster ${missing.name} has the admin role, so its control API is out of reach. Add one to \`users\`.`)
  }
  const { app, registry } = await assemble(config, {
    ...(logger === undefined ? {} : { logger }),
    ...(options.faults === undefined ? {} : { faults: options.faults }),
    ...(topology === undefined ? {} : { topology })
  })
  const url = await app.listen({ host: config.host, port: config.port })
  const clusters: Record<string, { url: string, client: EmulatorClient }> = {}
  for (const [i, member] of members.entries()) {
    const admin = adminOf(member.users) as User
    // the first answers on the main port too; every linked one on a port of its own
    const memberUrl = topology === undefined || i === 0 ? url : await listenAsMember(app, member.name, { host: config.host, port: 0 })
    clusters[member.name] = { url: memberUrl, client: new EmulatorClient({ url: memberUrl, username: admin.email, password: admin.password }) }
  }
  const admin = adminOf(members[0]?.users ?? []) as User
  const http = new Transport({ url, username: admin.email, password: admin.password })
  let closed = false
  // with a logger, the reset goes over HTTP, so that it logs its request line as before
  const local = logger === undefined ? localCalls(registry, () => closed) : undefined
  return makeHandle(http, http, 'default', async () => { closed = true; await app.close() }, clusters, local)
}

/**
 * The handle's calls that an emulator in this process answers directly. Only a request the
 * server would take with a 204 is done here: a `keep` the body's schema refuses, or a closed
 * emulator, goes over HTTP and fails as it always has.
 */
function localCalls (registry: NamespaceRegistry, isClosed: () => boolean): LocalCalls {
  const keepable = new Set<unknown>(RESET_KEEPABLE)
  return {
    reset: (keep) => {
      if (isClosed() || !Array.isArray(keep) || !keep.every((k) => keepable.has(k)) || new Set(keep).size !== keep.length) return false
      const cluster = registry.find(DEFAULT_NAMESPACE)
      if (cluster === undefined) return false
      resetCluster(cluster, keep as ResetKeepable[])
      return true
    }
  }
}

/** A namespace of its own on a running emulator, so that parallel suites never meet. */
async function useRemoteNamespace (options: EmulatorOptions & { url: string }): Promise<Emulator> {
  const credentials = { ...(options.username === undefined ? {} : { username: options.username }), ...(options.password === undefined ? {} : { password: options.password }) }
  const root = new Transport({ url: options.url, ...credentials })
  const namespace = options.namespace ?? `t-${randomUUID().slice(0, 13)}`
  const handle = makeHandle(new Transport({ url: `${root.url}/ns/${namespace}`, ...credentials }), root, namespace, async () => {
    await handle.namespaces.delete(namespace)
  })
  await handle.namespaces.put(namespace, {
    ...(options.clock === undefined ? { clock: 'manual' } : { clock: options.clock }),
    ...(options.timeScale === undefined ? {} : { time_scale: options.timeScale })
  })
  return handle
}

/**
 * Connects to an emulator that runs elsewhere (the Docker image, a compose service) and gives
 * the same handle as `createEmulator`.
 *
 * @example
 * const emulator = connectEmulator({ url: 'http://emulator:8080', username: 'admin@example.com', password: 'admin' })
 * await emulator.reset()
 */
export function connectEmulator (options: { url: string, username?: string, password?: string, namespace?: string }): Emulator {
  const { namespace, ...rest } = options
  const root = new Transport(rest)
  const http = namespace === undefined ? root : new Transport({ ...rest, url: `${root.url}/ns/${namespace}` })
  return makeHandle(http, root, namespace ?? 'default', async () => {})
}
