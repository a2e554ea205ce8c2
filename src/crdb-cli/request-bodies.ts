import type { CreateCrdbBody, CrdbWire, PatchCrdbBody, UpdatesBody } from '../lib/index.js'
import { UsageError } from './errors.js'
import { listOf, stringOf, type FlagValues } from './parse-args.js'
import { parseBool, parseCredentials, parseInstance, parseInstanceId, parseInteger, parseJsonObject, parseModule, parseModuleUpdate, parseSize } from './values.js'

/**
 * The REST bodies a command's flags make. The CLI checks only the form of a value (a boolean, a
 * size, a whole number); the API judges the rest (ranges, enums, two clusters at least), so
 * its own answer is what a script sees.
 */

type Json = Record<string, unknown>

/** The hashing rules a real create gets when sharding is on and no --shard-key-regex is given (the docs' `crdb get` shows them). */
export const DEFAULT_SHARD_KEY_REGEX = [{ regex: '.*\\{(?<tag>.*)\\}.*' }, { regex: '(?<tag>.*)' }]

/** `--default-db-config` or `--default-db-config-file`, read. */
function dbConfigOf (values: FlagValues, readFile: (path: string) => string): Json {
  const inline = stringOf(values, 'default-db-config')
  if (inline !== undefined) return parseJsonObject('--default-db-config', inline)
  const file = stringOf(values, 'default-db-config-file')
  if (file === undefined) return {}
  let text: string
  try {
    text = readFile(file)
  } catch (err) {
    throw new UsageError(`Failed to read --default-db-config-file ${file}: ${(err as Error).message}. Give the path of a JSON file.`)
  }
  return parseJsonObject(`--default-db-config-file ${file}`, text)
}

/** Sets `target[field]` from the flag `name` when it was given, read by `read`. */
function put<T> (target: Json, field: string, values: FlagValues, name: string, read: (flag: string, raw: string) => T): void {
  const raw = stringOf(values, name)
  if (raw !== undefined) target[field] = read(`--${name}`, raw)
}
const text = (_flag: string, raw: string): string => raw

/** `crdb create`: the `POST /v1/crdbs` body. */
export function createBody (values: FlagValues, readFile: (path: string) => string): CreateCrdbBody {
  const db: Json = dbConfigOf(values, readFile)
  put(db, 'memory_size', values, 'memory-size', parseSize)
  put(db, 'port', values, 'port', parseInteger)
  put(db, 'authentication_redis_pass', values, 'password', text)
  put(db, 'replication', values, 'replication', parseBool)
  put(db, 'sharding', values, 'sharding', parseBool)
  put(db, 'shards_count', values, 'shards-count', parseInteger)
  put(db, 'oss_cluster', values, 'oss-cluster', parseBool)
  put(db, 'oss_sharding', values, 'oss-sharding', parseBool)
  put(db, 'bigstore', values, 'bigstore', parseBool)
  put(db, 'bigstore_ram_size', values, 'bigstore-ram-size', parseSize)
  put(db, 'eviction_policy', values, 'eviction-policy', text)
  put(db, 'proxy_policy', values, 'proxy-policy', text)
  const regexes = listOf(values, 'shard-key-regex')
  if (regexes.length > 0) db.shard_key_regex = regexes.map((regex) => ({ regex }))
  // the CLI's documented default is sharding on, with the default rules (the docs' crdb get shows both)
  if (db.sharding === undefined) db.sharding = true
  if (db.sharding === true && db.shard_key_regex === undefined) db.shard_key_regex = DEFAULT_SHARD_KEY_REGEX
  const modules = listOf(values, 'with-module').map(parseModule)
  if (modules.length > 0) db.module_list = modules
  const compression = stringOf(values, 'compression')
  const body: Json = {
    name: stringOf(values, 'name') as string,
    default_db_config: db,
    instances: listOf(values, 'instance').map((spec) => ({
      cluster: parseInstance(spec),
      ...(compression === undefined ? {} : { compression: parseInteger('--compression', compression) })
    }))
  }
  put(body, 'encryption', values, 'encryption', parseBool)
  put(body, 'causal_consistency', values, 'causal-consistency', parseBool)
  return body as CreateCrdbBody
}

