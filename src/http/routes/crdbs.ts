import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import type { Crdb, CrdbChange, CrdbDraft, CrdbInstance, CrdbPatch, InstanceCheck, InstanceDraft } from '../../engine/crdbs.js'
import type { Engine } from '../../engine/engine.js'
import { directoryOf, isOnMember, memberOf, spansMember, type MemberCluster, type Topology } from '../../emulator/topology.js'
import type { RsVersion } from '../../emulator/versions.js'
import {
  CrdbListSchema, CrdbSchema, CreateCrdbBodySchema, HealthReportSchema, PatchCrdbBodySchema, PurgeBodySchema, UpdatesBodySchema, UpgradeBodySchema,
  type CreateCrdbBody, type InstanceIn, type PatchCrdbBody, type UpdatesBody
} from '../crdb-schemas.js'
import { ApiError, refused } from '../errors.js'
import { clusterOf } from '../plugins/namespace.js'
import { formatBodyProblems } from '../problem.js'
import {
  BadRequestSchema, CrdbParamsSchema, DryRunQuerySchema, errorResponses, FlushQuerySchema, InstanceQuerySchema, MutationHeadersSchema, parseBooleanParam, TaskSchema
} from '../schemas.js'
import { localInstance, toCrdbWire, toHealthReportWire, toTaskWire } from '../wire.js'
import { parseResultTtl } from './tasks.js'

/** The largest body a /v1/crdbs request may send (413 past it). */
export const CRDB_BODY_LIMIT = 64 * 1024

type Headers = { 'x-task-id'?: string, 'x-result-ttl'?: string }

