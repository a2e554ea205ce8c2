import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { resolveConnection } from '../../src/crdb-cli/connection.js'
import { EXIT } from '../../src/crdb-cli/errors.js'
import { runCrdbCli } from '../../src/crdb-cli/run.js'

const noFile = (path: string): string => { throw new Error(`ENOENT: no such file, open '${path}'`) }

describe('where crdb-cli sends its requests', () => {
  it('defaults to the emulator on this host, as an admin', () => {
    expect(resolveConnection({}, {}, noFile)).toEqual({ url: 'http://127.0.0.1:8080', username: 'admin@example.com', password: 'admin', insecure: false, ca: undefined })
  })

  it('finds the local server from its own variables: PORT, EMULATOR_TLS, the first admin of EMULATOR_USERS', () => {
    const env = { PORT: '9000', EMULATOR_TLS: 'true', EMULATOR_USERS: 'viewer@x:v:db_viewer,ops@x:se:cr:et:admin' }
    expect(resolveConnection({}, env, noFile)).toEqual({ url: 'https://127.0.0.1:9000', username: 'ops@x', password: 'se:cr:et', insecure: true, ca: undefined })
    expect(resolveConnection({}, { EMULATOR_TLS: '1' }, noFile).url).toBe('https://127.0.0.1:9443')
  })

  it('takes CRDB_CLI_* variables over the defaults, and flags over the variables', () => {
    const env = { CRDB_CLI_URL: 'https://emulator:9443/ns/team-a/', CRDB_CLI_USER: 'u@x', CRDB_CLI_PASSWORD: 'pw', CRDB_CLI_INSECURE: 'true' }
    expect(resolveConnection({}, env, noFile)).toEqual({ url: 'https://emulator:9443/ns/team-a', username: 'u@x', password: 'pw', insecure: true, ca: undefined })
    expect(resolveConnection({ 'api-url': 'http://other:1', 'api-user': 'f@x', 'api-password': 'fp' }, env, noFile)).toMatchObject({ url: 'http://other:1', username: 'f@x', password: 'fp' })
  })

  it('verifies an explicit https URL unless told otherwise, with the CA file given', () => {
    expect(resolveConnection({ 'api-url': 'https://e:9443' }, {}, noFile).insecure).toBe(false)
    expect(resolveConnection({ 'api-url': 'https://e:9443', 'ca-file': 'ca.pem' }, {}, () => 'PEM').ca).toBe('PEM')
    expect(() => resolveConnection({ 'ca-file': 'ca.pem' }, {}, noFile)).toThrow(/Failed to read the CA file ca.pem: ENOENT/)
    expect(() => resolveConnection({ 'api-url': 'emulator:8080' }, {}, noFile)).toThrow(/it is not an http:\/\/ or https:\/\/ URL/)
  })
})

describe('runCrdbCli, without an emulator', () => {
  async function run (argv: string[]): Promise<{ code: number, out: string[], err: string[] }> {
    const out: string[] = []
    const err: string[] = []
    const code = await runCrdbCli(argv, { out: (l) => { out.push(l) }, err: (l) => { err.push(l) }, readFile: noFile, sleep: async () => {}, now: () => 0, env: {} })
    return { code, out, err }
  }

  it('prints help on stdout with exit code 0', async () => {
    const { code, out, err } = await run(['--help'])
    expect([code, err]).toEqual([EXIT.ok, []])
    expect(out.join('\n')).toMatch(/Exit codes: 0 done, 1 the API refused, 2 wrong command line, 3 the task failed, 4 timed out, 5 no emulator answered\./)
  })

  it('prints one line on stderr and exits 2 for a wrong command line, before any request', async () => {
    expect(await run(['crdb', 'get'])).toEqual({ code: EXIT.usage, out: [], err: ['Failed to read the command line: crdb-cli crdb get needs --crdb-guid <guid>. Run crdb-cli crdb get --help to see the flags.'] })
    expect((await run(['crdb', 'delete', '--crdb-guid', 'g', '--timeout', 'soon'])).err).toEqual(['Failed to read --timeout (CRDB_CLI_TIMEOUT) "soon": expected a number of seconds.'])
  })
})

describe('src/crdb-cli', () => {
  it('imports only itself, src/lib and node: builtins: it talks REST, like any client', () => {
    const dir = new URL('../../src/crdb-cli/', import.meta.url)
    const imports = readdirSync(dir).filter((f) => f.endsWith('.ts')).flatMap((file) =>
      [...readFileSync(new URL(file, dir), 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => `${file}: ${m[1] as string}`))
    expect(imports.length).toBeGreaterThan(10)
    expect(imports.filter((line) => !/: (\.\/|\.\.\/lib\/|node:)/.test(line))).toEqual([])
  })
})
