import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, SETTINGS, USAGE, type Config } from '../../src/cli/config.js'

const run = (argv: string[], env: Record<string, string> = {}): Config => {
  const request = loadConfig(argv, env)
  if (request.kind !== 'run') throw new Error(`expected a run, got ${request.kind}`)
  return request.config
}
const failure = (argv: string[], env: Record<string, string> = {}): string => {
  try {
    loadConfig(argv, env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('uses the contract\'s defaults', () => {
    expect(run([])).toEqual({
      host: '127.0.0.1',
      port: 8080,
      users: [{ email: 'admin@example.com', password: 'admin', role: 'admin' }],
      defaultUsers: true,
      clusterName: 'cluster.local',
      clock: 'real',
      timeScale: 1,
      durations: { queued: 1, running: 10, commit: 3 },
      resultTtl: 500,
      maxTasks: 100_000,
      maxCrdbs: 1000,
      maxConnections: 10_000,
      logLevel: 'info',
      control: true,
      journalSize: 1000,
      seed: undefined,
      faultsFile: undefined,
      fixturesFile: undefined,
      stateFile: undefined,
      tls: false,
      tlsCert: undefined,
      tlsKey: undefined,
      maxNamespaces: 1000,
      namespaceIdleTtl: 3600,
      rsVersion: '8.0'
    })
  })

  it('reads every setting from its flag and from its environment variable, the flag winning', () => {
    const argv = ['--host', '0.0.0.0', '--port=9000', '--users', 'a@x.io:p:w:d:db_viewer,b@x.io:q:admin', '--cluster-name', 'c1.example',
      '--clock', 'manual', '--time-scale', '2.5', '--durations', '0,0.5,2', '--result-ttl', '60', '--max-tasks', '10', '--max-connections', '50', '--log-level', 'warn', '--no-control',
      '--journal-size', '5', '--seed', 'abc', '--faults', 'faults.json', '--fixtures', 'fx.json', '--state-file', 'state.json', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--rs-version', '7.4']
    const env = { HOST: '1.2.3.4', PORT: '1', EMULATOR_CLOCK: 'real', EMULATOR_CONTROL: 'true' }
    expect(run(argv, env)).toEqual({
      host: '0.0.0.0',
      port: 9000,
      users: [{ email: 'a@x.io', password: 'p:w:d', role: 'db_viewer' }, { email: 'b@x.io', password: 'q', role: 'admin' }],
      defaultUsers: false,
      clusterName: 'c1.example',
      clock: 'manual',
      timeScale: 2.5,
      durations: { queued: 0, running: 0.5, commit: 2 },
      resultTtl: 60,
      maxTasks: 10,
      maxCrdbs: 1000,
      maxConnections: 50,
      logLevel: 'warn',
      control: false,
      journalSize: 5,
      seed: 'abc',
      faultsFile: 'faults.json',
      fixturesFile: 'fx.json',
      stateFile: 'state.json',
      tls: true,
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      maxNamespaces: 1000,
      namespaceIdleTtl: 3600,
      rsVersion: '7.4'
    })
    const fromEnv = run([], {
      HOST: '::1',
      PORT: '0',
      EMULATOR_USERS: 'v@x.io:pw:cluster_viewer',
      EMULATOR_CLUSTER_NAME: 'env.cluster',
      EMULATOR_CLOCK: 'manual',
      EMULATOR_TIME_SCALE: '10',
      EMULATOR_DURATIONS: '1,2,3',
      EMULATOR_RESULT_TTL: '0',
      EMULATOR_MAX_TASKS: '5',
      EMULATOR_MAX_CONNECTIONS: '7',
      LOG_LEVEL: 'silent',
      EMULATOR_CONTROL: 'false',
      EMULATOR_JOURNAL_SIZE: '0',
      EMULATOR_SEED: 's',
      EMULATOR_FAULTS: '/f.json'
    })
    expect(fromEnv).toMatchObject({ host: '::1', port: 0, clusterName: 'env.cluster', clock: 'manual', timeScale: 10, resultTtl: 0, maxTasks: 5, maxConnections: 7, logLevel: 'silent', control: false, defaultUsers: false, journalSize: 0, seed: 's', faultsFile: '/f.json' })
  })

  it('stops with one line naming the setting, the value and what it expects', () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['--port', 'http'], {}, 'Invalid --port value "http": expected an integer from 0 to 65535'],
      [[], { PORT: '70000' }, 'Invalid PORT value "70000"'],
      [['--clock', 'fast'], {}, 'expected real or manual'],
      [['--time-scale', '0'], {}, '--time-scale'],
      [['--durations', '1,2'], {}, 'queued,running,commit'],
      [['--durations', '1,-2,3'], {}, '--durations'],
      [['--result-ttl', '2147483648'], {}, '--result-ttl'],
      [['--max-tasks', '0'], {}, '--max-tasks'],
      [['--max-connections', '0'], {}, '--max-connections'],
      [['--log-level', 'loud'], {}, '--log-level'],
      [['--journal-size', '-1'], {}, '--journal-size'],
      [['--seed', 'x'.repeat(257)], {}, '--seed'],
      [[], { EMULATOR_CONTROL: 'maybe' }, 'EMULATOR_CONTROL'],
      [['--users', 'a@x.io:pw:superuser'], {}, 'role "superuser"'],
      [['--cluster-name', 'has space'], {}, '--cluster-name'],
      [['--bogus'], {}, 'Run with --help']
    ]
    for (const [argv, env, expected] of cases) {
      const message = failure(argv, env)
      expect(message).toContain(expected)
      expect(message).not.toContain('\n')
    }
  })

  it('listens on 9443 with TLS unless a port is given, and wants a certificate and key together', () => {
    expect(run(['--tls'])).toMatchObject({ tls: true, port: 9443 })
    expect(run([], { EMULATOR_TLS: 'true' })).toMatchObject({ tls: true, port: 9443 })
    expect(run(['--tls', '--port', '8443'])).toMatchObject({ port: 8443 })
    expect(run(['--tls'], { PORT: '7000' })).toMatchObject({ port: 7000 })
    expect(failure(['--tls-cert', 'c.pem'])).toContain('--tls-cert and --tls-key together')
  })

  it('never prints a password in a users error', () => {
    const message = failure(['--users', 'a@x.io:s3cret-pw:superuser,b@x.io:other-secret'])
    expect(message).not.toContain('s3cret-pw')
    expect(message).not.toContain('other-secret')
  })

  it('answers --help and --version', () => {
    expect(loadConfig(['--help'], {})).toEqual({ kind: 'help' })
    expect(loadConfig(['--version'], {})).toEqual({ kind: 'version' })
    for (const s of SETTINGS) {
      expect(USAGE).toContain(s.flag)
      expect(USAGE).toContain(s.env)
    }
  })
})
