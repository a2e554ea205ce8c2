#!/usr/bin/env node
// The only impure shell: reads argv, env and files, makes the logger, listens, saves the state,
// handles signals.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import type { Namespace, NamespaceRegistry } from '../emulator/namespaces.js'
import { ConfigError, loadConfig, USAGE, type Config } from './config.js'
import { assemble } from './assemble.js'
import { readFaultsFile } from '../emulator/faults-file.js'
import { readTopologyFile, topologyOf, type TopologyFile } from '../emulator/topology.js'
import { listenAsMember } from '../http/plugins/member.js'
import { prepareStateFile, readStateFile, removeTempFiles, startStateSaver, type StateSaver } from '../emulator/state-file.js'
import type { State } from '../emulator/state-schema.js'
import { loadTls, type TlsMaterial } from './tls.js'
import { DEFAULT_USERS, type User } from '../emulator/users.js'
import { VERSION } from './version.js'
import { LATEST_RS_VERSION, RS_VERSION_NAMES } from '../emulator/versions.js'

/** Exit code for a bad setting or start-up file. */
const BAD_CONFIG = 2
/** How long in-flight requests get on SIGTERM before their connections are closed. */
const SHUTDOWN_GRACE_MS = 3000

function fail (message: string, code = BAD_CONFIG): never {
  process.stderr.write(`crdb-tasks-emulator: ${message}\n`)
  process.exit(code)
}

