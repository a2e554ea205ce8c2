import { describe, expect, it } from 'vitest'
import { COMMANDS, GLOBAL_FLAGS } from '../../src/crdb-cli/command-table.js'
import { UsageError } from '../../src/crdb-cli/errors.js'
import { parseCommandLine, type CommandLine } from '../../src/crdb-cli/parse-args.js'
import { sample, shellWords } from './documented.js'

const run = (line: string): Extract<CommandLine, { kind: 'run' }> => {
  const parsed = parseCommandLine(shellWords(line))
  if (parsed.kind !== 'run') throw new Error(`${line} asked for help`)
  return parsed
}
const usageError = (line: string): string => {
  try {
    parseCommandLine(shellWords(line))
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return (err as Error).message
  }
  throw new Error(`${line} was accepted`)
}

const DOCUMENTED_WITH_OUTPUT = ['create', 'list', 'get', 'update-memory-size', 'update-default-db-config', 'update-credentials', 'delete', 'flush', 'flush-howto',
  'task-status-flush', 'add-instance', 'remove-instance', 'purge-instance', 'health-report', 'task-list', 'task-status', 'task-cancel']

/** The docs' other invocations, shown without output (crdb/create.md). */
const DOCUMENTED_WITHOUT_OUTPUT = [
  'crdb create --name mycrdb --memory-size 100mb --port 12000 --instance fqdn=cluster1.redis.local,username=admin@redis.local,password=admin --instance fqdn=cluster2.redis.local,username=admin@redis.local,password=admin --shards-count 2 --encryption true',
  'crdb create --name mycrdb --memory-size 100mb --port 12000 --instance fqdn=cluster1.redis.local,username=admin@redis.local,password=admin --instance fqdn=cluster2.redis.local,username=admin@redis.local,password=admin --shards-count 2 --with-module name=search,version="2.0.6",args="PARTITIONS AUTO"',
  'crdb create --name mycrdb --memory-size 100mb --port 12000 --instance fqdn=cluster1.redis.local,username=admin@redis.local,password=admin --instance fqdn=cluster2.redis.local,username=admin@redis.local,password=admin --no-wait',
  'crdb create --name mycrdb --memory-size 100mb --port 12000 --instance fqdn=cluster1.redis.local,username=admin@redis.local,password=admin --instance fqdn=cluster2.redis.local,client_cert=<client-cert>,client_key=<client-key>,trusted_ca=<trusted-ca>',
  'crdb update --crdb-guid g --default-db-config "{\\"repl_backlog_size\\": 100}"',
  'crdb update --crdb-guid g --default-db-config \'{"data_persistence": "aof", "aof_policy":"appendfsync-every-sec"}\'',
  'crdb update --crdb-guid g --compression 6'
]

