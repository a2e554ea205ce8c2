/**
 * The one list of crdb-cli's commands and flags, as the Redis Software docs give them
 * (references/cli-utilities/crdb-cli/): it drives the parser and every --help text.
 */

export interface Flag {
  type: 'string' | 'boolean'
  /** May be given more than once (each `--instance` is one cluster). */
  multiple?: boolean
  required?: boolean
  /** What the value looks like, for --help (`<size>`). */
  value?: string
  help: string
}

export interface CommandSpec {
  group: 'crdb' | 'task'
  name: string
  summary: string
  flags: Record<string, Flag>
  /** It makes a task and, unless `--no-wait`, waits for it. */
  waits: boolean
}

const str = (value: string, help: string, extra: Partial<Flag> = {}): Flag => ({ type: 'string', value, help, ...extra })
const bool = (help: string): Flag => ({ type: 'string', value: '{ true | false }', help })
const flag = (help: string): Flag => ({ type: 'boolean', help })

const GUID = { 'crdb-guid': str('<guid>', 'the CRDB\'s GUID (crdb-cli crdb list shows them)', { required: true }) }
const WAIT = {
  wait: flag('wait for the task to end, printing each status change (the default)'),
  'no-wait': flag('print the task\'s id and return without waiting')
}
const INSTANCE_SPEC = 'fqdn=<fqdn>,{ username=<u>,password=<p> | client_cert=<cert>,client_key=<key>[,trusted_ca=<ca>] }[,url=<url>,replication_endpoint=<host:port>,replication_tls_sni=<host>]'
const EVICTION = '{ noeviction | allkeys-lru | allkeys-lfu | allkeys-random | volatile-lru | volatile-lfu | volatile-random | volatile-ttl }'
const DB_CONFIG = {
  'default-db-config': str('<json>', 'default database configuration, a JSON object (default_db_config)'),
  'default-db-config-file': str('<file>', 'the same, read from a file')
}