async function main (): Promise<void> {
  let request
  try {
    request = loadConfig(process.argv.slice(2), process.env)
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message)
    throw err
  }
  if (request.kind === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (request.kind === 'version') {
    // the bare version alone on stdout, for scripts; which Redis Software it answers as beside it
    process.stdout.write(`${VERSION}\n`)
    process.stderr.write(`crdb-tasks-emulator ${VERSION} (Redis Software ${RS_VERSION_NAMES.join(', ')}, default ${LATEST_RS_VERSION})\n`)
    return
  }
  const config = request.config

  // the state file is checked and locked first: two emulators never share one
  let lock: { release: () => void } | undefined
  try {
    if (config.stateFile !== undefined) lock = prepareStateFile(config.stateFile, { pid: process.pid, isAlive })
  } catch (err) {
    fail((err as Error).message)
  }
  process.on('exit', () => lock?.release())

  // every start-up file is read and checked before anything listens
  let faults, saved: State | undefined, fixtures: State | undefined, tls: TlsMaterial | undefined, clustersFile: TopologyFile | undefined
  try {
    faults = config.faultsFile === undefined ? undefined : readFaultsFile(config.faultsFile)
    clustersFile = config.clustersFile === undefined ? undefined : readTopologyFile(config.clustersFile)
    saved = config.stateFile === undefined ? undefined : readStateFile(config.stateFile, '--state-file')
    fixtures = config.fixturesFile === undefined ? undefined : readStateFile(config.fixturesFile, '--fixtures')
    if (config.tls) tls = await loadTls({ certFile: config.tlsCert, keyFile: config.tlsKey, commonName: config.clusterName })
  } catch (err) {
    fail((err as Error).message)
  }
  config.users = mergeUsers(config.users, fixtures?.users ?? [])
  // clusters without users of their own take the configured ones
  const topology = clustersFile === undefined ? undefined : topologyOf(clustersFile, config.users)

  // the log lines (one per request at info) go to stdout asynchronously: a line is queued, and
  // what queues while a write is under way leaves in the next write, in one batch
  // (on an exit that does not go through finish, pino writes what is queued synchronously).
  // Pretty lines, for a person at a terminal, go through pino-pretty, loaded only then.
  const format = config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json')
  const destination = format === 'json'
    ? pino.destination({ dest: 1, sync: false })
    : (await import('pino-pretty')).default({ destination: 1, sync: false, colorize: process.stdout.isTTY === true })
  const logger = pino({
    level: config.logLevel,
    base: { name: 'crdb-tasks-emulator' },
    // belt and braces: request logs never carry headers, but redact them if one ever does
    redact: ['req.headers.authorization', 'headers.authorization', 'password']
  }, destination)
  const { app, registry } = await assemble(config, {
    logger,
    ...(topology === undefined ? {} : { topology }),
    ...(faults === undefined ? {} : { faults }),
    ...(tls === undefined ? {} : { https: { key: tls.key, cert: tls.cert } })
  })

  // an existing state file wins; fixtures seed only a missing one
  const initial = saved ?? fixtures
  if (initial !== undefined) {
    try {
      registry.applyState(initial)
    } catch (err) {
      fail(`Failed to load ${saved !== undefined ? `--state-file ${config.stateFile ?? ''}` : `--fixtures ${config.fixturesFile ?? ''}`}: ${(err as Error).message} It was left as it is.`)
    }
  }
  logTransitions(registry, logger)

  let saver: StateSaver | undefined
  if (config.stateFile !== undefined) {
    const path = config.stateFile
    saver = startStateSaver({
      path,
      prepare: () => registry.prepareSave(),
      snapshot: () => registry.exportStateText(),
      changes: () => registry.totalChanges(),
      onError: (err) => logger.error({ err, path }, 'Failed to save the state file; will try again')
    })
  }

  let address: string
  try {
    address = await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'EADDRINUSE' ? `port ${config.port} is in use; pick another with --port or PORT` : e.message
    fail(`Failed to listen on ${config.host}:${config.port}: ${why}.`, 1)
  }
  // where it really listens, for the container's health probe (src/cli/healthcheck.ts)
  const urlFile = process.env.EMULATOR_URL_FILE ?? join(tmpdir(), 'crdb-tasks-emulator.url')
  if (urlFile !== '') {
    try { writeFileSync(urlFile, `${address}\n`) } catch { /* no file: the probe goes by PORT and EMULATOR_TLS */ }
    process.on('exit', () => { try { if (readFileSync(urlFile, 'utf8') === `${address}\n`) unlinkSync(urlFile) } catch {} })
  }
  // a member cluster with a port of its own answers there, as itself
  const memberUrls: Record<string, string> = {}
  for (const member of topology?.members ?? []) {
    if (member.port === undefined) continue
    try {
      memberUrls[member.name] = await listenAsMember(app, member.name, { host: config.host, port: member.port, ...(tls === undefined ? {} : { https: { key: tls.key, cert: tls.cert } }) })
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      fail(`Failed to listen on ${config.host}:${member.port} for cluster ${member.name}: ${e.code === 'EADDRINUSE' ? 'the port is in use; change its port in --clusters' : e.message}.`, 1)
    }
  }
  logger.info({ ...startupFields(config, address, tls), ...(topology === undefined ? {} : { clusters: topology.members.map((m) => ({ name: m.name, url: memberUrls[m.name] ?? address, users: m.users.map((u) => u.email) })) }) },
    startupMessage(config, address, tls) + (topology === undefined ? '' : `; clusters: ${topology.members.map((m) => `${m.name} at ${memberUrls[m.name] ?? `${address} (Host: ${m.name})`}`).join(', ')}`))

  let stopping = false
  let finished = false
  /** Saves the state (when there is a file) and exits once every log line is out; a save that fails keeps the old file and exits 1. */
  const finish = (code: number): void => {
    if (finished) return
    finished = true
    saver?.stop()
    try {
      saver?.saveNow()
      // a save from the timer that was under way is cut short by the exit: its temp file goes
      if (config.stateFile !== undefined) removeTempFiles(config.stateFile)
    } catch (err) {
      logger.error({ err, state_file: config.stateFile }, 'Failed to save the state file on shutdown; the previous one was kept')
      code = 1
    }
    logger.info({ state_file: config.stateFile, code }, 'Stopped')
    // end() writes what is queued after the write under way, then says 'close'; a stdout that
    // takes nothing for a second gets the rest synchronously (pino's exit handler, flushSync)
    const exit = (): never => process.exit(code)
    setTimeout(exit, 1000)
    destination.once('close', exit)
    destination.end()
  }
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'Stopping: finishing in-flight requests')
    // in-flight requests get a bounded time; then whatever is left (a half-sent request, a
    // delayed answer) is closed, and the state is saved all the same
    const servers = [app.server, ...app.memberServers]
    for (const s of servers) s.closeIdleConnections()
    const grace = setTimeout(() => { for (const s of servers) s.closeAllConnections() }, SHUTDOWN_GRACE_MS)
    grace.unref()
    const last = setTimeout(() => finish(0), SHUTDOWN_GRACE_MS + 2000)
    last.unref()
    app.close().then(() => finish(0), (err: unknown) => {
      logger.error({ err }, 'Failed to stop cleanly')
      finish(1)
    })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

