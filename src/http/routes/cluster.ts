import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { FEATURESET_VERSION, PROTOCOL_VERSION } from '../../engine/crdb-defaults.js'
import type { RsVersion } from '../../emulator/versions.js'
import { errorResponses } from '../schemas.js'

const ClusterSchema = Type.Object({
  name: Type.String(),
  rack_aware: Type.Boolean(),
  crdb_coordinator_port: Type.Integer(),
  crdt_supported_featureset_version: Type.Integer(),
  crdt_supported_protocol_versions: Type.Array(Type.String())
})

const NodeSchema = Type.Object({
  uid: Type.Integer(),
  addr: Type.String(),
  status: Type.String(),
  software_version: Type.String()
})

/**
 * What CRDB automation reads before it starts: the cluster object (its name) and its nodes (the
 * software version; the cluster object has no version field in the docs, a node has).
 */
export const clusterRoutes: FastifyPluginAsyncTypebox<{ rsVersion: RsVersion }> = async (app, { rsVersion }) => {
  app.get('/v1/cluster', {
    config: { permission: 'view_cluster_info' },
    schema: { summary: 'The cluster object (the fields CRDB automation reads)', response: { 200: ClusterSchema, ...errorResponses(401, 403) } }
  }, async (request) => ({
    name: request.member.name,
    rack_aware: false,
    crdb_coordinator_port: 9081,
    crdt_supported_featureset_version: FEATURESET_VERSION,
    crdt_supported_protocol_versions: [String(PROTOCOL_VERSION)]
  }))

  app.get('/v1/nodes', {
    config: { permission: 'view_cluster_info' },
    schema: { summary: 'The cluster\'s nodes (one), with the emulated Redis Software version', response: { 200: Type.Array(NodeSchema), ...errorResponses(401, 403) } }
  }, async () => [{ uid: 1, addr: '127.0.0.1', status: 'active', software_version: rsVersion.software }])
}
