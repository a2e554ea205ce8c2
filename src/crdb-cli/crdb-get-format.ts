import type { CrdbWire } from '../lib/index.js'
import { pyField, pyRepr } from './formats.js'

/**
 * `crdb get`: the CRDB as the docs' sample prints it (references/cli-utilities/crdb-cli/crdb/get.md):
 * `Key: value` lines with Python values, the database settings in the sample's order (a
 * setting the API leaves out prints `None`), then any other setting the API answers with.
 */

/** The sample's order of Default-DB-Config. */
export const DEFAULT_DB_CONFIG_KEYS = [
  'memory_size', 'port', 'replication', 'shard_key_regex', 'sharding', 'shards_count', 'tls_mode', 'rack_aware',
  'data_persistence', 'authentication_redis_pass', 'authentication_admin_pass', 'oss_sharding', 'oss_cluster',
  'proxy_policy', 'shards_placement', 'oss_cluster_api_preferred_ip_type', 'bigstore', 'bigstore_ram_size',
  'aof_policy', 'snapshot_policy', 'max_aof_load_time', 'max_aof_file_size'
] as const

/** The sample's order of an instance's DB-Config (not the same as the default's). */
export const INSTANCE_DB_CONFIG_KEYS = [
  'authentication_admin_pass', 'replication', 'rack_aware', 'memory_size', 'data_persistence', 'tls_mode',
  'authentication_redis_pass', 'port', 'shards_count', 'shard_key_regex', 'oss_sharding', 'oss_cluster',
  'proxy_policy', 'shards_placement', 'oss_cluster_api_preferred_ip_type', 'bigstore', 'bigstore_ram_size',
  'aof_policy', 'snapshot_policy', 'max_aof_load_time', 'max_aof_file_size'
] as const

/** `key: value` lines of a settings object: the known keys in order, then the others as answered. */
function settingLines (config: Record<string, unknown>, order: readonly string[], indent: string, blank: Record<string, string> = {}): string[] {
  const known = order.map((key) => {
    const value = config[key]
    return `${indent}${key}: ${value === undefined && blank[key] !== undefined ? blank[key] : pyField(value)}`
  })
  const others = Object.keys(config).filter((key) => !order.includes(key)).map((key) => `${indent}${key}: ${pyField(config[key])}`)
  return [...known, ...others]
}

/** The lines `crdb-cli crdb get` prints for `crdb`. */
export function formatCrdb (crdb: CrdbWire): string[] {
  const lines = [
    `CRDB-GUID: ${crdb.guid}`,
    `Name: ${crdb.name}`,
    `Encryption: ${pyRepr(crdb.encryption)}`,
    `Causal consistency: ${pyRepr(crdb.causal_consistency)}`,
    `Protocol version: ${pyRepr(crdb.protocol_version)}`,
    `FeatureSet version: ${pyRepr(crdb.featureset_version)}`,
    `Modules: ${pyRepr(crdb.modules)}`,
    'Default-DB-Config:',
    ...settingLines(crdb.default_db_config, DEFAULT_DB_CONFIG_KEYS, '  ')
  ]
  for (const instance of crdb.instances) {
    lines.push(
      'Instance:',
      `  Id: ${instance.id}`,
      '  Cluster:',
      `    FQDN: ${instance.cluster.name}`,
      `    URL: ${instance.cluster.url}`,
      `    Replication-Endpoint: ${instance.cluster.replication_endpoint ?? '<Default>'}`,
      `    Replication TLS SNI: ${instance.cluster.replication_tls_sni ?? '<Default>'}`,
      `  Compression: ${instance.compression}`,
      '  DB-Config:',
      // the sample prints an instance's unset admin password empty, not None
      ...settingLines(instance.db_config, INSTANCE_DB_CONFIG_KEYS, '    ', { authentication_admin_pass: '' })
    )
  }
  return lines
}
