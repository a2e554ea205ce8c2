import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MAX_RESULT_TTL } from '../../engine/limits.js'
import type { Engine, Task } from '../../engine/engine.js'
import { taskNotFound } from '../../engine/refusals.js'
import { PHASES, type WireStatus } from '../../engine/phases.js'
import { ApiError, refused } from '../errors.js'
import { clusterOf } from '../plugins/namespace.js'
import {
  CancelQuerySchema, CancelResponseSchema, errorResponses, GetTaskQuerySchema, parseBooleanParam,
  ResultTtlHeadersSchema, TaskIdParamsSchema, TaskSchema
} from '../schemas.js'
import { toTaskVerboseWire, toTaskWire } from '../wire.js'
import { Type } from '@sinclair/typebox'

/** The three documented `/v1/crdb_tasks` endpoints. */
export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/crdb_tasks', {
    config: { permission: 'view_crdb_task_list' },
    // V8's JSON.stringify is faster than the schema's serializer on long lists of short strings
    // (a 1 000-task list's profile showed its string escaping first); the wire objects hold only
    // the schema's fields, so nothing more goes out
    serializerCompiler: () => (data) => JSON.stringify(data),
    schema: {
      summary: 'List every live task, oldest first',
      response: { 200: Type.Array(TaskSchema), ...errorResponses(401, 403) }
    }
  }, async (request) => Array.from(clusterOf(request).engine.list(request.member.name), toTaskWire))

  app.get('/v1/crdb_tasks/:task_id', {
    config: { permission: 'view_crdb_task' },
    schema: {
      summary: 'Get one task',
      params: TaskIdParamsSchema,
      querystring: GetTaskQuerySchema,
      headers: ResultTtlHeadersSchema,
      response: { 200: TaskSchema, ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request) => {
    const ttl = parseResultTtl(request.headers['x-result-ttl'])
    const { engine } = clusterOf(request)
    const id = request.params.task_id
    let task: Task
    if (ttl === undefined) {
      task = findTask(engine, id, request.member.name)
    } else {
      const kept = engine.retain(id, ttl, request.member.name)
      if (!kept.ok) throw refused(kept)
      task = kept.task
    }
    return parseBooleanParam(request.query.verbose) ? toTaskVerboseWire(task) : toTaskWire(task)
  })

  app.post('/v1/crdb_tasks/:task_id/actions/cancel', {
    config: { permission: 'cancel_crdb_task' },
    schema: {
      summary: 'Cancel a task',
      params: TaskIdParamsSchema,
      querystring: CancelQuerySchema,
      response: { 200: CancelResponseSchema, ...errorResponses(400, 401, 403, 404, 406, 409) }
    }
  }, async (request) => cancelTask(clusterOf(request).engine, request.params.task_id, request.query.force, request.member.name))
}

/** `X-Result-TTL`: a decimal integer of seconds, 0 to 2147483647 (the schema checks the form). */
export function parseResultTtl (raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const ttl = Number(raw)
  if (ttl > MAX_RESULT_TTL) {
    throw new ApiError('invalid_header', `Invalid header "X-Result-TTL" ("${raw}"): expected a whole number of seconds from 0 to ${MAX_RESULT_TTL}.`)
  }
  return ttl
}

/** The live task with this id of this cluster, or the one `task_not_found` answer. */
export function findTask (engine: Engine, id: string, owner: string): Task {
  const task = engine.get(id, owner)
  if (task === undefined) throw refused(taskNotFound(id))
  return task
}

/** A cancel's answer, `{id, status}` (the status after the call), or the engine's refusal. */
export function cancelTask (engine: Engine, id: string, force: string | undefined, owner: string): { id: string, status: WireStatus } {
  const result = engine.cancel(id, parseBooleanParam(force), owner)
  if (!result.ok) throw refused(result)
  return { id: result.task.id, status: PHASES[result.task.phase].status }
}
