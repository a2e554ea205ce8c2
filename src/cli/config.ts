import { parseArgs } from 'node:util'
import { CLOCK_MODES, type ClockMode } from '../engine/clock.js'
import { MAX_RESULT_TTL, MAX_SECONDS } from '../engine/limits.js'
import type { Durations } from '../engine/engine.js'
import { DEFAULT_USERS, parseUsers, type User } from '../emulator/users.js'
import { LATEST_RS_VERSION, RS_VERSION_NAMES, type RsVersionName } from '../emulator/versions.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ['pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface Config {
  host: string
  port: number
  users: User[]
  /** True when the users are the built-in default (its password may be printed). */
  defaultUsers: boolean
  clusterName: string
  clock: ClockMode
  timeScale: number
  durations: Durations
  resultTtl: number
  maxTasks: number
  maxCrdbs: number
  /** Open connections at most per server (the main port, each cluster's port). */
  maxConnections: number
  logLevel: LogLevel
  /** How log lines look; undefined: pretty when stdout is a terminal, JSON otherwise. */
  logFormat: LogFormat | undefined
  control: boolean
  /** Makes ids, GUIDs and fault draws reproducible. */
  seed: string | undefined
  /** A JSON file of fault rules to start with. */
  faultsFile: string | undefined
  /** Requests the journal keeps. */
  journalSize: number
  /** Serve HTTPS (implied by a certificate and key). */
  tls: boolean
  tlsCert: string | undefined
  tlsKey: string | undefined
  /** Where the state is loaded from at start and saved to. */
  stateFile: string | undefined
  /** A JSON file of users, tasks and CRDBs to start with. */
  fixturesFile: string | undefined
  /** A JSON file of the linked clusters of the deployment. */
  clustersFile: string | undefined
  /** Namespaces at most, besides default. */
  maxNamespaces: number
  /** Seconds of real time after which an unused namespace is removed. */
  namespaceIdleTtl: number
  /** The Redis Software version to answer as. */
  rsVersion: RsVersionName
}

/** A bad setting: `main` prints the message on one line and exits with code 2. */
export class ConfigError extends Error {}

type Parser<T> = (raw: string) => T | undefined

interface Setting<K extends keyof Config> {
  key: K
  flag: string
  env: string
  /** '' for a setting that is off unless given. */
  default: string
  expects: string
  meaning: string
  parse: Parser<Config[K]>
}

const integer = (min: number, max: number): Parser<number> => (raw) => {
  if (!/^[0-9]+$/.test(raw)) return undefined
  const n = Number(raw)
  return n >= min && n <= max ? n : undefined
}
const number = (min: number, max: number, minExclusive = false): Parser<number> => (raw) => {
  if (!/^[0-9]*\.?[0-9]+$/.test(raw)) return undefined
  const n = Number(raw)
  return (minExclusive ? n > min : n >= min) && n <= max ? n : undefined
}
const oneOf = <T extends string>(values: readonly T[]): Parser<T> => (raw) =>
  (values as readonly string[]).includes(raw) ? raw as T : undefined
const bool: Parser<boolean> = (raw) => ({ true: true, 1: true, false: false, 0: false } as Record<string, boolean>)[raw.toLowerCase()]

/** Flags that take no value. */
const BOOLEAN_FLAGS = new Set(['--no-control', '--tls'])

const setting = <K extends keyof Config>(s: Setting<K>): Setting<K> => s

