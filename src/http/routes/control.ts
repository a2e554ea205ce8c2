import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { TaskAmendment, TaskSpec } from '../../engine/engine.js'
import { resetCluster, RESET_KEEPABLE, type FakeCluster } from '../../emulator/cluster.js'
import { ApiError, refused } from '../errors.js'
import { clusterOf } from '../plugins/namespace.js'
import {
  AdvanceBodySchema, AmendTaskBodySchema, type AmendTaskBody, ClockSchema, ControlTaskParamsSchema, CreateTaskBodySchema, type CreateTaskBody,
  errorResponses, FaultParamsSchema, FaultRuleSchema, HealthSchema, HistorySchema, JournalEntrySchema,
  JournalQuerySchema, LinkBodySchema, LinkParamsSchema, LinkSchema, NamespaceBodySchema, NamespaceParamsSchema, NamespaceSchema, ResetBodySchema, RunBodySchema, RunResponseSchema, TaskSchema
} from '../schemas.js'
import { FaultRuleInputSchema, MAX_FAULT_RULES } from '../../emulator/faults.js'
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, type NamespaceRegistry } from '../../emulator/namespaces.js'
import { StateError } from '../../engine/records.js'
import { StateSchema } from '../../emulator/state-schema.js'
import { toClockWire, toControlTime, toHistoryWire, toTaskVerboseWire } from '../wire.js'
import { findTask } from './tasks.js'

const control = { permission: 'control_emulator' } as const

/** `GET /__emulator/health`: no auth, so that a container health check needs no secret. */
export const healthRoute: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/__emulator/health', {
    config: { public: true },
    schema: { summary: 'Liveness and readiness', response: { 200: HealthSchema } }
  }, async () => ({ status: 'ok' as const }))
}