/** Whether a process runs (a signal 0 reaches it, or it is someone else's). */
function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Only the built-in default user's password is printed (a newcomer needs it); no one else's, fixture users' neither. */
function isBuiltInUser (config: Config, user: User): boolean {
  return config.defaultUsers && `${user.email}:${user.password}:${user.role}` === DEFAULT_USERS
}

/** Fixture users join the configured ones; a fixture user with a configured email replaces it. */
function mergeUsers (configured: User[], added: User[]): User[] {
  const emails = new Set(added.map((u) => u.email))
  return [...configured.filter((u) => !emails.has(u.email)), ...added]
}

/**
 * A log line per phase change, with the task id (and namespace), so a compose user can follow
 * tasks in the logs, in every namespace, made now or later.
 */
function logTransitions (registry: NamespaceRegistry, logger: Logger): void {
  const hook = (ns: Namespace): void => {
    const namespace = ns.name
    ns.cluster.engine.subscribe((event) => {
      if (event.kind === 'history') {
        logger.info({ namespace, task_id: event.task.id, operation: event.task.operation, phase: event.entry.phase, cause: event.entry.cause, at: new Date(event.entry.at).toISOString() }, 'task')
      } else if (event.kind === 'expired') {
        logger.debug({ namespace, task_id: event.id }, 'task result expired')
      }
    })
  }
  for (const ns of registry.list()) hook(ns)
  registry.onCreate = hook
}

function startupFields (config: Config, url: string, tls: TlsMaterial | undefined) {
  return {
    url,
    cluster: config.clusterName,
    clock: config.clock,
    time_scale: config.timeScale,
    control: config.control,
    ...(tls === undefined ? {} : { tls_fingerprint_sha256: tls.fingerprint, tls_self_signed: tls.selfSigned }),
    ...(config.stateFile === undefined ? {} : { state_file: config.stateFile }),
    users: config.users.map((u) => ({ email: u.email, role: u.role, ...(isBuiltInUser(config, u) ? { password: u.password } : {}) }))
  }
}

/** One line a person can read: where, which clock, who may log in. */
function startupMessage (config: Config, url: string, tls: TlsMaterial | undefined): string {
  const clock = config.clock === 'real' ? `real clock${config.timeScale === 1 ? '' : ` x${config.timeScale}`}` : 'manual clock'
  const users = config.users.map((u) => `${u.email} (${u.role}${isBuiltInUser(config, u) ? `, password "${u.password}"` : ''})`).join(', ')
  const cert = tls === undefined ? '' : `; ${tls.selfSigned ? 'self-signed ' : ''}certificate SHA-256 ${tls.fingerprint}`
  return `CRDB tasks emulator listening on ${url} (cluster ${config.clusterName}, ${clock}${config.control ? '' : ', control API off'}); users: ${users}${cert}`
}

main().catch((err: unknown) => {
  process.stderr.write(`crdb-tasks-emulator: Failed to start: ${(err as Error).message}\n`)
  process.exit(1)
})
