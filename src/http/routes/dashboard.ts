import { readFileSync } from 'node:fs'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { ApiError } from '../errors.js'
import { clusterOf } from '../plugins/namespace.js'
import { CancelResponseSchema, ControlTaskParamsSchema, errorResponses, ForceQuerySchema, OVERVIEW_HISTORY_ENTRIES, OverviewSchema, TIMELINE_TASKS } from '../schemas.js'
import { isOnMember, spansMember, type Topology } from '../../emulator/topology.js'
import type { RsVersion } from '../../emulator/versions.js'
import type { Task } from '../../engine/engine.js'
import { localInstance, toClockWire, toControlTime, toCrdbWire, toTaskVerboseWire } from '../wire.js'
import { cancelTask } from './tasks.js'

/**
 * The dashboard's files, read once: dist/ui (built from src/ui) beside dist/http. Run from
 * source (`npm run dev`, tests), this module is in src/http, and src/ui has no compiled app.js:
 * the files are then the ones `npm run build:ui` put in dist/ui.
 */
const HERE = new URL('../../ui/', import.meta.url)
const UI = HERE.pathname.endsWith('/src/ui/') ? new URL('../../../dist/ui/', import.meta.url) : HERE
const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'timeline.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8'
} as const
type UiFile = keyof typeof FILES

/** How many journal entries the dashboard shows. */
const RECENT_REQUESTS = 200

/**
 * The `n` most recently created of `tasks`. The engine lists tasks in the order they were made,
 * which is creation order unless a loaded state said otherwise; only then does it need a sort.
 */
function latestCreated (tasks: readonly Task[], n: number): ReadonlySet<Task> {
  if (tasks.length <= n) return new Set(tasks)
  const inOrder = tasks.every((t, i) => i === 0 || (tasks[i - 1] as Task).createdAt <= t.createdAt)
  return new Set((inOrder ? tasks : [...tasks].sort((a, b) => a.createdAt - b.createdAt)).slice(-n))
}

/**
 * The dashboard (`/__emulator/ui`, admin only) and the two calls it makes besides the control
 * API: an overview to poll, and a cancel that is neither journaled nor faulted (the journal is
 * for the code under test).
 */
export const dashboardRoutes: FastifyPluginAsyncTypebox<{ topology: Topology, rsVersion: RsVersion }> = async (app, { topology, rsVersion }) => {
  // read once, on first use: a test that never opens the dashboard needs no build
  const files = new Map<UiFile, Buffer>()
  const file = (name: UiFile): Buffer => {
    let content = files.get(name)
    if (content === undefined) {
      try {
        content = readFileSync(new URL(name, UI))
      } catch {
        throw new ApiError('not_found', `The dashboard's ${name} is missing: run npm run build (or npm run build:ui).`)
      }
      files.set(name, content)
    }
    return content
  }
  const control = { permission: 'control_emulator' } as const

  // the page's links resolve against <base>, which must name the namespace it was opened in
  const page = (request: FastifyRequest): string =>
    file('index.html').toString().replace('<base href="/__emulator/ui/">', `<base href="${request.namespaced ? `/ns/${request.namespace}` : ''}/__emulator/ui/">`)

  app.get('/__emulator/ui', { config: control, schema: { hide: true } }, async (request, reply) => {
    return await reply.type(FILES['index.html']).send(page(request))
  })
  app.get('/__emulator/ui/:file', { config: control, schema: { hide: true } }, async (request, reply) => {
    const name = (request.params as { file: string }).file
    if (name === '' || name === 'index.html') return await reply.type(FILES['index.html']).send(page(request))
    const wanted = name
    if (!(wanted in FILES)) throw new ApiError('not_found', `No dashboard file "${name}".`)
    return await reply.type(FILES[wanted as UiFile]).header('cache-control', 'no-cache').send(file(wanted as UiFile))
  })

  app.get('/__emulator/overview', {
    config: control,
    schema: { summary: 'Everything the dashboard shows, in one call', response: { 200: OverviewSchema, ...errorResponses(401, 403) } }
  }, async (request) => {
    const { engine, faults, journal, links } = clusterOf(request)
    const next = engine.nextEventAt()
    const time = (ms: number | null): string | null => ms === null ? null : toControlTime(ms)
    const requests = journal.list()
    const tasks = Array.from(engine.list())
    const drawn = latestCreated(tasks, TIMELINE_TASKS)
    return {
      namespace: request.namespace,
      clock: { ...toClockWire(engine), next_event_at: time(next) },
      tasks: tasks.map((task) => ({
        task: toTaskVerboseWire(task),
        phase: task.phase,
        created_at: toControlTime(task.createdAt),
        phase_started_at: toControlTime(task.phaseStartedAt),
        phase_ends_at: time(task.phaseEndsAt),
        expires_at: time(task.expiresAt),
        pending_cancel_at: time(task.pendingCancel?.at ?? null),
        ...(drawn.has(task) ? { history: task.history.slice(-OVERVIEW_HISTORY_ENTRIES).map((h) => ({ at: toControlTime(h.at), phase: h.phase, cause: h.cause })) } : {})
      })),
      crdbs: Array.from(engine.listCrdbs(), (crdb) => toCrdbWire(crdb, localInstance(crdb, (i) => isOnMember(topology, i, request.member.name)), rsVersion)),
      faults: faults.list(),
      requests: requests.slice(-RECENT_REQUESTS).map((entry) => ({ ...entry, at: toControlTime(entry.at) })),
      clusters: links.list().map((l) => ({
        name: l.name,
        reachable: l.reachable,
        delay_ms: l.delayMs,
        crdbs: Array.from(engine.listCrdbs()).filter((c) => spansMember(topology, c, l.name)).map((c) => c.name)
      }))
    }
  })

  app.post('/__emulator/tasks/:id/cancel', {
    config: control,
    schema: {
      summary: 'Cancel a task as POST /v1/crdb_tasks/{id}/actions/cancel does, but not journaled or faulted',
      params: ControlTaskParamsSchema,
      querystring: ForceQuerySchema,
      response: { 200: CancelResponseSchema, ...errorResponses(400, 401, 403, 404, 406, 409) }
    }
  }, async (request) => cancelTask(clusterOf(request).engine, request.params.id, request.query.force, request.member.name))
}