/** The one list of settings: flags, environment variables, defaults, --help and the table in docs/configuration.md. */
export const SETTINGS = [
  setting({ key: 'host', flag: '--host', env: 'HOST', default: '127.0.0.1', expects: 'a host name or IP address', meaning: 'Address to listen on; `0.0.0.0` listens on every interface (in a container).', parse: (raw) => raw.trim() === '' ? undefined : raw.trim() }),
  setting({ key: 'port', flag: '--port', env: 'PORT', default: '8080', expects: 'an integer from 0 to 65535 (0 picks a free port)', meaning: 'Port to listen on; `0` picks a free one (the start-up line says which).', parse: integer(0, 65535) }),
  setting({
    key: 'users',
    flag: '--users',
    env: 'EMULATOR_USERS',
    default: DEFAULT_USERS,
    expects: 'comma-separated email:password:role entries',
    meaning: 'Users allowed in, comma-separated `email:password:role`.',
    parse: (raw) => { const users = parseUsers(raw); return typeof users === 'string' ? undefined : users }
  }),
  setting({ key: 'clusterName', flag: '--cluster-name', env: 'EMULATOR_CLUSTER_NAME', default: 'cluster.local', expects: '1 to 253 of letters, digits, ".", "_" and "-"', meaning: 'The cluster\'s name: the auth realm, and `cluster_name` in task errors.', parse: (raw) => /^[A-Za-z0-9._-]{1,253}$/.test(raw) ? raw : undefined }),
  setting({ key: 'rsVersion', flag: '--rs-version', env: 'EMULATOR_RS_VERSION', default: LATEST_RS_VERSION, expects: RS_VERSION_NAMES.join(', '), meaning: 'The Redis Software version to answer as: its permission table, `upgrade` (8.0), `certificate_auth` (8.0), the database_config fields (see docs/api.md).', parse: oneOf(RS_VERSION_NAMES) }),
  setting({ key: 'clock', flag: '--clock', env: 'EMULATOR_CLOCK', default: 'real', expects: CLOCK_MODES.join(' or '), meaning: '`real`: time passes (times `--time-scale`); `manual`: time moves only when advanced.', parse: oneOf(CLOCK_MODES) }),
  setting({ key: 'timeScale', flag: '--time-scale', env: 'EMULATOR_TIME_SCALE', default: '1', expects: 'a number above 0, at most 1000000', meaning: 'Emulated seconds per real second (real clock only).', parse: number(0, 1_000_000, true) }),
  setting({
    key: 'durations',
    flag: '--durations',
    env: 'EMULATOR_DURATIONS',
    default: '1,10,3',
    expects: `three numbers of seconds from 0 to ${MAX_SECONDS}, as queued,running,commit`,
    meaning: 'Default seconds a task spends queued, running and in commit.',
    parse: (raw) => {
      const parts = raw.split(',').map(number(0, MAX_SECONDS))
      if (parts.length !== 3 || parts.some((p) => p === undefined)) return undefined
      const [queued, running, commit] = parts as [number, number, number]
      return { queued, running, commit }
    }
  }),
  setting({ key: 'resultTtl', flag: '--result-ttl', env: 'EMULATOR_RESULT_TTL', default: '500', expects: `an integer from 0 to ${MAX_RESULT_TTL} (seconds)`, meaning: 'Seconds an ended task\'s result is kept.', parse: integer(0, MAX_RESULT_TTL) }),
  setting({ key: 'maxTasks', flag: '--max-tasks', env: 'EMULATOR_MAX_TASKS', default: '100000', expects: 'an integer from 1 to 10000000', meaning: 'Live tasks at most; past it, new tasks get 503 `too_many_tasks`.', parse: integer(1, 10_000_000) }),
  setting({ key: 'maxCrdbs', flag: '--max-crdbs', env: 'EMULATOR_MAX_CRDBS', default: '1000', expects: 'an integer from 1 to 1000000', meaning: 'CRDBs per namespace at most; past it, a create gets 503 `too_many_crdbs`.', parse: integer(1, 1_000_000) }),
  setting({ key: 'maxConnections', flag: '--max-connections', env: 'EMULATOR_MAX_CONNECTIONS', default: '10000', expects: 'an integer from 1 to 1000000', meaning: 'Open connections at most per server (the main port, each cluster\'s port), plain or TLS; past it, a new one is closed at once.', parse: integer(1, 1_000_000) }),
  setting({ key: 'logLevel', flag: '--log-level', env: 'LOG_LEVEL', default: 'info', expects: LOG_LEVELS.join(', '), meaning: 'pino log level; `info` logs one line per request.', parse: oneOf(LOG_LEVELS) }),
  setting({ key: 'logFormat', flag: '--log-format', env: 'LOG_FORMAT', default: '', expects: LOG_FORMATS.join(' or '), meaning: '`json`: one JSON object a line; `pretty`: lines for a person to read (pino-pretty). Unset: `pretty` when stdout is a terminal, else `json`.', parse: oneOf(LOG_FORMATS) }),
  setting({ key: 'journalSize', flag: '--journal-size', env: 'EMULATOR_JOURNAL_SIZE', default: '1000', expects: 'an integer from 0 to 1000000', meaning: 'Requests the journal (`GET /__emulator/requests`) keeps, newest last.', parse: integer(0, 1_000_000) }),
  setting({ key: 'seed', flag: '--seed', env: 'EMULATOR_SEED', default: '', expects: '1 to 256 characters', meaning: 'Makes task ids, GUIDs and fault draws the same run after run.', parse: (raw) => raw.length >= 1 && raw.length <= 256 ? raw : undefined }),
  setting({ key: 'faultsFile', flag: '--faults', env: 'EMULATOR_FAULTS', default: '', expects: 'the path of a JSON file of fault rules', meaning: 'Fault rules to start with (a JSON array, as `POST /__emulator/faults` takes them).', parse: (raw) => raw.trim() === '' ? undefined : raw }),
  setting({ key: 'clustersFile', flag: '--clusters', env: 'EMULATOR_CLUSTERS', default: '', expects: 'the path of a JSON file of clusters', meaning: 'Linked clusters: `{"clusters": [{"name", "port", "users"}]}`, each answering the API as itself (see docs/linked-clusters.md).', parse: (raw) => raw.trim() === '' ? undefined : raw }),
  setting({ key: 'fixturesFile', flag: '--fixtures', env: 'EMULATOR_FIXTURES', default: '', expects: 'the path of a JSON fixtures file', meaning: 'Users, tasks (any phase, any age) and CRDBs to start with; see `fixtures/`.', parse: (raw) => raw.trim() === '' ? undefined : raw }),
  setting({ key: 'stateFile', flag: '--state-file', env: 'EMULATOR_STATE_FILE', default: '', expects: 'a file path', meaning: 'Loads the state from this file at start (it wins over `--fixtures`) and saves it there, atomically, within 1 s of a change (a state of many tasks: as fast as the disk writes it) and on shutdown.', parse: (raw) => raw.trim() === '' ? undefined : raw }),
  setting({ key: 'tls', flag: '--tls', env: 'EMULATOR_TLS', default: 'false', expects: 'true or false', meaning: 'Serves HTTPS (port 9443 unless `--port`) with a self-signed certificate made at start; its SHA-256 fingerprint is logged.', parse: bool }),
  setting({ key: 'tlsCert', flag: '--tls-cert', env: 'EMULATOR_TLS_CERT', default: '', expects: 'the path of a PEM certificate', meaning: 'Serves HTTPS with this certificate (with `--tls-key`).', parse: (raw) => raw.trim() === '' ? undefined : raw }),
  setting({ key: 'tlsKey', flag: '--tls-key', env: 'EMULATOR_TLS_KEY', default: '', expects: 'the path of a PEM private key', meaning: 'The certificate\'s private key (with `--tls-cert`).', parse: (raw) => raw.trim() === '' ? undefined : raw }),
  setting({ key: 'maxNamespaces', flag: '--max-namespaces', env: 'EMULATOR_MAX_NAMESPACES', default: '1000', expects: 'an integer from 0 to 100000', meaning: 'Namespaces (`/ns/{name}/...`) at most, besides `default`; past it, 503 `too_many_namespaces`.', parse: integer(0, 100_000) }),
  setting({ key: 'namespaceIdleTtl', flag: '--namespace-idle-ttl', env: 'EMULATOR_NAMESPACE_IDLE_TTL', default: '3600', expects: 'an integer from 1 to 31536000 (seconds)', meaning: 'A namespace nobody has used for this many seconds of real time is removed.', parse: integer(1, 31_536_000) }),
  setting({ key: 'control', flag: '--no-control', env: 'EMULATOR_CONTROL', default: 'true', expects: 'true or false', meaning: '`--no-control` (or `EMULATOR_CONTROL=false`) turns the control API off, but for its health check.', parse: bool })
] as const

