import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Engine, TaskAmendment, TaskSpec } from '../../engine/engine.js'
import type { FakeCluster } from '../../emulator/cluster.js'
import { PHASES } from '../../engine/phases.js'
import { ApiError } from '../errors.js'
import {
  AdvanceBodySchema, AmendTaskBodySchema, type AmendTaskBody, ClockSchema, ControlTaskParamsSchema, CreateTaskBodySchema, type CreateTaskBody,
  errorResponses, FaultParamsSchema, FaultRuleInputSchema, FaultRuleSchema, HealthSchema, HistorySchema, JournalEntrySchema,
  JournalQuerySchema, NamespaceBodySchema, NamespaceParamsSchema, NamespaceSchema, RunBodySchema, RunResponseSchema, TaskSchema
} from '../schemas.js'
import type { FaultRuleInput } from '../../emulator/faults.js'
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, type NamespaceRegistry } from '../../emulator/namespaces.js'
import { StateError } from '../../engine/state.js'
import { StateSchema } from '../../emulator/state-schema.js'
import { toControlTime, toTaskVerboseWire } from '../task-wire.js'

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
  }, async (request) => clockView(request.cluster.engine))

  app.post('/__emulator/clock/advance', {
    config: control,
    schema: {
      summary: 'Move emulated time forward, firing every due transition and expiry in order',
      body: AdvanceBodySchema,
      response: { 200: ClockSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request) => {
    request.cluster.engine.advance(request.body.seconds)
    return clockView(request.cluster.engine)
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
    const { engine } = request.cluster
    const { task_id: id, status } = request.body
    if ((id === undefined) !== (status === undefined)) {
      throw new ApiError('invalid_request', 'Invalid request body: give both "task_id" and "status", or neither (to run until no task is active).')
    }
    if (id === undefined || status === undefined) {
      const idle = engine.runUntilIdle()
      if (!idle.ok) throw new ApiError(idle.reason, idle.detail)
      return { clock: clockView(engine) }
    }
    const result = engine.runUntil(id, status)
    if (!result.ok) throw new ApiError(result.reason, result.detail)
    return { clock: clockView(engine), task: toTaskVerboseWire(result.task) }
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
    return { name, tasks: engine.size, clock: clockView(engine) }
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
    if (!made.ok) throw new ApiError(made.reason, made.detail)
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
    return reply.code(201).send(request.cluster.faults.add(request.body as FaultRuleInput))
  })

  app.get('/__emulator/faults', {
    config: control,
    schema: { summary: 'List the fault rules, in the order they are tried', response: { 200: Type.Array(FaultRuleSchema), ...errorResponses(401, 403) } }
  }, async (request) => request.cluster.faults.list())

  app.delete('/__emulator/faults/:id', {
    config: control,
    schema: { summary: 'Remove one fault rule', params: FaultParamsSchema, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } }
  }, async (request, reply) => {
    if (!request.cluster.faults.remove(request.params.id)) throw new ApiError('fault_not_found', `No fault rule with id "${request.params.id}".`)
    return reply.code(204).send(null)
  })

  app.delete('/__emulator/faults', {
    config: control,
    schema: { summary: 'Remove every fault rule', response: { 204: Type.Null(), ...errorResponses(401, 403) } }
  }, async (request, reply) => {
    request.cluster.faults.clear()
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
    const { method, path, status } = request.query
    return request.cluster.journal.list({
      ...(method === undefined ? {} : { method }),
      ...(path === undefined ? {} : { path }),
      ...(status === undefined ? {} : { status: Number(status) })
    }).map((entry) => ({ ...entry, at: toControlTime(entry.at) }))
  })

  app.delete('/__emulator/requests', {
    config: control,
    schema: { summary: 'Empty the journal', response: { 204: Type.Null(), ...errorResponses(401, 403) } }
  }, async (request, reply) => {
    request.cluster.journal.clear()
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
    const result = request.cluster.engine.create(toTaskSpec(request.body))
    if (!result.ok) throw new ApiError(result.reason, result.detail)
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
    const result = request.cluster.engine.amend(request.params.id, toAmendment(request.body))
    if (!result.ok) throw new ApiError(result.reason, result.detail)
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
    const result = request.cluster.engine.step(request.params.id)
    if (!result.ok) throw new ApiError(result.reason, result.detail)
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
    const task = request.cluster.engine.get(request.params.id)
    if (task === undefined) throw new ApiError('task_not_found', `No task with id "${request.params.id}" (unknown, or its result has expired).`)
    return {
      id: task.id,
      history: task.history.map((h) => ({ at: toControlTime(h.at), phase: h.phase, status: PHASES[h.phase].status, cause: h.cause }))
    }
  })

  app.post('/__emulator/reset', {
    config: control,
    schema: { summary: 'Forget every task (users, configuration and clock stay)', response: { 204: Type.Null(), ...errorResponses(401, 403) } }
  }, async (request, reply) => {
    request.cluster.engine.reset()
    return reply.code(204).send(null)
  })
}

const clockView = (engine: Engine) => ({ mode: engine.clock.mode, now: toControlTime(engine.now()), scale: engine.clock.scale })

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
