import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, startServer, type Server } from '../../e2e/helpers.js'
import { sample } from '../documented.js'
import { expectLikeSample, runCli } from './run-cli.js'

/**
 * Every command of crdb-cli, the built executable, against the built server with a manual
 * clock: `--advance-clock` moves time, so nothing here waits on the wall clock. Each output is
 * compared with the docs' example of that command.
 */
let server: Server
const cli = async (...args: string[]): ReturnType<typeof runCli> => await runCli(server.url, args, { CRDB_CLI_ADVANCE_CLOCK: 'true' })
const INSTANCE = (n: number): string => `fqdn=cluster${n}.redis.local,username=admin@redis.local,password=admin`
let guid: string

beforeAll(async () => {
  server = await startServer(['--clock', 'manual'])
  const created = await cli('crdb', 'create', '--name', 'database1', '--memory-size', '1GB', '--port', '12000', '--instance', INSTANCE(1), '--instance', INSTANCE(2))
  expect(created.code, created.err.join('\n')).toBe(0)
  guid = (/crdb:(\S+)$/.exec(created.out[2] as string) as RegExpExecArray)[1] as string
})
afterAll(async () => {
  // a start-up that failed left nothing to stop
  if ((server as Server | undefined) === undefined) return
  const exited = once(server.child, 'exit')
  server.child.kill('SIGTERM')
  await exited
})

describe('crdb-cli crdb', () => {
  it('create prints the docs\' output, and the CRDB is there with what the flags asked for', async () => {
    const res = await cli(...sample('create').args)
    expect([res.code, res.err]).toEqual([0, []])
    expectLikeSample(res.out, sample('create').output)
    const g = (/crdb:(\S+)$/.exec(res.out[2] as string) as RegExpExecArray)[1] as string
    const { json } = await api(server, 'GET', `/v1/crdbs/${g}`)
    expect(json.default_db_config).toMatchObject({ memory_size: 1073741824, port: 12000, sharding: true })
    expect(json.instances.map((i: { cluster: { url: string } }) => i.cluster.url)).toEqual(['https://cluster1.redis.local:9443', 'https://cluster2.redis.local:9443'])
  })

  it('create --no-wait prints the task\'s id only, and the task is queued', async () => {
    const res = await cli('crdb', 'create', '--name', 'later', '--memory-size', '100mb', '--instance', INSTANCE(1), '--instance', INSTANCE(2), '--no-wait')
    expect(res.code).toBe(0)
    expectLikeSample(res.out, ['Task 633aaea3-97ee-4bcb-af39-a9cb25d7d4da created'])
    const id = (res.out[0] as string).split(' ')[1] as string
    expect((await api(server, 'GET', `/v1/crdb_tasks/${id}`)).json.status).toBe('queued')
    await api(server, 'POST', '/__emulator/clock/run', { task_id: id, status: 'finished' })
  })

  it('list prints the docs\' table, one row per instance', async () => {
    const res = await cli('crdb', 'list')
    expect(res.code).toBe(0)
    expect(res.out[0]).toBe('CRDB-GUID                             NAME       REPL-ID  CLUSTER-FQDN')
    expect(res.out).toContain(`${guid}  database1  1        cluster1.redis.local`)
    expect(res.out).toContain(`${guid}  database1  2        cluster2.redis.local`)
  })

  it('get prints the docs\' lines, key by key', async () => {
    const res = await cli('crdb', 'get', '--crdb-guid', guid)
    expect(res.code).toBe(0)
    const keys = (lines: string[]): string[] => lines.map((l) => l.replace(/:.*$/, ':'))
    // the emulator answers two settings the docs' sample predates; they come after the sample's
    const documented = keys(sample('get').output)
    const ours = keys(res.out).filter((l) => !['  eviction_policy:', '  replication_oom_threshold_percent:'].includes(l))
    expect(ours).toEqual(documented)
    expect(res.out.slice(0, 2)).toEqual([`CRDB-GUID: ${guid}`, 'Name: database1'])
    expect(res.out).toContain('  memory_size: 1073741824')
    expect(res.out).toContain('  shard_key_regex: [{\'regex\': \'.*\\\\{(?<tag>.*)\\\\}.*\'}, {\'regex\': \'(?<tag>.*)\'}]')
  })

  it('update prints the docs\' output for each documented form', async () => {
    for (const name of ['update-memory-size', 'update-default-db-config', 'update-credentials']) {
      const args = sample(name).args.map((a) => a.replace('<crdb-guid>', guid).replace('<primary_shards_count>', '2').replace(/<[a-z-]+>/g, 'PEM'))
      const res = await cli(...args)
      expect(res.code, `${name}: ${res.err.join('\n')}`).toBe(0)
      expectLikeSample(res.out, sample(name).output)
    }
    const { json } = await api(server, 'GET', `/v1/crdbs/${guid}`)
    expect(json.default_db_config).toMatchObject({ memory_size: 2147483648, shards_count: 2 })
  })

  it('add-instance, remove-instance --force and purge-instance print the docs\' output', async () => {
    const add = await cli('crdb', 'add-instance', '--crdb-guid', guid, '--instance', INSTANCE(3))
    expectLikeSample(add.out, sample('add-instance').output)
    expect((await api(server, 'GET', `/v1/crdbs/${guid}`)).json.instances.map((i: { id: number }) => i.id)).toEqual([1, 2, 3])
    const remove = await cli('crdb', 'remove-instance', '--crdb-guid', guid, '--instance-id', '3', '--force')
    expectLikeSample(remove.out, sample('remove-instance').output)
    const purge = await cli('crdb', 'purge-instance', '--crdb-guid', guid, '--instance-id', '3')
    expectLikeSample(purge.out, sample('purge-instance').output)
    expect([add.code, remove.code, purge.code]).toEqual([0, 0, 0])
    expect((await api(server, 'GET', `/v1/crdbs/${guid}`)).json.instances.map((i: { id: number }) => i.id)).toEqual([1, 2])
  })

  it('health-report prints the API\'s reports in the docs\' JSON layout', async () => {
    const res = await cli('crdb', 'health-report', '--crdb-guid', guid)
    expect(res.code).toBe(0)
    const text = res.out.join('\n')
    expect(JSON.parse(text)).toEqual((await api(server, 'GET', `/v1/crdbs/${guid}/health_report`)).json)
    expect(res.out.slice(0, 3)).toEqual(['[', '  {', `    "guid":"${guid}",`])
    expect(text).toContain('"url":"https:\\/\\/cluster1.redis.local:9443"')
  })

  it('flush and delete print the docs\' output, and the CRDB is gone', async () => {
    const flush = await cli('crdb', 'flush', '--crdb-guid', guid)
    expectLikeSample(flush.out, sample('flush').output)
    const del = await cli('crdb', 'delete', '--crdb-guid', guid)
    expectLikeSample(del.out, sample('delete').output)
    expect([flush.code, del.code]).toEqual([0, 0])
    const get = await cli('crdb', 'get', '--crdb-guid', guid)
    expect(get).toMatchObject({ code: 1, out: [] })
    expect(get.err).toEqual([`Failed to get CRDB ${guid}: 404 crdb_not_found: ${(await api(server, 'GET', `/v1/crdbs/${guid}`)).json.description} Run crdb-cli crdb list to see the CRDBs there are.`])
  })

  it('answers a refused change with the API\'s error on one line and exit code 1', async () => {
    const res = await cli('crdb', 'create', '--name', 'lonely', '--memory-size', '1GB', '--instance', INSTANCE(1))
    expect(res).toMatchObject({ code: 1, out: [] })
    expect(res.err).toEqual([expect.stringMatching(/^Failed to create CRDB lonely: 406 crdb_not_acceptable: .*at least two participating clusters/)])
    const bad = await cli('crdb', 'create', '--name', 'bad', '--memory-size', '1GB', '--instance', INSTANCE(1), '--instance', INSTANCE(2), '--shards-count', '9999')
    expect(bad.err).toEqual(['Failed to create CRDB bad: 400 invalid_request: 9999 is greater than the maximum of 512 - \'default_db_config.shards_count\'.'])
  })
})

