import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, startServer, type Server } from '../../e2e/helpers.js'
import { sample } from '../documented.js'
import { CLI, cliEnv, expectLikeSample, runCli, startCli } from './run-cli.js'

/**
 * How crdb-cli waits: polling a real clock (scaled, so that a task takes milliseconds), a
 * manual clock that the test moves itself, the exit codes of a failed task, a timeout, no
 * emulator and TLS; and a public-style script, run unchanged by sh.
 */
const INSTANCES = ['--instance', 'fqdn=c1.example.com,username=u,password=p', '--instance', 'fqdn=c2.example.com,username=u,password=p']
const servers: Server[] = []
async function serve (args: string[]): Promise<Server> {
  const server = await startServer(args)
  servers.push(server)
  return server
}
afterAll(async () => {
  await Promise.all(servers.map(async (s) => { const exited = once(s.child, 'exit'); s.child.kill('SIGTERM'); await exited }))
})

describe('on a real clock', () => {
  let fast: Server
  // results kept 10 000 000 emulated s (about 3 real hours at x1000), so a busy machine's slow
  // `task list` still finds them (500 s would be half a real second)
  beforeAll(async () => { fast = await serve(['--time-scale', '1000', '--result-ttl', '10000000']) })

  it('polls until the task ends and prints the docs\' create output', async () => {
    const res = await runCli(fast.url, ['crdb', 'create', '--name', 'polled', '--memory-size', '1GB', ...INSTANCES])
    expect([res.code, res.err]).toEqual([0, []])
    expectLikeSample(res.out, sample('create').output)
  })

  it('runs a public-style script unchanged: create, wait, add an instance, remove it, delete', async () => {
    const { code, out, err } = await runScript(fast.url)
    expect(code, `${out}\n${err}`).toBe(0)
    expect(out).toMatch(/^public-style script done: [0-9a-f-]{36}$/m)
    expect(out.match(/---> Status changed: started -> finished/g)).toHaveLength(4)
    expect(out).toMatch(/^TASK-ID +CRDB-GUID +OPERATION +STATUS +WORKER-NAME +STARTED +ENDED +$/m)
    expect(out).toMatch(/ delete_crdb {2}finished /)
  })
})

/** Runs test/crdb-cli/public-style.sh with sh, crdb-cli on its PATH as the image has it. */
async function runScript (url: string, env: Record<string, string> = {}): Promise<{ code: number | null, out: string, err: string }> {
  const bin = mkdtempSync(join(tmpdir(), 'crdb-cli-bin-'))
  writeFileSync(join(bin, 'crdb-cli'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`)
  chmodSync(join(bin, 'crdb-cli'), 0o755)
  const script = fileURLToPath(new URL('../public-style.sh', import.meta.url))
  const child = spawn('sh', [script], { env: cliEnv({ CRDB_CLI_URL: url, PATH: `${bin}:${process.env.PATH ?? ''}`, ...env }), stdio: 'pipe' })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const [code] = await once(child, 'close') as [number | null]
  clearTimeout(timer)
  return { code, out, err }
}

describe('on a manual clock', () => {
  let manual: Server
  beforeAll(async () => { manual = await serve(['--clock', 'manual']) })

  it('waits while the test moves time, says once how time moves, and exits 3 when the task fails', async () => {
    const cli = startCli(manual.url, ['crdb', 'create', '--name', 'doomed', '--memory-size', '1GB', ...INSTANCES])
    const id = (/^Task (\S+) created$/.exec(await cli.line(/^Task \S+ created$/)) as RegExpExecArray)[1] as string
    await api(manual, 'PATCH', `/__emulator/tasks/${id}`, { outcome: 'failed', errors: [{ cluster_name: 'c2.example.com', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }] })
    await api(manual, 'POST', '/__emulator/clock/advance', { seconds: 14 })
    const res = await cli.done
    expect(res.code).toBe(3)
    expect(res.out.slice(1, 2)).toEqual(['  ---> Status changed: queued -> started'])
    expect(res.out.at(-1)).toBe('  ---> Status changed: started -> failed')
    expect(res.err).toEqual([
      `Waiting for task ${id}: the emulator's clock is manual and moves only when advanced. Advance it (POST /__emulator/clock/advance), or pass --advance-clock (CRDB_CLI_ADVANCE_CLOCK=true) to let crdb-cli move it.`,
      `Failed to create CRDB doomed: task ${id} ended failed: db_create_failed: Unavailable or invalid port (cluster c2.example.com). crdb-cli task status --task-id ${id} --verbose shows it.`
    ])
  })

  it('exits 4 when --timeout runs out, with the task still there to follow', async () => {
    const res = await runCli(manual.url, ['crdb', 'create', '--name', 'slow', '--memory-size', '1GB', ...INSTANCES, '--timeout', '0.3'])
    expect(res.code).toBe(4)
    const id = (res.out[0] as string).split(' ')[1] as string
    expect(res.err.at(-1)).toBe(`Failed to create CRDB slow: task ${id} is still queued after 0.3 s. Follow it with crdb-cli task status --task-id ${id}, or give a longer --timeout.`)
    expect((await runCli(manual.url, ['task', 'status', '--task-id', id])).out).toContain('Status: queued')
  })

  it('with CRDB_CLI_ADVANCE_CLOCK=true, runs the public-style script unchanged, crdb-cli moving time', async () => {
    const { code, out, err } = await runScript(manual.url, { CRDB_CLI_ADVANCE_CLOCK: 'true' })
    expect(code, `${out}\n${err}`).toBe(0)
    expect(err).toBe('')
    expect(out.match(/---> Status changed: started -> finished/g)).toHaveLength(4)
  })
})