/** The emulator's own API: the clock, tasks made to order, step, history, reset. Admin only. */
export const controlRoutes: FastifyPluginAsyncTypebox<{ registry: NamespaceRegistry }> = async (app, { registry }) => {
  app.get('/__emulator/openapi.json', {
    config: { public: true },
    schema: { hide: true }
  }, async () => (app as unknown as { swagger: () => unknown }).swagger())

  app.get('/__emulator/clock', {
    config: control,
    schema: { summary: 'The emulated clock', response: { 200: ClockSchema, ...errorResponses(401, 403) } }
  }, async (request) => toClockWire(clusterOf(request).engine))

  app.post('/__emulator/clock/advance', {
    config: control,
    schema: {
      summary: 'Move emulated time forward, firing every due transition and expiry in order',
      body: AdvanceBodySchema,
      response: { 200: ClockSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request) => {
    const moved = clusterOf(request).engine.advance(request.body.seconds)
    if (!moved.ok) throw refused(moved)
    return toClockWire(clusterOf(request).engine)
  })

  app.post('/__emulator/clock/run', {
    config: control,
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      summary: 'Move time from event to event until a task has a status, or (empty body) until no task is active',
      body: RunBodySchema,
      response: { 200: RunResponseSchema, ...errorResponses(400, 401, 403, 404, 422) }
    }
  }, async (request) => {
    const { engine } = clusterOf(request)
    const { task_id: id, status } = request.body
    if ((id === undefined) !== (status === undefined)) {
      throw new ApiError('invalid_request', 'Invalid request body: give both "task_id" and "status", or neither (to run until no task is active).')
    }
    if (id === undefined || status === undefined) {
      const idle = engine.runUntilIdle()
      if (!idle.ok) throw refused(idle)
      return { clock: toClockWire(engine) }
    }
    const result = engine.runUntil(id, status, request.member.name)
    if (!result.ok) throw refused(result)
    return { clock: toClockWire(engine), task: toTaskVerboseWire(result.task) }
  })

  app.get('/__emulator/state', {
    config: control,
    schema: { summary: 'The whole state (tasks, CRDBs, clock, fault rules), to save and load', response: { 200: StateSchema, ...errorResponses(401, 403) } }
  }, async (request) => registry.exportState(request.namespaced ? request.namespace : undefined))

  app.put('/__emulator/state', {
    config: control,
    // a state with many tasks is larger than the API's 1 MiB
    bodyLimit: 256 * 1024 * 1024,
    schema: {
      summary: 'Replace the whole state with an exported one (or a fixtures file without users)',
      body: StateSchema,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 413) }
    }
  }, async (request, reply) => {
    if (request.body.users !== undefined) throw new ApiError('invalid_request', 'Invalid request body: field "users" belongs in a fixtures file loaded at start-up, not in a state import.')
    try {
      registry.applyState(request.body, request.namespaced ? request.namespace : undefined)
    } catch (err) {
      if (err instanceof StateError) throw new ApiError('invalid_request', `Invalid request body: ${err.message}`)
      throw err
    }
    return reply.code(204).send(null)
  })

  const namespaceView = (name: string) => {
    const ns = registry.list().find((n) => n.name === name)
    const engine = (ns as { cluster: FakeCluster }).cluster.engine
    return { name, tasks: engine.size, clock: toClockWire(engine) }
  }

  app.get('/__emulator/namespaces', {
    config: control,
    schema: { summary: 'List the namespaces (isolated fake clusters) with their task counts', response: { 200: Type.Array(NamespaceSchema), ...errorResponses(401, 403) } }
  }, async () => registry.list().map((ns) => namespaceView(ns.name)))

  app.put('/__emulator/namespaces/:name', {
    config: control,
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      summary: 'Make a namespace (201), or find an existing one (200)',
      params: NamespaceParamsSchema,
      body: NamespaceBodySchema,
      response: { 200: NamespaceSchema, 201: NamespaceSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request, reply) => {
    const { name } = request.params
    if (!NAMESPACE_PATTERN.test(name)) throw new ApiError('invalid_request', `Invalid namespace name "${name}": expected 1 to 64 of lowercase letters, digits and "-".`)
    const { clock, time_scale: timeScale } = request.body
    const made = registry.obtain(name, { ...(clock === undefined ? {} : { clock }), ...(timeScale === undefined ? {} : { timeScale }) })
    if (!made.ok) throw refused(made)
    return reply.code(made.created ? 201 : 200).send(namespaceView(name))
  })

  app.delete('/__emulator/namespaces/:name', {
    config: control,
    schema: { summary: 'Remove a namespace and everything in it', params: NamespaceParamsSchema, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) } }
  }, async (request, reply) => {
    const outcome = registry.delete(request.params.name)
    if (outcome === 'default') throw new ApiError('invalid_request', `The "${DEFAULT_NAMESPACE}" namespace cannot be deleted; reset it with POST /__emulator/reset.`)
    if (outcome === 'not_found') throw new ApiError('namespace_not_found', `No namespace "${request.params.name}".`)
    return reply.code(204).send(null)
  })

  const linkWire = (l: { name: string, reachable: boolean, delayMs: number }) => ({ name: l.name, reachable: l.reachable, delay_ms: l.delayMs })

  app.get('/__emulator/clusters', {
    config: control,
    schema: { summary: 'The member clusters of the namespace, reachable or not, and how slow', response: { 200: Type.Array(LinkSchema), ...errorResponses(401, 403) } }
  }, async (request) => clusterOf(request).links.list().map(linkWire))

  app.put('/__emulator/clusters/:name', {
    config: control,
    schema: {
      summary: 'Make a member cluster unreachable (or reachable again), or slow',
      params: LinkParamsSchema,
      body: LinkBodySchema,
      response: { 200: LinkSchema, ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { links } = clusterOf(request)
    const { reachable, delay_ms: delayMs } = request.body
    const changed = links.set(request.params.name, { ...(reachable === undefined ? {} : { reachable }), ...(delayMs === undefined ? {} : { delayMs }) })
    if (!changed) throw new ApiError('cluster_not_found', `No member cluster "${request.params.name}"; GET /__emulator/clusters lists them.`)
    return linkWire({ name: request.params.name, ...(links.get(request.params.name) as { reachable: boolean, delayMs: number }) })
  })

  app.post('/__emulator/faults', {
    config: control,
    schema: {
      summary: 'Add a fault rule for /v1 requests',
      body: FaultRuleInputSchema,
      response: { 201: FaultRuleSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request, reply) => {
    const action = request.body.action
    if ('delay_ms' in action && Array.isArray(action.delay_ms) && action.delay_ms[0] > action.delay_ms[1]) {
      throw new ApiError('invalid_request', 'Invalid request body: field "action.delay_ms" must be [min, max] with min <= max.')
    }
    const rule = clusterOf(request).faults.add(request.body)
    if (rule === undefined) throw new ApiError('too_many_faults', `The namespace already has ${MAX_FAULT_RULES} fault rules; remove some (DELETE /__emulator/faults).`)
    return reply.code(201).send(rule)
  })

  app.get('/__emulator/faults', {
    config: control,
    schema: { summary: 'List the fault rules, in the order they are tried', response: { 200: Type.Array(FaultRuleSchema), ...errorResponses(401, 403) } }
  }, async (request) => clusterOf(request).faults.list())

  app.delete('/__emulator/faults/:id', {
    config: control,
    schema: { summary: 'Remove one fault rule', params: FaultParamsSchema, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } }
  }, async (request, reply) => {
    if (!clusterOf(request).faults.remove(request.params.id)) throw new ApiError('fault_not_found', `No fault rule with id "${request.params.id}".`)
    return reply.code(204).send(null)
  })

  app.delete('/__emulator/faults', {
    config: control,
    schema: { summary: 'Remove every fault rule', response: { 204: Type.Null(), ...errorResponses(401, 403) } }
  }, async (request, reply) => {
    clusterOf(request).faults.clear()
    return reply.code(204).send(null)
  })

  app.get('/__emulator/requests', {
    config: control,
    schema: {
      summary: 'The journal of recent /v1 requests, newest last',
      querystring: JournalQuerySchema,
      response: { 200: Type.Array(JournalEntrySchema), ...errorResponses(400, 401, 403) }
    }
  }, async (request) => {
    const { method, path, status, cluster } = request.query
    return clusterOf(request).journal.list({
      ...(method === undefined ? {} : { method }),
      ...(path === undefined ? {} : { path }),
      ...(status === undefined ? {} : { status: Number(status) }),
      ...(cluster === undefined ? {} : { cluster })
    }).map((entry) => ({ ...entry, at: toControlTime(entry.at) }))
  })

  app.delete('/__emulator/requests', {
    config: control,
    schema: { summary: 'Empty the journal', response: { 204: Type.Null(), ...errorResponses(401, 403) } }
  }, async (request, reply) => {
    clusterOf(request).journal.clear()
    return reply.code(204).send(null)
  })

  app.post('/__emulator/tasks', {
    config: control,
    // every field is optional, so an empty POST makes a task with the defaults
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      summary: 'Create a task directly',
      body: CreateTaskBodySchema,
      response: { 201: TaskSchema, ...errorResponses(400, 401, 403, 409, 503) }
    }
  }, async (request, reply) => {
    const result = clusterOf(request).engine.create({ ...toTaskSpec(request.body), owner: request.member.name })
    if (!result.ok) throw refused(result)
    return reply.code(201).send(toTaskVerboseWire(result.task))
  })

  app.patch('/__emulator/tasks/:id', {
    config: control,
    schema: {
      summary: 'Change an active task: its durations, outcome, errors, result TTL or cancel settings',
      params: ControlTaskParamsSchema,
      body: AmendTaskBodySchema,
      response: { 200: TaskSchema, ...errorResponses(400, 401, 403, 404, 409) }
    }
  }, async (request) => {
    const result = clusterOf(request).engine.amend(request.params.id, toAmendment(request.body), request.member.name)
    if (!result.ok) throw refused(result)
    return toTaskVerboseWire(result.task)
  })

  app.post('/__emulator/tasks/:id/step', {
    config: control,
    schema: {
      summary: 'Move a task to its next phase now',
      params: ControlTaskParamsSchema,
      response: { 200: TaskSchema, ...errorResponses(401, 403, 404, 409) }
    }
  }, async (request) => {
    const result = clusterOf(request).engine.step(request.params.id, request.member.name)
    if (!result.ok) throw refused(result)
    return toTaskVerboseWire(result.task)
  })

  app.get('/__emulator/tasks/:id/history', {
    config: control,
    schema: {
      summary: 'Every phase change of a task, with its emulated time and cause',
      params: ControlTaskParamsSchema,
      response: { 200: HistorySchema, ...errorResponses(401, 403, 404) }
    }
  }, async (request) => {
    return toHistoryWire(findTask(clusterOf(request).engine, request.params.id, request.member.name))
  })

  app.post('/__emulator/reset', {
    config: control,
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      summary: 'Forget every task and CRDB; with {"keep": [...]}, also put back the fault rules, journal, clock and member clusters it does not list',
      body: ResetBodySchema,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403) }
    }
  }, async (request, reply) => {
    const { keep } = request.body
    // without `keep`, as before: the fault rules, the journal, the clock and the clusters stay
    resetCluster(clusterOf(request), keep ?? RESET_KEEPABLE)
    return reply.code(204).send(null)
  })
}

function toTaskSpec (body: CreateTaskBody): TaskSpec {
  const spec: TaskSpec = toAmendment(body)
  if (body.id !== undefined) spec.id = body.id
  if (body.crdb_guid !== undefined) spec.crdbGuid = body.crdb_guid
  if (body.operation !== undefined) spec.operation = body.operation
  return spec
}

function toAmendment (body: AmendTaskBody): TaskAmendment {
  const spec: TaskAmendment = {}
  if (body.durations !== undefined) spec.durations = body.durations
  if (body.outcome !== undefined) spec.outcome = body.outcome
  if (body.errors !== undefined) spec.errors = body.errors.map((e) => ({ cluster_name: e.cluster_name ?? '', error_code: e.error_code, description: e.description }))
  if (body.result_ttl !== undefined) spec.resultTtl = body.result_ttl
  if (body.cancel !== undefined) spec.cancel = body.cancel
  if (body.cancel_delay !== undefined) spec.cancelDelay = body.cancel_delay
  if (body.clusters !== undefined) spec.clusters = body.clusters
  return spec
}
