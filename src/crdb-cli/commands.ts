import type { ClockWire, TaskWire } from '../lib/index.js'
import { EmulatorClient } from '../lib/client.js'
import { enc, EmulatorError, type Transport } from '../lib/transport.js'
import { formatCrdb } from './crdb-get-format.js'
import { CliError, describeFailure, EXIT, sentence, UsageError, type ExitCode } from './errors.js'
import { formatCrdbList, formatHealthJson, formatTaskError, formatTaskList, formatTaskStatus } from './formats.js'
import { listOf, stringOf, type FlagValues } from './parse-args.js'
import { addInstanceBody, createBody, purgeIds, removeInstanceBody, updateRequest } from './request-bodies.js'
import { waitForTask, type WaitOptions } from './wait-for-task.js'

/** What a command needs of the world besides the API. */
export interface CommandIo {
  out: (line: string) => void
  err: (line: string) => void
  readFile: (path: string) => string
  sleep: (ms: number) => Promise<void>
  now: () => number
  env: Readonly<Record<string, string | undefined>>
}

interface Context {
  http: Transport
  client: EmulatorClient
  values: FlagValues
  io: CommandIo
}

type Handler = (ctx: Context) => Promise<ExitCode>

/** Runs `call` for `action`; an error becomes the one stderr line of `describeFailure`. */
async function attempt<T> (ctx: Context, action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw describeFailure(action, err, ctx.http.url)
  }
}

const truthy = (raw: string | undefined): boolean => raw !== undefined && /^(1|true|yes)$/i.test(raw.trim())

/** How to wait, from the flags and their variables. */
export function waitOptionsOf (values: FlagValues, env: CommandIo['env']): WaitOptions {
  const seconds = (flag: string, variable: string, fallback: number | undefined, min: number): number | undefined => {
    const raw = stringOf(values, flag) ?? (env[variable] === '' ? undefined : env[variable])
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!/^\s*[0-9]*\.?[0-9]+\s*$/.test(raw) || n < min || n > 31_536_000) throw new UsageError(`Failed to read --${flag} (${variable}) "${raw}": expected a number of seconds${min > 0 ? ' above 0' : ''}.`)
    return n
  }
  const poll = seconds('poll-interval', 'CRDB_CLI_POLL_INTERVAL', undefined, 0.001)
  return {
    advance: values['advance-clock'] === true || truthy(env.CRDB_CLI_ADVANCE_CLOCK),
    timeoutSeconds: seconds('timeout', 'CRDB_CLI_TIMEOUT', 600, 0) as number,
    pollSeconds: poll
  }
}

/**
 * A command that makes a task: prints `Task <id> created`, then, unless `--no-wait`, each
 * status change until the task ends. Exit 3 when it ends failed, 4 when `--timeout` runs out.
 */
async function runTask (ctx: Context, action: string, start: () => Promise<TaskWire>): Promise<ExitCode> {
  const options = waitOptionsOf(ctx.values, ctx.io.env)
  const task = await attempt(ctx, action, start)
  ctx.io.out(`Task ${task.id} created`)
  if (ctx.values['no-wait'] === true) return EXIT.ok
  const result = await attempt(ctx, `wait for task ${task.id}`, async () => await waitForTask(task, options, {
    getTask: async (id) => await ctx.client.getTask(id),
    clock: async () => {
      try {
        return await ctx.http.request<ClockWire>('GET', '/__emulator/clock')
      } catch (err) {
        // no control API (--no-control) or not an admin: wait as for a real cluster
        if (err instanceof EmulatorError) return undefined
        throw err
      }
    },
    runUntil: async (id, status) => {
      try {
        await ctx.http.request('POST', '/__emulator/clock/run', { task_id: id, status })
      } catch (err) {
        if (err instanceof EmulatorError && err.status !== 422) {
          throw new CliError(EXIT.refused, `Failed to advance the emulator's clock for task ${id}: ${err.status} ${err.errorCode}: ${sentence(err.description)} Drop --advance-clock (CRDB_CLI_ADVANCE_CLOCK), or log in as an admin of an emulator with its control API on.`)
        }
        throw err
      }
    },
    sleep: ctx.io.sleep,
    now: ctx.io.now,
    out: ctx.io.out,
    err: ctx.io.err
  }))
  if (!result.ended) {
    throw new CliError(EXIT.timeout, `Failed to ${action}: task ${task.id} is still ${result.task.status} after ${options.timeoutSeconds} s. Follow it with crdb-cli task status --task-id ${task.id}, or give a longer --timeout.`)
  }
  if (result.task.status === 'failed') {
    const why = (result.task.errors ?? []).map(formatTaskError).join('; ')
    throw new CliError(EXIT.taskFailed, `Failed to ${action}: task ${task.id} ended failed${why === '' ? '' : `: ${why}`}. crdb-cli task status --task-id ${task.id} --verbose shows it.`)
  }
  return EXIT.ok
}