describe('the command line', () => {
  it.each(DOCUMENTED_WITH_OUTPUT)('takes the docs\' %s example', (name) => {
    const parsed = parseCommandLine(sample(name).args)
    expect(parsed.kind).toBe('run')
  })

  it.each(DOCUMENTED_WITHOUT_OUTPUT)('takes the docs\' invocation %s', (line) => {
    expect(run(line).kind).toBe('run')
  })

  it('keeps every --instance, in order', () => {
    const { values } = run(sample('create').args.join(' '))
    expect(values.instance).toEqual(['fqdn=cluster1.redis.local,username=admin@redis.local,password=admin', 'fqdn=cluster2.redis.local,username=admin@redis.local,password=admin'])
  })

  it('takes the flags of every command before the group or among the command\'s', () => {
    expect(run('--api-url http://h:1 task list').values['api-url']).toBe('http://h:1')
    expect(run('--api-url=http://h:1 --insecure task list').values.insecure).toBe(true)
    expect(run('task list --advance-clock --timeout 5').values).toMatchObject({ 'advance-clock': true, timeout: '5' })
  })

  it('says what is missing, naming the flag', () => {
    expect(usageError('crdb create --memory-size 1GB --instance fqdn=a,username=u,password=p')).toMatch(/needs --name <name>\. Run crdb-cli crdb create --help/)
    expect(usageError('crdb get')).toMatch(/needs --crdb-guid <guid>/)
    expect(usageError('task status')).toMatch(/needs --task-id <id>/)
    expect(usageError('crdb update --crdb-guid --memory-size 1')).toBe('Failed to read the command line: Option \'--crdb-guid\' needs a value, and the next word is a flag. Run crdb-cli crdb update --help to see the flags.')
  })

  it('refuses an unknown command, group or flag', () => {
    expect(usageError('')).toMatch(/no command given/)
    expect(usageError('db list')).toMatch(/"db" is not a command group/)
    expect(usageError('crdb')).toMatch(/crdb-cli crdb needs a command: create, list, get/)
    expect(usageError('crdb frobnicate')).toMatch(/"crdb frobnicate" is not a command/)
    expect(usageError('task list --bogus')).toBe('Failed to read the command line: Unknown option \'--bogus\'. Run crdb-cli task list --help to see the flags.')
    expect(usageError('--bogus task list')).toMatch(/Unknown option '--bogus'/)
  })

  it('refuses flags that cannot go together', () => {
    expect(usageError('task status --task-id t --verbose --no-verbose')).toBe('Failed to read the command line: --verbose and --no-verbose cannot be used together. Give one of them.')
    expect(usageError('crdb delete --crdb-guid g --wait --no-wait')).toMatch(/--wait and --no-wait cannot be used together/)
  })

  it('answers --help at every level', () => {
    const help = (line: string): string => {
      const parsed = parseCommandLine(shellWords(line))
      if (parsed.kind !== 'help') throw new Error(`${line} did not ask for help`)
      return parsed.text
    }
    expect(help('--help')).toMatch(/^Usage: crdb-cli <crdb \| task> <command>/)
    expect(help('task --help')).toMatch(/task commands:/)
    expect(help('crdb create --help')).toMatch(/--instance fqdn=<fqdn>/)
    for (const command of COMMANDS) {
      const text = help(`${command.group} ${command.name} --help`)
      for (const flag of Object.keys(command.flags)) expect(text, `${command.group} ${command.name}`).toContain(`--${flag}`)
    }
    for (const flag of Object.keys(GLOBAL_FLAGS)) expect(help('--help')).toContain(`--${flag}`)
  })
})

describe('the command table', () => {
  /** Every command and flag the reference lists (shared/reference/crdb-cli.md, sections 2 and 3). */
  const REFERENCE: Record<string, string[]> = {
    'crdb create': ['name', 'memory-size', 'instance', 'port', 'wait', 'no-wait', 'default-db-config', 'default-db-config-file', 'compression', 'causal-consistency', 'password', 'replication', 'encryption', 'sharding', 'shards-count', 'shard-key-regex', 'oss-cluster', 'oss-sharding', 'bigstore', 'bigstore-ram-size', 'eviction-policy', 'proxy-policy', 'with-module'],
    'crdb list': [],
    'crdb get': ['crdb-guid'],
    'crdb update': ['crdb-guid', 'no-wait', 'force', 'default-db-config', 'default-db-config-file', 'compression', 'causal-consistency', 'credentials', 'encryption', 'oss-cluster', 'featureset-version', 'memory-size', 'bigstore-ram-size', 'eviction-policy', 'update-module', 'update-db-config-modules'],
    'crdb delete': ['crdb-guid', 'no-wait'],
    'crdb flush': ['crdb-guid', 'no-wait'],
    'crdb add-instance': ['crdb-guid', 'instance', 'compression', 'wait', 'no-wait'],
    'crdb remove-instance': ['crdb-guid', 'instance-id', 'force', 'no-wait'],
    'crdb purge-instance': ['crdb-guid', 'instance-id', 'no-wait'],
    'crdb health-report': ['crdb-guid'],
    'task list': [],
    'task status': ['task-id', 'verbose', 'no-verbose'],
    'task cancel': ['task-id']
  }

  it('has every command of the reference, with every flag it lists', () => {
    expect(COMMANDS.map((c) => `${c.group} ${c.name}`).sort()).toEqual(Object.keys(REFERENCE).sort())
    for (const command of COMMANDS) {
      expect(Object.keys(command.flags), `${command.group} ${command.name}`).toEqual(expect.arrayContaining(REFERENCE[`${command.group} ${command.name}`] as string[]))
    }
  })
})