/** The whole documented `/v1/crdbs` family: two reads, health_report, and the requests that start tasks. */
export const crdbRoutes: FastifyPluginAsyncTypebox<{ topology: Topology, rsVersion: RsVersion }> = async (app, { topology, rsVersion }) => {
  const spans = (crdb: Crdb, member: MemberCluster): boolean => spansMember(topology, crdb, member.name)
  const isLocalTo = (member: MemberCluster) => (i: CrdbInstance): boolean => isOnMember(topology, i, member.name)
  /** What the receiving cluster finds of each joining instance's credentials, against the users of the cluster it names. */
  const checksOf = (instances: readonly InstanceIn[]): InstanceCheck[] | undefined => !topology.linked
    ? undefined
    : instances.map((i) => {
      const member = memberOf(topology, i)
      const credentials = i.cluster.credentials
      const verdict = member === undefined || credentials === undefined
        ? 'unchecked'
        : directoryOf(member)(credentials.username, credentials.password) === undefined ? 'rejected' : 'accepted'
      return { cluster: i.cluster.name, credentials: verdict }
    })
  const mutationResponses = {
    200: Type.Union([TaskSchema, Type.Object({}, { description: 'dry_run: nothing started' })]),
    ...errorResponses(400, 401, 403, 404, 406, 409, 503),
    400: BadRequestSchema
  }
  // a body that fails its schema gets the problem shape, as on a real cluster; a real CRDB
  // body is a few KiB, so 64 KiB is plenty (and a CRDB kept costs little memory)
  const withBody = { schemaErrorFormatter: formatBodyProblems, bodyLimit: CRDB_BODY_LIMIT }

  /**
   * Starts the task of a change (or only checks it, `dry_run`), with the `X-Task-ID` and
   * `X-Result-TTL` it was sent; the task belongs to the cluster that received the request.
   */
  function start (request: FastifyRequest, guid: string | null, change: CrdbChange, headers: Headers, dryRun = false) {
    const { engine } = clusterOf(request)
    if (guid !== null) findCrdb(engine, guid, request.member, change.kind === 'delete')
    const ttl = parseResultTtl(headers['x-result-ttl'])
    if (dryRun) {
      const checked = engine.checkCrdbChange(guid, change)
      if (!checked.ok) throw refused(checked)
      return {}
    }
    const result = engine.requestCrdbChange(guid, change, {
      owner: request.member.name,
      ...(headers['x-task-id'] === undefined ? {} : { id: headers['x-task-id'] }),
      ...(ttl === undefined ? {} : { resultTtl: ttl })
    })
    if (!result.ok) throw refused(result)
    return toTaskWire(result.task)
  }

  /** The CRDB, if it spans this cluster; a delete leaves an unknown GUID to the engine (404 or 406). */
  const findCrdb = (engine: Engine, guid: string, member: MemberCluster, forDelete = false): Crdb | undefined => {
    const crdb = engine.getCrdb(guid)
    if (crdb === undefined && forDelete) return undefined
    if (crdb === undefined || !spans(crdb, member)) throw new ApiError('crdb_not_found', `No CRDB with GUID "${guid}".`)
    return crdb
  }
  const instanceParam = (raw: string | undefined): number | undefined => raw === undefined ? undefined : Number(raw)

  app.get('/v1/crdbs', {
    config: { permission: 'view_crdb_list' },
    schema: { summary: 'List every CRDB (wrapped in {"crdbs": [...]}, as real clusters answer)', response: { 200: CrdbListSchema, ...errorResponses(401, 403) } }
  }, async (request) => ({
    crdbs: Array.from(clusterOf(request).engine.listCrdbs()).filter((crdb) => spans(crdb, request.member))
      .map((crdb) => toCrdbWire(crdb, localInstance(crdb, isLocalTo(request.member)), rsVersion))
  }))

  app.get('/v1/crdbs/:guid', {
    config: { permission: 'view_crdb' },
    schema: {
      summary: 'Get one CRDB, as the instance instance_id (default: this cluster\'s) sees it',
      params: CrdbParamsSchema,
      querystring: InstanceQuerySchema,
      response: { 200: CrdbSchema, ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request) => {
    const crdb = findCrdb(clusterOf(request).engine, request.params.guid, request.member) as Crdb
    const id = instanceParam(request.query.instance_id)
    const local = localInstance(crdb, isLocalTo(request.member), id)
    if (id !== undefined && local === undefined) throw new ApiError('crdb_instance_not_found', `CRDB ${crdb.guid} has no instance ${id}.`)
    return toCrdbWire(crdb, local, rsVersion)
  })

  app.get('/v1/crdbs/:guid/health_report', {
    config: { permission: 'view_crdb' },
    schema: {
      summary: 'Each instance\'s health report (only instance_id\'s, when it names an instance)',
      params: CrdbParamsSchema,
      querystring: InstanceQuerySchema,
      response: { 200: Type.Array(HealthReportSchema), ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { engine, links } = clusterOf(request)
    const crdb = findCrdb(engine, request.params.guid, request.member) as Crdb
    const id = instanceParam(request.query.instance_id)
    // the docs: "If the instance does not exist, the request gets information from all instances"
    const one = crdb.instances.filter((i) => i.id === id)
    return (one.length > 0 ? one : crdb.instances).map((i) => toHealthReportWire(crdb, i, (other) => links.isDown(other)))
  })

  app.post('/v1/crdbs', {
    config: { permission: 'create_crdb', problemBodies: true },
    ...withBody,
    schema: {
      summary: 'Create a CRDB (a create_crdb task); dry_run=true only validates',
      querystring: DryRunQuerySchema,
      headers: MutationHeadersSchema,
      body: CreateCrdbBodySchema,
      response: mutationResponses
    }
  }, async (request) => {
    const body = request.body
    body.instances.forEach((instance, n) => { checkCredentials(instance, `instances[${n}]`, rsVersion) })
    const checks = checksOf(body.instances)
    const change: CrdbChange = {
      kind: 'create',
      draft: toDraft(body),
      ...(body.guid === undefined ? {} : { guid: body.guid.toLowerCase() }),
      ...(checks === undefined ? {} : { checks })
    }
    return start(request, null, change, request.headers, parseBooleanParam(request.query.dry_run))
  })

  app.patch('/v1/crdbs/:guid', {
    config: { permission: 'update_crdb', problemBodies: true },
    ...withBody,
    schema: {
      summary: 'Change a CRDB\'s settings, its instances\' by id (an update_crdb task); applied when the task completes',
      params: CrdbParamsSchema,
      headers: MutationHeadersSchema,
      body: PatchCrdbBodySchema,
      response: mutationResponses
    }
  }, async (request) => start(request, request.params.guid, { kind: 'update', patch: toPatch(request.body) }, request.headers))

  app.post('/v1/crdbs/:guid/updates', {
    config: { permission: 'update_crdb', problemBodies: true },
    ...withBody,
    schema: {
      summary: 'Add or remove instances (force_remove), change settings, or force a configuration push (an update_crdb task)',
      params: CrdbParamsSchema,
      querystring: DryRunQuerySchema,
      headers: MutationHeadersSchema,
      body: UpdatesBodySchema,
      response: mutationResponses
    }
  }, async (request) => {
    const change = toModify(request.body, rsVersion)
    const checks = checksOf(request.body.add_instances ?? [])
    if (checks !== undefined && checks.length > 0 && change.kind === 'modify') change.checks = checks
    return start(request, request.params.guid, change, request.headers, parseBooleanParam(request.query.dry_run))
  })

  app.delete('/v1/crdbs/:guid', {
    config: { permission: 'delete_crdb' },
    schema: { summary: 'Delete a CRDB (a delete_crdb task)', params: CrdbParamsSchema, headers: MutationHeadersSchema, response: mutationResponses }
  }, async (request) => start(request, request.params.guid, { kind: 'delete' }, request.headers))

  app.put('/v1/crdbs/:guid/flush', {
    config: { permission: 'flush_crdb' },
    schema: {
      summary: 'Flush a CRDB\'s data (a flush_crdb task, which shows no crdb_guid)',
      params: CrdbParamsSchema,
      querystring: FlushQuerySchema,
      headers: MutationHeadersSchema,
      response: mutationResponses
    }
  }, async (request) => start(request, request.params.guid, { kind: 'flush', async: parseBooleanParam(request.query.async_flush) }, request.headers))

  app.put('/v1/crdbs/:guid/purge', {
    config: { permission: 'purge_instance', problemBodies: true },
    ...withBody,
    schema: {
      summary: 'Purge the data left on instances removed by force (a purge_crdb task)',
      params: CrdbParamsSchema,
      headers: MutationHeadersSchema,
      body: PurgeBodySchema,
      response: mutationResponses
    }
  }, async (request) => start(request, request.params.guid, { kind: 'purge', instances: [...new Set(request.body.instances)] }, request.headers))

  if (rsVersion.upgrade) {
    app.post('/v1/crdbs/:guid/upgrade', {
      config: { permission: 'upgrade_crdb', problemBodies: true },
      ...withBody,
      preValidation: async (request) => { request.body ??= {} },
      schema: {
        summary: 'Upgrade the Redis version and modules of every instance (an upgrade_crdb task; 8.0 and later)',
        params: CrdbParamsSchema,
        headers: MutationHeadersSchema,
        body: UpgradeBodySchema,
        response: mutationResponses
      }
    }, async (request) => start(request, request.params.guid, { kind: 'upgrade', options: request.body }, request.headers))
  }
}

/**
 * An instance reaches its cluster with `credentials` or (8.0 and later) `certificate_auth`, never
 * both (objects/crdb/cluster_info). Neither is kept.
 */
function checkCredentials (instance: InstanceIn, where: string, version: RsVersion): void {
  const { credentials, certificate_auth: cert } = instance.cluster
  if (cert !== undefined && !version.certificateAuth) {
    throw new ApiError('invalid_request', `Invalid request body: field "${where}.cluster.certificate_auth" is not known before Redis Software 8.0; give credentials.`)
  }
  if (credentials !== undefined && cert !== undefined) {
    throw new ApiError('invalid_request', `Invalid request body: field "${where}.cluster" gives both credentials and certificate_auth; give one.`)
  }
  if (credentials === undefined && cert === undefined) {
    throw new ApiError('invalid_request', `Invalid request body: field "${where}.cluster" needs ${version.certificateAuth ? 'credentials or certificate_auth' : 'credentials'}.`)
  }
}

/** What the engine keeps of an instance: no credentials, no unknown fields. */
function toInstance (input: InstanceIn): InstanceDraft {
  const { name, url, replication_endpoint: endpoint, replication_tls_sni: sni } = input.cluster
  const instance: InstanceDraft = {
    cluster: { name, url, ...(endpoint === undefined ? {} : { replication_endpoint: endpoint }), ...(sni === undefined ? {} : { replication_tls_sni: sni }) }
  }
  if (input.compression !== undefined) instance.compression = input.compression
  if (input.db_config !== undefined) instance.db_config = input.db_config
  return instance
}

function toDraft (body: CreateCrdbBody): CrdbDraft {
  const draft: CrdbDraft = { name: body.name, instances: body.instances.map(toInstance) }
  if (body.default_db_config !== undefined) draft.default_db_config = body.default_db_config
  if (body.encryption !== undefined) draft.encryption = body.encryption
  if (body.causal_consistency !== undefined) draft.causal_consistency = body.causal_consistency
  return draft
}

function toPatch (body: PatchCrdbBody): CrdbPatch {
  const patch: CrdbPatch = {}
  if (body.name !== undefined) patch.name = body.name
  if (body.default_db_config !== undefined) patch.default_db_config = body.default_db_config
  if (body.encryption !== undefined) patch.encryption = body.encryption
  if (body.causal_consistency !== undefined) patch.causal_consistency = body.causal_consistency
  if (body.instances !== undefined) {
    patch.instances = body.instances.map((i) => ({
      id: i.id,
      ...(i.compression === undefined ? {} : { compression: i.compression }),
      ...(i.db_config === undefined ? {} : { db_config: i.db_config })
    }))
  }
  return patch
}

/** The modify_request of `/updates`; one that asks for nothing (and does not force an update) is refused. */
function toModify (body: UpdatesBody, version: RsVersion): CrdbChange {
  const add = body.add_instances ?? []
  const remove = [...new Set(body.remove_instances ?? [])]
  if (add.length === 0 && remove.length === 0 && body.crdb === undefined && body.force_update !== true) {
    throw new ApiError('invalid_request', 'Invalid request body: nothing to change; give add_instances, remove_instances or crdb (or force_update: true).')
  }
  if (body.force_remove === true && remove.length === 0) {
    throw new ApiError('invalid_request', 'Invalid request body: field "force_remove" needs remove_instances.')
  }
  add.forEach((instance, n) => { checkCredentials(instance, `add_instances[${n}]`, version) })
  return {
    kind: 'modify',
    ...(body.crdb === undefined ? {} : { patch: toPatch(body.crdb) }),
    ...(add.length === 0 ? {} : { add: add.map(toInstance) }),
    ...(remove.length === 0 ? {} : { remove }),
    ...(body.force_remove === true ? { forceRemove: true } : {}),
    ...(body.force_update === true ? { forceUpdate: true } : {})
  }
}