describe('crdb-cli task', () => {
  it('list prints the docs\' columns, a row per live task', async () => {
    const res = await cli('task', 'list')
    expect(res.code).toBe(0)
    expect((res.out[0] as string).split(/\s+/).filter(Boolean)).toEqual(sample('task-list').output[0]?.split(/\s+/).filter(Boolean))
    expect(res.out[0]?.endsWith('ENDED               ')).toBe(true)
    const tasks = (await api(server, 'GET', '/v1/crdb_tasks')).json as Array<{ id: string }>
    expect(res.out.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(tasks.map((t) => t.id))
    expect(res.out.find((l) => l.includes('create_crdb'))).toMatch(/^\S{36} {2}\S{36} {2}create_crdb {2}finished {2}crdb_worker:1:0 {2}\S{20} {2}\S{20}$/)
  })

  it('status prints the docs\' fields, with --verbose the progress too', async () => {
    const tasks = (await api(server, 'GET', '/v1/crdb_tasks')).json as Array<{ id: string, operation: string }>
    const id = tasks.find((t) => t.operation === 'create_crdb')?.id as string
    const plain = await cli('task', 'status', '--task-id', id)
    expect(plain.code).toBe(0)
    expectLikeSample(plain.out, sample('task-status').output)
    const noVerbose = await cli('task', 'status', '--task-id', id, '--no-verbose')
    expect(noVerbose.out).toEqual(plain.out)
    const verbose = await cli('task', 'status', '--task-id', id, '--verbose')
    expect(verbose.out.slice(0, 7)).toEqual(plain.out)
    expect(verbose.out.slice(7)).toEqual(['Progress:', '  Worker: completed', '  Clusters:', '    cluster1.redis.local: completed', '    cluster2.redis.local: completed'])
    const unknown = await cli('task', 'status', '--task-id', 'no-such-task')
    expect(unknown).toMatchObject({ code: 1, out: [] })
    expect(unknown.err[0]).toMatch(/^Failed to get task no-such-task: 404 task_not_found: .* Run crdb-cli task list to see the tasks there are\.$/)
  })

  it('cancel prints nothing and exits 0; a cancel the API refuses exits 1', async () => {
    const started = await api(server, 'POST', '/__emulator/tasks', { id: 'to-cancel' })
    expect(started.status).toBe(201)
    const res = await cli(...sample('task-cancel').args.map((a) => a.replace(/^2901c2a3-.*/, 'to-cancel')))
    expect(res).toEqual({ code: 0, out: [], err: [] })
    expect((await api(server, 'GET', '/v1/crdb_tasks/to-cancel')).json.status).toBe('failed')
    const again = await cli('task', 'cancel', '--task-id', 'to-cancel')
    expect(again.code).toBe(1)
    expect(again.err[0]).toMatch(/^Failed to cancel task to-cancel: 406 task_cannot_be_canceled: /)
  })
})
