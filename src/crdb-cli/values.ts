import type { CreateCrdbBody } from '../lib/index.js'
import { UsageError } from './errors.js'

/** One `cluster` of a create body's `instances[]`, or of an `add_instances[]` entry. */
export type ClusterIn = CreateCrdbBody['instances'][number]['cluster']

/** The exact message of the docs (crdb create, add-instance, update --credentials) for both kinds of credentials. */
export const BOTH_CREDENTIALS = 'Use either username/password or client_cert/client_key/trusted_ca, not both'

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3, tb: 1024 ** 4, t: 1024 ** 4 }

/**
 * A memory size: bytes, or a number with KB, MB, GB or TB (any case, powers of 1024: the docs'
 * `crdb get` shows `--memory-size 1GB` as 1073741824). `1GB`, `100mb`, `1.5gb`, `1073741824`.
 */
export function parseSize (flag: string, raw: string): number {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(raw)
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()]
  if (match === null || unit === undefined) throw new UsageError(`Failed to read ${flag} "${raw}": it is not a size. Give bytes, or a number with KB, MB or GB (for example 1GB or 100mb).`)
  return Math.floor(Number(match[1]) * unit)
}

/** `true` or `false`, in any case (the docs write `{ true | false }`); also 1, 0, yes, no. */
export function parseBool (flag: string, raw: string): boolean {
  const word = raw.trim().toLowerCase()
  if (['true', '1', 'yes'].includes(word)) return true
  if (['false', '0', 'no'].includes(word)) return false
  throw new UsageError(`Failed to read ${flag} "${raw}": expected true or false.`)
}

/** A whole number (the API judges its range, so that its answer is what a script sees). */
export function parseInteger (flag: string, raw: string): number {
  if (!/^\s*-?[0-9]+\s*$/.test(raw)) throw new UsageError(`Failed to read ${flag} "${raw}": expected a whole number.`)
  return Number(raw)
}