const guidOf = (ctx: Context): string => stringOf(ctx.values, 'crdb-guid') as string
const idsOf = (ctx: Context): string => listOf(ctx.values, 'instance-id').join(', ')

/** The handler of each command, by `<group> <name>`. */
export const HANDLERS: Record<string, Handler> = {
  'crdb create': async (ctx) => {
    const body = createBody(ctx.values, ctx.io.readFile)
    return await runTask(ctx, `create CRDB ${body.name}`, async () => await ctx.client.createCrdb(body))
  },
  'crdb list': async (ctx) => {
    const { crdbs } = await attempt(ctx, 'list the CRDBs', async () => await ctx.client.listCrdbs())
    for (const line of formatCrdbList(crdbs)) ctx.io.out(line)
    return EXIT.ok
  },
  'crdb get': async (ctx) => {
    const crdb = await attempt(ctx, `get CRDB ${guidOf(ctx)}`, async () => await ctx.client.getCrdb(guidOf(ctx)))
    for (const line of formatCrdb(crdb)) ctx.io.out(line)
    return EXIT.ok
  },
  'crdb update': async (ctx) => {
    const guid = guidOf(ctx)
    const action = `update CRDB ${guid}`
    const request = await attempt(ctx, action, async () => await updateRequest(ctx.values, ctx.io.readFile, {
      crdb: async () => await ctx.client.getCrdb(guid),
      featuresetVersion: async () => (await ctx.http.request<{ crdt_supported_featureset_version: number }>('GET', '/v1/cluster')).crdt_supported_featureset_version
    }))
    return await runTask(ctx, action, async () => request.kind === 'patch'
      ? await ctx.client.updateCrdb(guid, request.body)
      : await ctx.client.modifyCrdb(guid, request.body))
  },
  'crdb delete': async (ctx) => await runTask(ctx, `delete CRDB ${guidOf(ctx)}`, async () => await ctx.client.deleteCrdb(guidOf(ctx))),
  'crdb flush': async (ctx) => await runTask(ctx, `flush CRDB ${guidOf(ctx)}`, async () => await ctx.client.flushCrdb(guidOf(ctx))),
  'crdb add-instance': async (ctx) => {
    const body = addInstanceBody(ctx.values)
    return await runTask(ctx, `add an instance to CRDB ${guidOf(ctx)}`, async () => await ctx.client.modifyCrdb(guidOf(ctx), body))
  },
  'crdb remove-instance': async (ctx) => {
    const body = removeInstanceBody(ctx.values)
    return await runTask(ctx, `remove instance ${idsOf(ctx)} from CRDB ${guidOf(ctx)}`, async () => await ctx.client.modifyCrdb(guidOf(ctx), body))
  },
  'crdb purge-instance': async (ctx) => {
    const ids = purgeIds(ctx.values)
    return await runTask(ctx, `purge instance ${idsOf(ctx)} of CRDB ${guidOf(ctx)}`, async () => await ctx.client.purgeInstances(guidOf(ctx), ids))
  },
  'crdb health-report': async (ctx) => {
    const guid = guidOf(ctx)
    const reports = await attempt(ctx, `get the health report of CRDB ${guid}`, async () => await ctx.http.request<unknown[]>('GET', `/v1/crdbs/${enc(guid)}/health_report`))
    ctx.io.out(formatHealthJson(reports))
    return EXIT.ok
  },
  'task list': async (ctx) => {
    const tasks = await attempt(ctx, 'list the tasks', async () => await ctx.client.listTasks())
    for (const line of formatTaskList(tasks)) ctx.io.out(line)
    return EXIT.ok
  },
  'task status': async (ctx) => {
    const id = stringOf(ctx.values, 'task-id') as string
    const verbose = ctx.values.verbose === true
    const task = await attempt(ctx, `get task ${id}`, async () => await ctx.client.getTask(id, { verbose }))
    for (const line of formatTaskStatus(task, verbose)) ctx.io.out(line)
    return EXIT.ok
  },
  'task cancel': async (ctx) => {
    const id = stringOf(ctx.values, 'task-id') as string
    // the docs show no output for a cancel: a script reads the exit code
    await attempt(ctx, `cancel task ${id}`, async () => await ctx.client.cancelTask(id, { force: ctx.values.force === true }))
    return EXIT.ok
  }
}

/** Runs the parsed command against the API behind `http`. */
export async function runCommand (key: string, http: Transport, values: FlagValues, io: CommandIo): Promise<ExitCode> {
  const handler = HANDLERS[key]
  if (handler === undefined) throw new CliError(EXIT.usage, `Failed to run ${key}: crdb-cli has no handler for it. Report this as a bug.`)
  return await handler({ http, client: new EmulatorClient(http), values, io })
}
