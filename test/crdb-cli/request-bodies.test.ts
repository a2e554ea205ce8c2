import { describe, expect, it } from 'vitest'
import type { CrdbWire } from '../../src/lib/index.js'
import { UsageError } from '../../src/crdb-cli/errors.js'
import { parseCommandLine, type FlagValues } from '../../src/crdb-cli/parse-args.js'
import { addInstanceBody, createBody, DEFAULT_SHARD_KEY_REGEX, purgeIds, removeInstanceBody, updateRequest, type UpdateLookups } from '../../src/crdb-cli/request-bodies.js'
import { BOTH_CREDENTIALS, parseBool, parseInstance, parseKeyValues, parseSize } from '../../src/crdb-cli/values.js'
import { sample, shellWords } from './documented.js'

const valuesOf = (line: string): FlagValues => {
  const parsed = parseCommandLine(shellWords(line))
  if (parsed.kind !== 'run') throw new Error('help')
  return parsed.values
}
const noFiles = (path: string): string => { throw new Error(`ENOENT: no such file, open '${path}'`) }
const A = 'fqdn=a.example.com,username=u,password=p'
const B = 'fqdn=b.example.com,username=u,password=p'

describe('values', () => {
  it('reads sizes as the docs write them, in powers of 1024', () => {
    expect(['1GB', '100mb', '2GB', '1073741824', '512KB', '1.5gb'].map((s) => parseSize('--memory-size', s))).toEqual([1073741824, 104857600, 2147483648, 1073741824, 524288, 1610612736])
    expect(() => parseSize('--memory-size', 'lots')).toThrow(/Failed to read --memory-size "lots": it is not a size/)
  })

  it('reads booleans in any case', () => {
    expect(['true', 'False', 'TRUE', '0'].map((b) => parseBool('--x', b))).toEqual([true, false, true, false])
    expect(() => parseBool('--encryption', 'maybe')).toThrow('Failed to read --encryption "maybe": expected true or false.')
  })

  it('reads --instance with the URL the docs show by default', () => {
    expect(parseInstance('fqdn=cluster1.redis.local,username=admin@redis.local,password=admin')).toEqual({
      name: 'cluster1.redis.local', url: 'https://cluster1.redis.local:9443', credentials: { username: 'admin@redis.local', password: 'admin' }
    })
    expect(parseInstance('fqdn=c2,client_cert=CERT,client_key=KEY,url=https://10.0.0.2:9443,replication_endpoint=10.0.0.2:12000,replication_tls_sni=c2.local')).toEqual({
      name: 'c2', url: 'https://10.0.0.2:9443', certificate_auth: { client_cert: 'CERT', client_key: 'KEY' }, replication_endpoint: '10.0.0.2:12000', replication_tls_sni: 'c2.local'
    })
  })

  it('refuses both kinds of credentials with the docs\' exact message', () => {
    expect(() => parseInstance('fqdn=c,username=u,password=p,client_cert=C,client_key=K')).toThrow(new UsageError(BOTH_CREDENTIALS))
    expect(BOTH_CREDENTIALS).toBe('Use either username/password or client_cert/client_key/trusted_ca, not both')
  })

  it('refuses an --instance without fqdn or credentials, or with an unknown key, never echoing a password', () => {
    expect(() => parseInstance('username=u,password=secret')).toThrow('Failed to read --instance "username=u,password=***": it has no fqdn.')
    expect(() => parseInstance('fqdn=c')).toThrow(/it has no credentials/)
    expect(() => parseInstance('fqdn=c,username=u')).toThrow(/give username and password together/)
    expect(() => parseInstance('fqdn=c,user=u,password=p')).toThrow(/unknown key "user"/)
  })

  it('lets a double-quoted value hold commas', () => {
    expect([...parseKeyValues('--with-module', 'name=search,args="A,B",version=1', ['name', 'args', 'version'])]).toEqual([['name', 'search'], ['args', 'A,B'], ['version', '1']])
  })
})