/** Every command, in the order of the docs. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    group: 'crdb',
    name: 'create',
    summary: 'Creates an Active-Active database (POST /v1/crdbs).',
    waits: true,
    flags: {
      name: str('<name>', 'the database\'s name', { required: true }),
      'memory-size': str('<size>', 'maximum memory: bytes, or with KB, MB or GB (1GB, 100mb)', { required: true }),
      instance: str(INSTANCE_SPEC, 'one participating cluster; once per cluster (two or more)', { required: true, multiple: true }),
      port: str('<port>', 'the database\'s TCP port on every cluster'),
      ...WAIT,
      ...DB_CONFIG,
      compression: str('<0-6>', 'replication compression of every instance (default 3)'),
      'causal-consistency': bool('causal consistency (default false)'),
      password: str('<password>', 'the database\'s access password (authentication_redis_pass)'),
      replication: bool('replica shards (the REST default, true, unless given)'),
      encryption: bool('encrypted replication between clusters (default false)'),
      sharding: bool('clustering (default true, with the default shard key regex)'),
      'shards-count': str('<n>', 'shards per instance when sharding'),
      'shard-key-regex': str('<regex>', 'a hashing rule; repeat for more (default .*\\{(?<tag>.*)\\}.* and (?<tag>.*))', { multiple: true }),
      'oss-cluster': bool('the OSS cluster API (default false)'),
      'oss-sharding': bool('OSS hashing instead of the regex rules'),
      bigstore: bool('Auto Tiering (default false)'),
      'bigstore-ram-size': str('<size>', 'RAM limit with Auto Tiering'),
      'eviction-policy': str(EVICTION, 'eviction policy (default noeviction)'),
      'proxy-policy': str('{ all-nodes | all-master-shards | single }', 'proxy policy'),
      'with-module': str('name=<name>,version=<version>,args=<args>', 'a module; repeat for more', { multiple: true })
    }
  },
  { group: 'crdb', name: 'list', summary: 'Lists every instance of every CRDB (GET /v1/crdbs).', waits: false, flags: {} },
  { group: 'crdb', name: 'get', summary: 'Shows a CRDB\'s configuration (GET /v1/crdbs/{guid}).', waits: false, flags: { ...GUID } },
  {
    group: 'crdb',
    name: 'update',
    summary: 'Changes a CRDB\'s configuration (PATCH /v1/crdbs/{guid}; with --force, POST .../updates).',
    waits: true,
    flags: {
      ...GUID,
      ...WAIT,
      force: flag('push the configuration even if nothing changed (force_update)'),
      ...DB_CONFIG,
      compression: str('<0-6>', 'replication compression of every instance'),
      'causal-consistency': bool('causal consistency'),
      credentials: str('id=<id>,{ username=<u>,password=<p> | client_cert=<cert>,client_key=<key>[,trusted_ca=<ca>] }', 'new credentials of instance <id>; repeat for more', { multiple: true }),
      encryption: bool('encrypted replication between clusters'),
      'oss-cluster': bool('the OSS cluster API'),
      'featureset-version': bool('move to the cluster\'s latest FeatureSet version'),
      'memory-size': str('<size>', 'maximum memory: bytes, or with KB, MB or GB'),
      'bigstore-ram-size': str('<size>', 'RAM limit with Auto Tiering'),
      'eviction-policy': str(EVICTION, 'eviction policy'),
      'update-module': str('name=<name>,featureset_version=<version>', 'a module\'s FeatureSet version; repeat for more', { multiple: true }),
      'update-db-config-modules': bool('push the module data of default_db_config again')
    }
  },
  { group: 'crdb', name: 'delete', summary: 'Deletes a CRDB and its data on every cluster (DELETE /v1/crdbs/{guid}).', waits: true, flags: { ...GUID, ...WAIT } },
  { group: 'crdb', name: 'flush', summary: 'Deletes every key of a CRDB, on every cluster (PUT /v1/crdbs/{guid}/flush).', waits: true, flags: { ...GUID, ...WAIT } },
  {
    group: 'crdb',
    name: 'add-instance',
    summary: 'Adds a participating cluster (POST /v1/crdbs/{guid}/updates, add_instances).',
    waits: true,
    flags: {
      ...GUID,
      instance: str(INSTANCE_SPEC, 'the cluster to add', { required: true, multiple: true }),
      compression: str('<0-6>', 'replication compression of the new instance (default 3)'),
      ...WAIT
    }
  },
  {
    group: 'crdb',
    name: 'remove-instance',
    summary: 'Removes a participating cluster (POST /v1/crdbs/{guid}/updates, remove_instances).',
    waits: true,
    flags: {
      ...GUID,
      'instance-id': str('<id>', 'the instance to remove (crdb-cli crdb get shows the ids)', { required: true, multiple: true }),
      force: flag('remove it without purging its data (force_remove); run purge-instance on it afterwards'),
      ...WAIT
    }
  },
  {
    group: 'crdb',
    name: 'purge-instance',
    summary: 'Deletes the data of an instance removed with --force (PUT /v1/crdbs/{guid}/purge).',
    waits: true,
    flags: { ...GUID, 'instance-id': str('<id>', 'the removed instance', { required: true, multiple: true }), ...WAIT }
  },
  { group: 'crdb', name: 'health-report', summary: 'Shows each instance\'s health report (GET /v1/crdbs/{guid}/health_report).', waits: false, flags: { ...GUID } },
  { group: 'task', name: 'list', summary: 'Lists the active and recent tasks (GET /v1/crdb_tasks).', waits: false, flags: {} },
  {
    group: 'task',
    name: 'status',
    summary: 'Shows a task (GET /v1/crdb_tasks/{id}).',
    waits: false,
    flags: {
      'task-id': str('<id>', 'the task\'s id (crdb-cli task list shows them)', { required: true }),
      verbose: flag('add the progress, overall and per cluster (?verbose=true)'),
      'no-verbose': flag('the task\'s fields only (the default)')
    }
  },
  {
    group: 'task',
    name: 'cancel',
    summary: 'Tries to cancel a task; it may end before it can be canceled (POST /v1/crdb_tasks/{id}/actions/cancel).',
    waits: false,
    flags: {
      'task-id': str('<id>', 'the task\'s id', { required: true }),
      force: flag('cancel even in the commit phase (?force=true; not in the CLI docs, can break the CRDB)')
    }
  }
]

/** Flags every command takes, before the group or after the command: where the API is, and how to wait. */
export const GLOBAL_FLAGS: Record<string, Flag> = {
  'api-url': str('<url>', 'the emulator\'s URL (CRDB_CLI_URL; default: the one on this host, http://127.0.0.1:8080)'),
  'api-user': str('<email>', 'the user to log in as (CRDB_CLI_USER; default: the first admin of EMULATOR_USERS, else admin@example.com)'),
  'api-password': str('<password>', 'that user\'s password (CRDB_CLI_PASSWORD)'),
  insecure: flag('accept any TLS certificate (CRDB_CLI_INSECURE=true)'),
  'ca-file': str('<file>', 'a PEM file of the CA to trust for https (CRDB_CLI_CA_FILE)'),
  'advance-clock': flag('when waiting, move the emulator\'s clock to the task\'s next status instead of waiting for it (CRDB_CLI_ADVANCE_CLOCK=true)'),
  timeout: str('<seconds>', 'real seconds to wait for a task at most; 0 waits without limit (CRDB_CLI_TIMEOUT; default 600)'),
  'poll-interval': str('<seconds>', 'real seconds between polls (CRDB_CLI_POLL_INTERVAL; default: one emulated second, from 0.01 to 1)')
}

