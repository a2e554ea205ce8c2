import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { CrdbChange, CrdbDraft, CrdbInstance, CrdbPatch } from '../../engine/crdbs.js'
import type { Engine } from '../../engine/engine.js'
import { ApiError, refused } from '../errors.js'
import { clusterOf } from '../plugins/namespace.js'
import {
  CrdbParamsSchema, CrdbSchema, CreateCrdbBodySchema, DryRunQuerySchema, errorResponses, MutationHeadersSchema,
  parseBooleanParam, PatchCrdbBodySchema, TaskSchema, type CreateCrdbBody
} from '../schemas.js'
import { toCrdbWire, toTaskWire } from '../wire.js'
import { parseResultTtl } from './tasks.js'

type InstanceIn = CreateCrdbBody['instances'][number]

/** The `/v1/crdbs` requests that start tasks (and the two that read CRDBs). */
export const crdbRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const read = { permission: 'view_crdbs' } as const
  const change = { permission: 'change_crdbs' } as const
  const mutationResponses = { 200: TaskSchema, ...errorResponses(400, 401, 403, 404, 406, 409, 503) }

  /** Starts the task of a mutation, with the `X-Task-ID` and `X-Result-TTL` it was sent. */
  function start (engine: Engine, guid: string | null, crdbChange: CrdbChange, headers: { 'x-task-id'?: string, 'x-result-ttl'?: string }) {
    const options: { id?: string, resultTtl?: number } = {}
    if (headers['x-task-id'] !== undefined) options.id = headers['x-task-id']
    const ttl = parseResultTtl(headers['x-result-ttl'])
    if (ttl !== undefined) options.resultTtl = ttl
    const result = engine.requestCrdbChange(guid, crdbChange, options)
    if (!result.ok) throw refused(result)
    return toTaskWire(result.task)
  }

  app.get('/v1/crdbs', {
    config: read,
    schema: { summary: 'List every CRDB', response: { 200: Type.Array(CrdbSchema), ...errorResponses(401, 403) } }
  }, async (request) => Array.from(clusterOf(request).engine.listCrdbs(), toCrdbWire))

  app.get('/v1/crdbs/:guid', {
    config: read,
    schema: { summary: 'Get one CRDB', params: CrdbParamsSchema, response: { 200: CrdbSchema, ...errorResponses(401, 403, 404) } }
  }, async (request) => {
    const crdb = clusterOf(request).engine.getCrdb(request.params.guid)
    if (crdb === undefined) throw new ApiError('crdb_not_found', `No CRDB with GUID "${request.params.guid}".`)
    return toCrdbWire(crdb)
  })

  app.post('/v1/crdbs', {
    config: change,
    schema: {
      summary: 'Create a CRDB (a create_crdb task); dry_run=true only validates',
      querystring: DryRunQuerySchema,
      headers: MutationHeadersSchema,
      body: CreateCrdbBodySchema,
      response: { ...mutationResponses, 200: Type.Union([TaskSchema, Type.Object({})]) }
    }
  }, async (request) => {
    if (parseBooleanParam(request.query.dry_run)) return {}
    return start(clusterOf(request).engine, null, { kind: 'create', draft: toDraft(request.body) }, request.headers)
  })

  app.patch('/v1/crdbs/:guid', {
    config: change,
    schema: {
      summary: 'Change a CRDB (an update_crdb task); fields are merged when the task completes',
      params: CrdbParamsSchema,
      headers: MutationHeadersSchema,
      body: PatchCrdbBodySchema,
      response: mutationResponses
    }
  }, async (request) => start(clusterOf(request).engine, request.params.guid, { kind: 'update', patch: toPatch(request.body) }, request.headers))

  app.delete('/v1/crdbs/:guid', {
    config: change,
    schema: { summary: 'Delete a CRDB (a delete_crdb task)', params: CrdbParamsSchema, headers: MutationHeadersSchema, response: mutationResponses }
  }, async (request) => start(clusterOf(request).engine, request.params.guid, { kind: 'delete' }, request.headers))

  app.put('/v1/crdbs/:guid/flush', {
    config: change,
    schema: { summary: 'Flush a CRDB\'s data (a flush_crdb task, which shows no crdb_guid)', params: CrdbParamsSchema, headers: MutationHeadersSchema, response: mutationResponses }
  }, async (request) => start(clusterOf(request).engine, request.params.guid, { kind: 'flush' }, request.headers))
}

/** Keeps what the emulator shows of an instance; drops `credentials` and unknown fields. */
function toInstance (input: InstanceIn): CrdbInstance {
  const instance: CrdbInstance = { cluster: { name: input.cluster.name, url: input.cluster.url } }
  if (input.compression !== undefined) instance.compression = input.compression
  if (input.db_config !== undefined) instance.db_config = input.db_config
  return instance
}

function toDraft (body: CreateCrdbBody): CrdbDraft {
  return { ...toPatch(body), name: body.name, instances: body.instances.map(toInstance) }
}

function toPatch (body: Partial<CreateCrdbBody>): CrdbPatch {
  const patch: CrdbPatch = {}
  if (body.name !== undefined) patch.name = body.name
  if (body.default_db_config !== undefined) patch.default_db_config = body.default_db_config
  if (body.instances !== undefined) patch.instances = body.instances.map(toInstance)
  if (body.encryption !== undefined) patch.encryption = body.encryption
  return patch
}