describe('the exit codes of what goes wrong before a task', () => {
  it('exits 5 when no emulator answers, naming the URL and the variable to set', async () => {
    const res = await runCli('http://127.0.0.1:1', ['task', 'list'])
    expect(res).toEqual({ code: 5, out: [], err: ['Failed to list the tasks: the emulator at http://127.0.0.1:1 refused the connection (nothing listens there). Start it, or point crdb-cli at it with --api-url or CRDB_CLI_URL.'] })
  })

  it('exits 2 for a wrong command line, and prints help on stdout with 0', async () => {
    const wrong = await runCli('http://127.0.0.1:1', ['crdb', 'create', '--name', 'x'])
    expect(wrong.code).toBe(2)
    expect(wrong.err).toEqual(['Failed to read the command line: crdb-cli crdb create needs --memory-size <size>. Run crdb-cli crdb create --help to see the flags.'])
    const both = await runCli('http://127.0.0.1:1', ['crdb', 'add-instance', '--crdb-guid', 'g', '--instance', 'fqdn=c,username=u,password=p,client_cert=C,client_key=K'])
    expect(both).toEqual({ code: 2, out: [], err: ['Use either username/password or client_cert/client_key/trusted_ca, not both'] })
    const help = await runCli('http://127.0.0.1:1', ['task', 'status', '--help'])
    expect(help.code).toBe(0)
    expect(help.out[0]).toBe('Usage: crdb-cli task status [flags]')
  })

  it('exits 1 for wrong credentials, saying which variables hold them', async () => {
    const server = await serve(['--clock', 'manual'])
    const res = await runCli(server.url, ['task', 'list'], { CRDB_CLI_PASSWORD: 'wrong' })
    expect(res.code).toBe(1)
    expect(res.err[0]).toMatch(/^Failed to list the tasks: 401 unauthorized: .* Give an admin's email and password with CRDB_CLI_USER and CRDB_CLI_PASSWORD/)
  })

  it('over TLS: refuses a self-signed certificate unless --insecure', async () => {
    const tls = await serve(['--tls', '--clock', 'manual'])
    const refused = await runCli(tls.url, ['task', 'list'])
    expect(refused.code).toBe(5)
    expect(refused.err[0]).toMatch(/has a certificate crdb-cli does not trust .* --insecure \(CRDB_CLI_INSECURE=true\) for a self-signed one\.$/)
    const accepted = await runCli(tls.url, ['task', 'list', '--insecure'])
    expect([accepted.code, accepted.out]).toEqual([0, ['TASK-ID  CRDB-GUID  OPERATION  STATUS  WORKER-NAME  STARTED  ENDED']])
  })
})
