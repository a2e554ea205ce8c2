import { Type, type Static } from '@sinclair/typebox'
import type { InstanceDraft } from '../engine/crdbs.js'
import { StringEnum } from '../engine/schema-kit.js'
import { checkAgainst, readJsonFile } from './schema-check.js'
import { createUserDirectory, ROLES, type User } from './users.js'

/**
 * The clusters one emulated Active-Active deployment has (`--clusters FILE`): each answers the
 * whole `/v1` API as itself (its own users, its realm = its name, its own tasks), on its own
 * port when given and on the main port by `Host` header. Without a file there is one cluster,
 * named `--cluster-name`, and nothing is linked.
 */
export const TopologyFileSchema = Type.Object({
  clusters: Type.Array(Type.Object({
    name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,253}$', description: '1 to 253 of letters, digits, ".", "_" and "-"' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'a port from 1 to 65535' })),
    users: Type.Optional(Type.Array(Type.Object({
      email: Type.String({ minLength: 1 }),
      password: Type.String(),
      role: StringEnum(ROLES)
    }, { additionalProperties: false }), { minItems: 1 }))
  }, { additionalProperties: false }), { minItems: 1, maxItems: 16, description: '1 to 16 clusters' })
}, { additionalProperties: false })
export type TopologyFile = Static<typeof TopologyFileSchema>

export interface MemberCluster {
  name: string
  /** Its own port, when it has one. */
  port?: number
  users: readonly User[]
}

export interface Topology {
  /** The first is the main one: what the main port answers as when no `Host` names another. */
  members: readonly MemberCluster[]
  /** Whether the clusters came from `--clusters` (then instances are checked against them). */
  linked: boolean
}

/** The one cluster of an emulator without `--clusters`. */
export function singleCluster (name: string, users: readonly User[]): Topology {
  return { members: [{ name, users }], linked: false }
}

/** The topology a `--clusters` file gives; clusters without `users` take `defaultUsers`. */
export function topologyOf (file: TopologyFile, defaultUsers: readonly User[]): Topology {
  return { members: file.clusters.map((c) => ({ name: c.name, users: c.users ?? defaultUsers, ...(c.port === undefined ? {} : { port: c.port }) })), linked: true }
}

/**
 * Reads `--clusters FILE`. Throws with a one-line message naming the file and what is wrong
 * (a name or a port given twice, too).
 */
export function readTopologyFile (path: string): TopologyFile {
  const data = readJsonFile(path, '--clusters')
  const problem = checkAgainst(TopologyFileSchema, data, 'it must be a JSON object with "clusters"')
  if (problem !== undefined) throw new Error(`Invalid --clusters file ${path}: ${problem} (expected {"clusters": [{"name", "port", "users"}, ...]}).`)
  const file = data as TopologyFile
  const twice = <T>(values: T[]): T | undefined => values.find((v, i) => values.indexOf(v) !== i)
  const name = twice(file.clusters.map((c) => c.name.toLowerCase()))
  if (name !== undefined) throw new Error(`Invalid --clusters file ${path}: cluster ${name} is listed twice.`)
  const port = twice(file.clusters.flatMap((c) => c.port === undefined ? [] : [c.port]))
  if (port !== undefined) throw new Error(`Invalid --clusters file ${path}: port ${port} is given to two clusters.`)
  return file
}

/** The host of a URL (`https://east.example.com:9443` -> `east.example.com`), or undefined. */
function hostOf (url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase()
  } catch {
    return undefined
  }
}

/** The member cluster an instance names, by its cluster's name or its URL's host. */
export function memberOf (topology: Topology, instance: Pick<InstanceDraft, 'cluster'>): MemberCluster | undefined {
  const name = instance.cluster.name.toLowerCase()
  const host = hostOf(instance.cluster.url)
  return topology.members.find((m) => m.name.toLowerCase() === name) ?? topology.members.find((m) => m.name.toLowerCase() === host)
}

/** Whether an instance is on the member cluster named `member`. */
export const isOnMember = (topology: Topology, instance: Pick<InstanceDraft, 'cluster'>, member: string): boolean =>
  memberOf(topology, instance)?.name === member

/** Whether a CRDB is seen through the member `member`: one it spans (any CRDB, without linked clusters). */
export const spansMember = (topology: Topology, crdb: { instances: ReadonlyArray<Pick<InstanceDraft, 'cluster'>> }, member: string): boolean =>
  !topology.linked || crdb.instances.some((i) => isOnMember(topology, i, member))

const directories = new WeakMap<MemberCluster, (email: string, password: string) => User | undefined>()

/** A member's users as a constant-time credential check, made once per member (auth and the credential checks of a create share it). */
export function directoryOf (member: MemberCluster): (email: string, password: string) => User | undefined {
  let check = directories.get(member)
  if (check === undefined) {
    check = createUserDirectory(member.users)
    directories.set(member, check)
  }
  return check
}

/** The member a request's `Host` header names (`east.example.com:8080`), if any. */
export function memberByHost (topology: Topology, host: string | undefined): MemberCluster | undefined {
  if (host === undefined) return undefined
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase()
  return topology.members.find((m) => m.name.toLowerCase() === name)
}