/** The command `group name`, if there is one. */
export function findCommand (group: string, name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.group === group && c.name === name)
}

const flagLine = (name: string, f: Flag): string => {
  const syntax = f.type === 'boolean' ? `--${name}` : `--${name} ${f.value ?? '<value>'}`
  const notes = [...(f.required === true ? ['required'] : []), ...(f.multiple === true ? ['repeatable'] : [])]
  return `  ${syntax}\n      ${f.help}${notes.length === 0 ? '' : ` (${notes.join(', ')})`}`
}

/** `crdb-cli --help`, and `crdb-cli <group> --help` for one group. */
export function overviewHelp (group?: 'crdb' | 'task'): string {
  const groups = group === undefined ? ['crdb', 'task'] as const : [group]
  return [
    `Usage: crdb-cli ${group ?? '<crdb | task>'} <command> [flags]`,
    '',
    'The Active-Active command line of Redis Software, emulated: each command is the REST calls',
    'the real one makes, sent to the emulator (see docs/crdb-cli.md).',
    '',
    ...groups.flatMap((g) => [`${g} commands:`, ...COMMANDS.filter((c) => c.group === g).map((c) => `  ${c.name.padEnd(16)} ${c.summary}`), '']),
    'Flags of every command:',
    ...Object.entries(GLOBAL_FLAGS).map(([name, f]) => flagLine(name, f)),
    '  --help',
    '      show help; crdb-cli <group> <command> --help shows a command\'s flags',
    '',
    'Exit codes: 0 done, 1 the API refused, 2 wrong command line, 3 the task failed, 4 timed out, 5 no emulator answered.'
  ].join('\n')
}

/** `crdb-cli <group> <command> --help`. */
export function commandHelp (command: CommandSpec): string {
  const shown = Object.entries(command.flags)
  return [
    `Usage: crdb-cli ${command.group} ${command.name}${shown.length === 0 ? '' : ' [flags]'}`,
    '',
    command.summary,
    ...(shown.length === 0 ? [] : ['', 'Flags:', ...shown.map(([name, f]) => flagLine(name, f))]),
    '',
    'Flags of every command (--api-url, --api-user, --advance-clock, --timeout, ...): crdb-cli --help.'
  ].join('\n')
}