export const USAGE = [
  'Usage: crdb-tasks-emulator [options]',
  '',
  'Emulates the Redis Enterprise CRDB tasks REST API. Every option is also an environment variable.',
  '',
  ...SETTINGS.map((s) => `  ${(BOOLEAN_FLAGS.has(s.flag) ? s.flag : `${s.flag} <value>`).padEnd(24)} ${s.env.padEnd(24)} ${s.meaning.replaceAll('`', '')} (default: ${s.default === '' ? 'none' : s.default})`),
  '  --help                   show this help',
  '  --version                print the version'
].join('\n')

export type CliRequest = { kind: 'run', config: Config } | { kind: 'help' } | { kind: 'version' }

/**
 * Reads the configuration from command-line arguments and environment variables (a flag wins
 * over its variable, a variable over the default). Pure: throws `ConfigError` with a one-line
 * message naming the setting, the value and what it expects.
 */
export function loadConfig (argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliRequest {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(SETTINGS.filter((s) => !BOOLEAN_FLAGS.has(s.flag)).map((s) => [s.flag.slice(2), { type: 'string' as const }])),
        'no-control': { type: 'boolean' },
        tls: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' }
      }
    })
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.split('\n')[0]}. Run with --help to see the settings.`)
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  if (values.help === true) return { kind: 'help' }
  if (values.version === true) return { kind: 'version' }

  const config: Partial<Record<keyof Config, unknown>> = {}
  for (const s of SETTINGS) {
    const flagValue = values[s.flag.slice(2)]
    const fromFlag = s.key === 'control' ? (flagValue === true ? 'false' : undefined) : typeof flagValue === 'boolean' ? String(flagValue) : flagValue
    const fromEnv = env[s.env]
    const raw = fromFlag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined)
    const source = fromFlag !== undefined ? s.flag : s.env
    if (raw === undefined && s.default === '') {
      config[s.key] = undefined
      continue
    }
    const value = (s.parse as Parser<unknown>)(raw ?? s.default)
    if (value === undefined) {
      const shown = s.key === 'users' ? redactPasswords(raw ?? '') : raw
      const why = s.key === 'users' && raw !== undefined ? ` (${parseUsers(raw) as string})` : ''
      throw new ConfigError(`Invalid ${source} value "${shown}": expected ${s.expects}${why}.`)
    }
    config[s.key] = value
  }
  const result = config as unknown as Config
  if ((result.tlsCert === undefined) !== (result.tlsKey === undefined)) {
    throw new ConfigError(`Invalid ${result.tlsCert === undefined ? '--tls-key' : '--tls-cert'} value: expected --tls-cert and --tls-key together.`)
  }
  if (result.tlsCert !== undefined) result.tls = true
  // HTTPS listens on the real API's port unless a port was asked for
  if (result.tls && values.port === undefined && (env.PORT ?? '') === '') result.port = 9443
  result.defaultUsers = (values.users ?? env.EMULATOR_USERS ?? '') === '' || (values.users ?? env.EMULATOR_USERS) === DEFAULT_USERS
  return { kind: 'run', config: result }
}

/** `a@b:secret:admin` -> `a@b:***:admin`, so that a start-up error never prints a password. */
function redactPasswords (raw: string): string {
  return raw.split(',').map((entry) => {
    const first = entry.indexOf(':')
    const last = entry.lastIndexOf(':')
    return first > 0 && last > first ? `${entry.slice(0, first)}:***${entry.slice(last)}` : entry.replace(/:.*/, ':***')
  }).join(',')
}