/** A JSON object, for `--default-db-config` and its file. */
export function parseJsonObject (flag: string, raw: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (err) {
    throw new UsageError(`Failed to read ${flag}: it is not JSON (${(err as Error).message}). Give an object such as '{"shards_count": 2}'.`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`Failed to read ${flag}: it is JSON but not an object. Give an object such as '{"shards_count": 2}'.`)
  return value as Record<string, unknown>
}

/**
 * `key=value,key=value`: the form of `--instance`, `--credentials` and `--with-module`. A value
 * may be wrapped in double quotes to hold commas (`args="A,B"`); the docs do not say how the
 * real tool quotes, and a shell has usually taken the quotes off already.
 */
export function parseKeyValues (flag: string, raw: string, known: readonly string[]): Map<string, string> {
  const pairs = new Map<string, string>()
  let i = 0
  while (i < raw.length) {
    const eq = raw.indexOf('=', i)
    if (eq < 0) throw new UsageError(`Failed to read ${flag} "${raw}": "${raw.slice(i)}" is not key=value. Give ${known.map((k) => `${k}=...`).join(',')}.`)
    const key = raw.slice(i, eq).trim()
    let value: string
    let next: number
    if (raw[eq + 1] === '"') {
      const close = raw.indexOf('"', eq + 2)
      if (close < 0) throw new UsageError(`Failed to read ${flag}: the value of ${key} opens a quote it never closes.`)
      value = raw.slice(eq + 2, close)
      next = raw.indexOf(',', close)
    } else {
      next = raw.indexOf(',', eq)
      value = raw.slice(eq + 1, next < 0 ? raw.length : next)
    }
    if (!known.includes(key)) throw new UsageError(`Failed to read ${flag}: unknown key "${key}". It takes ${known.join(', ')}.`)
    if (pairs.has(key)) throw new UsageError(`Failed to read ${flag}: ${key} is given twice.`)
    pairs.set(key, value)
    i = next < 0 ? raw.length : next + 1
  }
  return pairs
}

const CLUSTER_KEYS = ['fqdn', 'url', 'username', 'password', 'client_cert', 'client_key', 'trusted_ca', 'replication_endpoint', 'replication_tls_sni'] as const

/** The credentials part of `--instance` or `--credentials`: username/password, or a client certificate. */
function credentialsOf (flag: string, pairs: Map<string, string>): Pick<ClusterIn, 'credentials' | 'certificate_auth'> {
  const password = pairs.has('username') || pairs.has('password')
  const certificate = pairs.has('client_cert') || pairs.has('client_key') || pairs.has('trusted_ca')
  if (password && certificate) throw new UsageError(BOTH_CREDENTIALS)
  if (password) {
    const username = pairs.get('username')
    const secret = pairs.get('password')
    if (username === undefined || secret === undefined) throw new UsageError(`Failed to read ${flag}: give username and password together.`)
    return { credentials: { username, password: secret } }
  }
  if (certificate) {
    const cert = pairs.get('client_cert')
    const key = pairs.get('client_key')
    if (cert === undefined || key === undefined) throw new UsageError(`Failed to read ${flag}: give client_cert and client_key together (trusted_ca is optional).`)
    const ca = pairs.get('trusted_ca')
    return { certificate_auth: { client_cert: cert, client_key: key, ...(ca === undefined ? {} : { trusted_ca: ca }) } }
  }
  throw new UsageError(`Failed to read ${flag}: it has no credentials. Give username=...,password=... or client_cert=...,client_key=....`)
}

/**
 * `--instance fqdn=<fqdn>,username=<u>,password=<p>[,url=...,replication_endpoint=...,replication_tls_sni=...]`
 * (or `client_cert`, `client_key`, `trusted_ca`): one `instances[]` entry. The URL defaults to
 * `https://<fqdn>:9443`, as the docs' `crdb get` shows it.
 */
export function parseInstance (raw: string): ClusterIn {
  const pairs = parseKeyValues('--instance', raw, CLUSTER_KEYS)
  const fqdn = pairs.get('fqdn')
  if (fqdn === undefined || fqdn === '') throw new UsageError(`Failed to read --instance "${redact(raw)}": it has no fqdn. Give fqdn=<cluster FQDN>,username=...,password=....`)
  const endpoint = pairs.get('replication_endpoint')
  const sni = pairs.get('replication_tls_sni')
  return {
    name: fqdn,
    url: pairs.get('url') ?? `https://${fqdn}:9443`,
    ...credentialsOf('--instance', pairs),
    ...(endpoint === undefined ? {} : { replication_endpoint: endpoint }),
    ...(sni === undefined ? {} : { replication_tls_sni: sni })
  }
}

/** `--credentials id=<id>,username=...,password=...` (or the certificate keys): the instance and its new credentials. */
export function parseCredentials (raw: string): { id: number } & ReturnType<typeof credentialsOf> {
  const pairs = parseKeyValues('--credentials', raw, ['id', 'username', 'password', 'client_cert', 'client_key', 'trusted_ca'])
  const id = pairs.get('id')
  if (id === undefined || !/^[0-9]+$/.test(id)) throw new UsageError('Failed to read --credentials: it needs id=<instance id> (a whole number; crdb-cli crdb get shows the ids).')
  return { id: Number(id), ...credentialsOf('--credentials', pairs) }
}

/** `--with-module name=<name>,version=<version>,args=<args>`: one `module_list` entry. */
export function parseModule (raw: string): { module_name: string, semantic_version?: string, module_args?: string } {
  const pairs = parseKeyValues('--with-module', raw, ['name', 'version', 'args'])
  const name = pairs.get('name')
  if (name === undefined || name === '') throw new UsageError('Failed to read --with-module: it needs name=<module name>, for example name=search,version=2.0.6.')
  const version = pairs.get('version')
  const args = pairs.get('args')
  return { module_name: name, ...(version === undefined ? {} : { semantic_version: version }), ...(args === undefined ? {} : { module_args: args }) }
}

/** `--update-module name=<name>,featureset_version=<version>`: one entry of the CRDB's `modules`. */
export function parseModuleUpdate (raw: string): { module_name: string, featureset_version: number } {
  const pairs = parseKeyValues('--update-module', raw, ['name', 'featureset_version'])
  const name = pairs.get('name')
  const version = pairs.get('featureset_version')
  if (name === undefined || version === undefined || !/^[0-9]+$/.test(version)) throw new UsageError('Failed to read --update-module: it needs name=<module name>,featureset_version=<whole number>.')
  return { module_name: name, featureset_version: Number(version) }
}

/** An instance id for `--instance-id`. */
export function parseInstanceId (raw: string): number {
  if (!/^\s*[0-9]+\s*$/.test(raw) || Number(raw) < 1) throw new UsageError(`Failed to read --instance-id "${raw}": expected an instance id (1, 2, ...; crdb-cli crdb get shows them).`)
  return Number(raw)
}

/** The spec with its passwords and keys replaced, for an error line. */
function redact (raw: string): string {
  return raw.replace(/(password|client_key)=[^,]*/g, '$1=***')
}
