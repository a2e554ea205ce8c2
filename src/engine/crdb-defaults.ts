import type { Crdb } from './crdbs.js'

/**
 * What a real cluster fills in where a request leaves a field out: the database_config defaults
 * the docs mark (objects/crdb/database_config, 8.0 and latest), the instance's compression
 * (3, from the Active-Active planning page) and the CRDB-wide fields. The wire shows a CRDB
 * with these under what was given.
 */
export const DB_CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  aof_policy: 'appendfsync-every-sec',
  data_persistence: 'aof',
  eviction_policy: 'noeviction',
  max_aof_load_time: 3600,
  memory_size: 0,
  oss_cluster: false,
  oss_sharding: false,
  rack_aware: false,
  replication: true,
  replication_oom_threshold_percent: 5,
  sharding: false,
  shards_count: 1,
  tls_mode: 'disabled'
})

/** Fields of `default_db_config` only 8.0 and later have; and the ones only earlier versions had. */
export const ONLY_FROM_8_0 = ['eviction_policy', 'replication_oom_threshold_percent'] as const
export const ONLY_BEFORE_8_0: Readonly<Record<string, unknown>> = Object.freeze({ bigstore: false, bigstore_ram_size: 0 })

export const DEFAULT_COMPRESSION = 3
export const FEATURESET_VERSION = 1
export const PROTOCOL_VERSION = 1

/** Settings that cannot change after creation (the Active-Active create and manage pages). */
export const IMMUTABLE_FIELDS = ['port', 'sharding', 'oss_sharding', 'shard_key_regex', 'module_list'] as const

/**
 * "If not set, a port is chosen at random": the emulator derives it from the GUID (a port in
 * 10000-19999, where a cluster's database ports are), so it is the same on every read and after
 * a restart, and takes no draw from the seeded id sequence.
 */
export function defaultPort (guid: string): number {
  let hash = 0
  for (let i = 0; i < guid.length; i++) hash = (hash * 31 + guid.charCodeAt(i)) >>> 0
  return 10000 + (hash % 10000)
}

/** The CRDB's `default_db_config` as a real cluster shows it: the defaults, then what was set. */
export function effectiveDbConfig (crdb: Pick<Crdb, 'guid' | 'default_db_config'>): Record<string, unknown> {
  return { ...DB_CONFIG_DEFAULTS, port: defaultPort(crdb.guid), ...crdb.default_db_config }
}