/** What `crdb update` may need to read before it can say what to change. */
export interface UpdateLookups {
  crdb: () => Promise<CrdbWire>
  /** The cluster's newest FeatureSet version (`GET /v1/cluster`). */
  featuresetVersion: () => Promise<number>
}

/** `crdb update`: a PATCH body, or, with `--force`, an `/updates` body with `force_update`. */
export type UpdateRequest = { kind: 'patch', body: PatchCrdbBody } | { kind: 'updates', body: UpdatesBody }

/** `crdb update`: the request its flags make (reading the CRDB first when a flag needs its instances). */
export async function updateRequest (values: FlagValues, readFile: (path: string) => string, lookups: UpdateLookups): Promise<UpdateRequest> {
  const patch: Json = {}
  const db: Json = dbConfigOf(values, readFile)
  put(db, 'memory_size', values, 'memory-size', parseSize)
  put(db, 'bigstore_ram_size', values, 'bigstore-ram-size', parseSize)
  put(db, 'eviction_policy', values, 'eviction-policy', text)
  put(db, 'oss_cluster', values, 'oss-cluster', parseBool)
  put(patch, 'encryption', values, 'encryption', parseBool)
  put(patch, 'causal_consistency', values, 'causal-consistency', parseBool)

  const instances = new Map<number, Json>()
  const instance = (id: number): Json => instances.get(id) ?? instances.set(id, { id }).get(id) as Json
  const compression = stringOf(values, 'compression')
  const featureset = stringOf(values, 'featureset-version')
  const refreshModules = stringOf(values, 'update-db-config-modules')
  const wantsModules = refreshModules !== undefined && parseBool('--update-db-config-modules', refreshModules)
  const crdb = compression !== undefined || wantsModules ? await lookups.crdb() : undefined
  if (compression !== undefined) {
    // compression is an instance's setting: a PATCH names each instance by id
    const level = parseInteger('--compression', compression)
    for (const { id } of crdb?.instances ?? []) instance(id).compression = level
  }
  for (const raw of listOf(values, 'credentials')) {
    const { id, ...credentials } = parseCredentials(raw)
    instance(id).cluster = credentials
  }
  if (instances.size > 0) patch.instances = [...instances.values()]
  if (featureset !== undefined && parseBool('--featureset-version', featureset)) patch.featureset_version = await lookups.featuresetVersion()
  const modules = listOf(values, 'update-module').map(parseModuleUpdate)
  if (modules.length > 0) patch.modules = modules
  if (wantsModules) {
    // "refresh module data in default-db-config": the modules it has, sent again and pushed
    db.module_list = (crdb?.default_db_config as Json | undefined)?.module_list ?? []
  }
  if (Object.keys(db).length > 0) patch.default_db_config = db

  const force = values.force === true || wantsModules
  if (force) return { kind: 'updates', body: { ...(Object.keys(patch).length > 0 ? { crdb: patch as PatchCrdbBody } : {}), force_update: true } }
  if (Object.keys(patch).length === 0) {
    throw new UsageError('Failed to update the CRDB: nothing to change. Give a setting (for example --memory-size 2GB), or --force to push the configuration again.')
  }
  return { kind: 'patch', body: patch as PatchCrdbBody }
}

/** `crdb add-instance`: the `/updates` body with `add_instances`. */
export function addInstanceBody (values: FlagValues): UpdatesBody {
  const compression = stringOf(values, 'compression')
  return {
    add_instances: listOf(values, 'instance').map((spec) => ({
      cluster: parseInstance(spec),
      ...(compression === undefined ? {} : { compression: parseInteger('--compression', compression) })
    }))
  }
}

/** `crdb remove-instance`: the `/updates` body with `remove_instances` (and `force_remove` for `--force`). */
export function removeInstanceBody (values: FlagValues): UpdatesBody {
  return { remove_instances: listOf(values, 'instance-id').map(parseInstanceId), ...(values.force === true ? { force_remove: true } : {}) }
}

/** `crdb purge-instance`: the ids for `PUT .../purge`. */
export function purgeIds (values: FlagValues): number[] {
  return listOf(values, 'instance-id').map(parseInstanceId)
}