describe('crdb create', () => {
  it('makes the body of the docs\' example: sharding on with the default rules, as their crdb get shows', () => {
    expect(createBody(valuesOf(sample('create').args.join(' ')), noFiles)).toEqual({
      name: 'database1',
      default_db_config: { memory_size: 1073741824, port: 12000, sharding: true, shard_key_regex: DEFAULT_SHARD_KEY_REGEX },
      instances: [
        { cluster: { name: 'cluster1.redis.local', url: 'https://cluster1.redis.local:9443', credentials: { username: 'admin@redis.local', password: 'admin' } } },
        { cluster: { name: 'cluster2.redis.local', url: 'https://cluster2.redis.local:9443', credentials: { username: 'admin@redis.local', password: 'admin' } } }
      ]
    })
  })

  it('maps every documented flag to its REST field', () => {
    const line = `crdb create --name m --memory-size 100mb --instance ${A} --instance ${B} --port 12000 --compression 6 --causal-consistency true ` +
      '--password pw --replication false --encryption true --sharding true --shards-count 2 --shard-key-regex .* --oss-cluster false --oss-sharding false ' +
      '--bigstore false --bigstore-ram-size 1GB --eviction-policy allkeys-lru --proxy-policy all-nodes --with-module name=search,version=2.0.6,args="PARTITIONS AUTO" ' +
      '--default-db-config \'{"tls_mode":"enabled"}\''
    const body = createBody(valuesOf(line), noFiles)
    expect(body).toMatchObject({ encryption: true, causal_consistency: true, instances: [{ compression: 6 }, { compression: 6 }] })
    expect(body.default_db_config).toEqual({
      tls_mode: 'enabled',
      memory_size: 104857600,
      port: 12000,
      authentication_redis_pass: 'pw',
      replication: false,
      sharding: true,
      shards_count: 2,
      oss_cluster: false,
      oss_sharding: false,
      bigstore: false,
      bigstore_ram_size: 1073741824,
      eviction_policy: 'allkeys-lru',
      proxy_policy: 'all-nodes',
      shard_key_regex: [{ regex: '.*' }],
      module_list: [{ module_name: 'search', semantic_version: '2.0.6', module_args: 'PARTITIONS AUTO' }]
    })
  })

  it('reads --default-db-config-file, and says which file it could not read', () => {
    const line = `crdb create --name m --memory-size 1 --instance ${A} --sharding false --default-db-config-file db.json`
    expect(createBody(valuesOf(line), () => '{"shards_count": 3}').default_db_config).toEqual({ shards_count: 3, memory_size: 1, sharding: false })
    expect(() => createBody(valuesOf(line), noFiles)).toThrow(/Failed to read --default-db-config-file db.json: ENOENT/)
    expect(() => createBody(valuesOf(line), () => '[1]')).toThrow(/it is JSON but not an object/)
  })
})

describe('crdb update', () => {
  const crdb = { instances: [{ id: 1 }, { id: 2 }], default_db_config: { module_list: [{ module_name: 'search' }] } } as unknown as CrdbWire
  const lookups: UpdateLookups = { crdb: async () => crdb, featuresetVersion: async () => 1 }
  const update = async (flags: string): Promise<unknown> => await updateRequest(valuesOf(`crdb update --crdb-guid g ${flags}`), noFiles, lookups)

  it('is a PATCH of what the flags change', async () => {
    expect(await update('--memory-size 2GB')).toEqual({ kind: 'patch', body: { default_db_config: { memory_size: 2147483648 } } })
    expect(await update('--default-db-config \'{"shards_count":2}\' --encryption true --causal-consistency false --eviction-policy volatile-lru --oss-cluster true --bigstore-ram-size 1mb'))
      .toEqual({ kind: 'patch', body: { encryption: true, causal_consistency: false, default_db_config: { shards_count: 2, eviction_policy: 'volatile-lru', oss_cluster: true, bigstore_ram_size: 1048576 } } })
  })

  it('names each instance by id for --compression and --credentials', async () => {
    expect(await update('--compression 5 --credentials id=2,client_cert=C,client_key=K,trusted_ca=CA')).toEqual({
      kind: 'patch',
      body: { instances: [{ id: 1, compression: 5 }, { id: 2, compression: 5, cluster: { certificate_auth: { client_cert: 'C', client_key: 'K', trusted_ca: 'CA' } } }] }
    })
  })

  it('sets the cluster\'s FeatureSet version and the modules\' ones', async () => {
    expect(await update('--featureset-version true --update-module name=search,featureset_version=2')).toEqual({
      kind: 'patch', body: { featureset_version: 1, modules: [{ module_name: 'search', featureset_version: 2 }] }
    })
  })

  it('goes through /updates with force_update for --force and --update-db-config-modules', async () => {
    expect(await update('--force')).toEqual({ kind: 'updates', body: { force_update: true } })
    expect(await update('--force --memory-size 1')).toEqual({ kind: 'updates', body: { crdb: { default_db_config: { memory_size: 1 } }, force_update: true } })
    expect(await update('--update-db-config-modules true')).toEqual({ kind: 'updates', body: { crdb: { default_db_config: { module_list: [{ module_name: 'search' }] } }, force_update: true } })
  })

  it('refuses an update that changes nothing', async () => {
    await expect(update('')).rejects.toThrow('Failed to update the CRDB: nothing to change. Give a setting (for example --memory-size 2GB), or --force to push the configuration again.')
    await expect(update('--featureset-version false')).rejects.toThrow(/nothing to change/)
  })
})

describe('the instance commands', () => {
  it('add-instance: add_instances, with --compression', () => {
    expect(addInstanceBody(valuesOf(`crdb add-instance --crdb-guid g --instance ${A} --compression 0`))).toEqual({
      add_instances: [{ cluster: { name: 'a.example.com', url: 'https://a.example.com:9443', credentials: { username: 'u', password: 'p' } }, compression: 0 }]
    })
  })

  it('remove-instance: remove_instances, and force_remove for --force', () => {
    expect(removeInstanceBody(valuesOf('crdb remove-instance --crdb-guid g --instance-id 2'))).toEqual({ remove_instances: [2] })
    expect(removeInstanceBody(valuesOf('crdb remove-instance --crdb-guid g --instance-id 2 --force'))).toEqual({ remove_instances: [2], force_remove: true })
    expect(() => removeInstanceBody(valuesOf('crdb remove-instance --crdb-guid g --instance-id two'))).toThrow(/Failed to read --instance-id "two"/)
  })

  it('purge-instance: the ids', () => {
    expect(purgeIds(valuesOf('crdb purge-instance --crdb-guid g --instance-id 3'))).toEqual([3])
  })
})
