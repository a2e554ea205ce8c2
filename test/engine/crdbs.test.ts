import { describe, it, expect } from 'vitest'
import type { Engine, Task } from '../../src/engine/engine.js'
import { defaultPort } from '../../src/engine/crdb-defaults.js'
import type { Crdb, CrdbChange, CrdbConfiguration, CrdbDraft, CrdbInstance, InstanceDraft } from '../../src/engine/crdbs.js'
import { C, CLUSTER, Q, R, at, historyOf, listIds, makeEngine, mustCreate, mustGet } from './helpers.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const END = Q + R + C
/** A well-formed UUID no CRDB has. */
const UNKNOWN_GUID = '00000000-0000-4000-8000-000000000000'

const EAST = { cluster: { name: 'east.example.com', url: 'https://east.example.com:9443' } }
const WEST = { cluster: { name: 'west.example.com', url: 'https://west.example.com:9443' }, compression: 3, db_config: { shard_count: 2 } }
const NORTH = { cluster: { name: 'north.example.com', url: 'https://north.example.com:9443' } }
const SOUTH = { cluster: { name: 'south.example.com', url: 'https://south.example.com:9443' }, compression: 1 }

/** A draft spanning east and west, with no optional top-level field. */
const draft = (name = 'shop'): CrdbDraft => ({ name, instances: [EAST, WEST] })

/** What `createCrdb` gives a CRDB beyond the plain draft. */
const SHOP_FIELDS = { default_db_config: { memory_size: 1024, replication: true }, encryption: true }

/** An instance as the engine keeps it: the draft with its id and db_uid. */
const inst = (d: InstanceDraft, id: number): CrdbInstance => ({ ...d, id, db_uid: String(id) })

const COMPLETED_1: CrdbConfiguration = { version: 1, status: 'commit-completed' }

/**
 * The whole CRDB the plain `draft()` makes, as the engine keeps it when its create completed,
 * with `fields` over it: every test compares whole CRDBs against this.
 */
function crdbOf (guid: string, fields: Partial<Crdb> = {}): Crdb {
  return {
    guid,
    name: 'shop',
    default_db_config: {},
    instances: [inst(EAST, 1), inst(WEST, 2)],
    encryption: false,
    causal_consistency: false,
    status: 'active',
    nextInstanceId: 3,
    forceRemoved: [],
    activeConfigVersion: 1,
    configurations: [COMPLETED_1],
    connectionErrors: {},
    activeTaskId: null,
    ...fields
  }
}

/** Starts the task of a CRDB change, failing the test when the engine refuses. */
function mustRequest (engine: Engine, guid: string | null, change: CrdbChange, options: { id?: string, resultTtl?: number } = {}): Task {
  const result = engine.requestCrdbChange(guid, change, options)
  if (!result.ok) throw new Error(`request refused: ${result.reason} (${result.detail})`)
  return result.task
}

/** The CRDB with this GUID, failing the test when there is none. */
function mustGetCrdb (engine: Engine, guid: string): Crdb {
  const crdb = engine.getCrdb(guid)
  if (crdb === undefined) throw new Error(`CRDB ${guid} is missing`)
  return crdb
}

/** Creates a CRDB through its task, run to completion (the clock moves END seconds), and returns it. */
function createCrdb (engine: Engine, d: CrdbDraft = { ...draft(), ...SHOP_FIELDS }): Crdb {
  const task = mustRequest(engine, null, { kind: 'create', draft: d })
  engine.advance(END)
  expect(task.phase).toBe('completed')
  return mustGetCrdb(engine, task.crdbGuid as string)
}

/**
 * A CRDB of east (1) and west (2) whose north instance (3) was removed with force: it can take
 * every kind of change, a purge of instance 3 included. The clock moves 2 END seconds.
 */
function crdbWithForceRemoved (engine: Engine): Crdb {
  const crdb = createCrdb(engine, { name: 'shop', instances: [EAST, WEST, NORTH] })
  const task = mustRequest(engine, crdb.guid, { kind: 'modify', remove: [3], forceRemove: true })
  engine.advance(END)
  expect(task.phase).toBe('completed')
  expect(crdb).toEqual(crdbOf(crdb.guid, {
    forceRemoved: [inst(NORTH, 3)],
    nextInstanceId: 4,
    activeConfigVersion: 2,
    configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }]
  }))
  return crdb
}

/** One acceptable change of each kind for a CRDB made by `crdbWithForceRemoved`. */
const everyChange = (): Array<[string, CrdbChange]> => [
  ['update', { kind: 'update', patch: { name: 'other' } }],
  ['modify', { kind: 'modify', add: [SOUTH] }],
  ['delete', { kind: 'delete' }],
  ['flush', { kind: 'flush' }],
  ['purge', { kind: 'purge', instances: [3] }],
  ['upgrade', { kind: 'upgrade', options: { redis_version: '7.4' } }]
]

/**
 * Asserts that the engine refuses this change with `reason`, that the dry run gives the same
 * answer, and that nothing moved: no task, no event, no counted change, every CRDB as it was.
 * Returns the refusal's detail.
 */
function expectRefused (engine: Engine, guid: string | null, change: CrdbChange, reason: string, options: { id?: string } = {}): string {
  const ids = listIds(engine)
  const nextEvent = engine.nextEventAt()
  const changes = engine.changes
  const crdbs = structuredClone([...engine.listCrdbs()])
  const dry = engine.checkCrdbChange(guid, change)
  const result = engine.requestCrdbChange(guid, change, options)
  expect(result).toEqual({ ok: false, reason, detail: expect.any(String) })
  expect(dry).toEqual(result)
  expect(listIds(engine)).toEqual(ids)
  expect(engine.size).toBe(ids.length)
  expect(engine.nextEventAt()).toBe(nextEvent)
  expect(engine.changes).toBe(changes)
  expect([...engine.listCrdbs()]).toEqual(crdbs)
  return result.ok ? '' : result.detail
}

/** A plain copy of a CRDB, to compare it with a later state of itself. */
const snapshot = (crdb: Crdb): Crdb => structuredClone(crdb)

const crdbGuids = (engine: Engine): string[] => [...engine.listCrdbs()].map((c) => c.guid)

/** The connection errors the default failure of a task (outcome set to failed) records. */
const defaultFailure = (task: Task): Record<string, string> => {
  expect(task.errors).toEqual([{ cluster_name: CLUSTER, error_code: 'internal_error', description: expect.any(String) }])
  return { [CLUSTER]: task.errors[0]?.description as string }
}

describe('requestCrdbChange: create', () => {
  it('starts a queued create_crdb task with no GUID and the instances\' cluster names as its clusters', () => {
    const engine = makeEngine()
    engine.advance(5)
    const task = mustRequest(engine, null, { kind: 'create', draft: draft() })
    expect(task.operation).toBe('create_crdb')
    expect(task.phase).toBe('queued')
    expect(task.createdAt).toBe(at(5))
    expect(task.id).toMatch(UUID_V4)
    expect(task.crdbGuid).toBeNull()
    expect(task.clusters).toEqual(['east.example.com', 'west.example.com'])
    expect(task.change).toEqual({ kind: 'create', draft: draft() })
    expect(listIds(engine)).toEqual([task.id])
    expect(engine.size).toBe(1)
  })

  it('gives the task its GUID when it starts, and creates the CRDB only when the task completes', () => {
    const engine = makeEngine()
    const task = mustRequest(engine, null, { kind: 'create', draft: draft() })

    engine.advance(Q - 0.001)
    expect(mustGet(engine, task.id).phase).toBe('queued')
    expect(task.crdbGuid).toBeNull()
    expect([...engine.listCrdbs()]).toEqual([])

    engine.advance(0.001)
    expect(task.phase).toBe('running')
    expect(task.startedAt).toBe(at(Q))
    expect(task.crdbGuid).toMatch(UUID_V4)
    const guid = task.crdbGuid as string
    expect(engine.getCrdb(guid)).toBeUndefined()
    expect([...engine.listCrdbs()]).toEqual([])

    engine.advance(R)
    expect(task.phase).toBe('commit')
    expect(engine.getCrdb(guid)).toBeUndefined()
    expect([...engine.listCrdbs()]).toEqual([])

    engine.advance(C - 0.001)
    expect(mustGet(engine, task.id).phase).toBe('commit')
    expect(engine.getCrdb(guid)).toBeUndefined()

    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(END))
    expect(task.crdbGuid).toBe(guid)
    // no defaults filled in (they are added on the wire); instances numbered 1, 2 with their db_uid
    expect(engine.getCrdb(guid)).toEqual({
      guid,
      name: 'shop',
      default_db_config: {},
      instances: [
        { cluster: EAST.cluster, id: 1, db_uid: '1' },
        { cluster: WEST.cluster, compression: 3, db_config: { shard_count: 2 }, id: 2, db_uid: '2' }
      ],
      encryption: false,
      causal_consistency: false,
      status: 'active',
      nextInstanceId: 3,
      forceRemoved: [],
      activeConfigVersion: 1,
      configurations: [{ version: 1, status: 'commit-completed' }],
      connectionErrors: {},
      activeTaskId: null
    })
    expect(crdbGuids(engine)).toEqual([guid])
  })

  it('keeps the draft\'s default_db_config, encryption and causal_consistency when given', () => {
    const engine = makeEngine()
    const d: CrdbDraft = { name: 'cart', default_db_config: { memory_size: 1024 }, instances: [NORTH, SOUTH], encryption: true, causal_consistency: true }
    const task = mustRequest(engine, null, { kind: 'create', draft: d })
    expect(task.clusters).toEqual(['north.example.com', 'south.example.com'])
    engine.advance(END)
    expect(engine.getCrdb(task.crdbGuid as string)).toEqual(crdbOf(task.crdbGuid as string, {
      name: 'cart',
      default_db_config: { memory_size: 1024 },
      instances: [inst(NORTH, 1), inst(SOUTH, 2)],
      encryption: true,
      causal_consistency: true
    }))
  })

  it('numbers the instances 1, 2, 3, ... in the draft\'s order, each with its db_uid', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine, { name: 'shop', instances: [SOUTH, EAST, WEST, NORTH] })
    expect(crdb.instances.map((i) => [i.cluster.name, i.id, i.db_uid])).toEqual([
      ['south.example.com', 1, '1'],
      ['east.example.com', 2, '2'],
      ['west.example.com', 3, '3'],
      ['north.example.com', 4, '4']
    ])
    expect(crdb.nextInstanceId).toBe(5)
  })

  it('creates the CRDB exactly at the task\'s end when one big advance passes it', () => {
    const engine = makeEngine()
    const task = mustRequest(engine, null, { kind: 'create', draft: draft() })
    engine.advance(1000)
    expect(task.endedAt).toBe(at(END))
    expect(mustGetCrdb(engine, task.crdbGuid as string).status).toBe('active')
  })

  it('gives each CRDB its own GUID and lists CRDBs oldest first', () => {
    const engine = makeEngine()
    const a = mustRequest(engine, null, { kind: 'create', draft: draft('a') })
    engine.advance(1)
    const b = mustRequest(engine, null, { kind: 'create', draft: draft('b') })
    engine.advance(END)
    expect(a.crdbGuid).not.toBe(b.crdbGuid)
    expect([...engine.listCrdbs()].map((c) => c.name)).toEqual(['a', 'b'])
    expect(crdbGuids(engine)).toEqual([a.crdbGuid, b.crdbGuid])
  })

  it('refuses an update of a CRDB whose create has not completed yet (crdb_not_found)', () => {
    const engine = makeEngine()
    const task = mustRequest(engine, null, { kind: 'create', draft: draft() })
    engine.advance(Q + R)
    expect(task.phase).toBe('commit')
    expectRefused(engine, task.crdbGuid, { kind: 'update', patch: { name: 'x' } }, 'crdb_not_found')
    expect(engine.size).toBe(1)
  })

  it('creates nothing when the task fails at the end of running', () => {
    const engine = makeEngine()
    const task = mustRequest(engine, null, { kind: 'create', draft: draft() })
    expect(engine.amend(task.id, { outcome: 'failed' }).ok).toBe(true)
    engine.advance(1000)
    expect(task.phase).toBe('failed')
    expect(task.endedAt).toBe(at(Q + R))
    expect(task.errors).toHaveLength(1)
    expect(task.crdbGuid).toMatch(UUID_V4)
    expect(engine.getCrdb(task.crdbGuid as string)).toBeUndefined()
    expect([...engine.listCrdbs()]).toEqual([])
  })

  for (const phase of ['queued', 'running'] as const) {
    for (const force of [false, true]) {
      it(`creates nothing when the task is canceled ${force ? 'with' : 'without'} force while ${phase}`, () => {
        const engine = makeEngine()
        const task = mustRequest(engine, null, { kind: 'create', draft: draft() })
        if (phase === 'running') engine.advance(Q + 1)
        expect(task.phase).toBe(phase)
        expect(engine.cancel(task.id, force).ok).toBe(true)
        expect(task.phase).toBe('canceled')
        engine.advance(1000)
        expect([...engine.listCrdbs()]).toEqual([])
        if (phase === 'queued') expect(task.crdbGuid).toBeNull()
        else expect(engine.getCrdb(task.crdbGuid as string)).toBeUndefined()
      })
    }
  }

  it('creates the CRDB as inconsistent, its first configuration only committed, when the task is force-canceled in commit', () => {
    const engine = makeEngine()
    const d: CrdbDraft = { ...draft(), default_db_config: { memory_size: 1 } }
    const task = mustRequest(engine, null, { kind: 'create', draft: d })
    engine.advance(Q + R + 1)
    expect(task.phase).toBe('commit')
    expect(engine.cancel(task.id, false)).toMatchObject({ ok: false, reason: 'task_cannot_be_canceled' })
    expect([...engine.listCrdbs()]).toEqual([])

    expect(engine.cancel(task.id, true).ok).toBe(true)
    expect(task.phase).toBe('canceled')
    expect(task.endedAt).toBe(at(Q + R + 1))
    const guid = task.crdbGuid as string
    const expected = crdbOf(guid, {
      default_db_config: { memory_size: 1 },
      status: 'inconsistent',
      configurations: [{ version: 1, status: 'committed' }]
    })
    expect(engine.getCrdb(guid)).toEqual(expected)
    engine.advance(1000)
    expect(engine.getCrdb(guid)).toEqual(expected)
  })

  it('refuses a draft with fewer than two instances with crdb_not_acceptable, starting no task', () => {
    const engine = makeEngine()
    for (const instances of [[], [NORTH]]) {
      const detail = expectRefused(engine, null, { kind: 'create', draft: { name: 'lonely', instances } }, 'crdb_not_acceptable')
      expect(detail).toContain('instances')
    }
    expect(engine.size).toBe(0)
    expect(engine.checkCrdbChange(null, { kind: 'create', draft: { name: 'pair', instances: [NORTH, SOUTH] } })).toEqual({ ok: true })
  })

  it('refuses two instances on one cluster, by the same cluster name or the same url, with crdb_not_acceptable', () => {
    const engine = makeEngine()
    const sameName = { cluster: { name: EAST.cluster.name, url: 'https://elsewhere.example.com:9443' } }
    const sameUrl = { cluster: { name: 'elsewhere.example.com', url: EAST.cluster.url } }
    for (const instances of [[EAST, sameName], [EAST, sameUrl], [EAST, WEST, EAST], [NORTH, EAST, SOUTH, sameUrl]]) {
      const detail = expectRefused(engine, null, { kind: 'create', draft: { name: 'shop', instances } }, 'crdb_not_acceptable')
      expect(detail).toContain('cluster')
    }
    expect(engine.size).toBe(0)
  })

  it('refuses snapshot persistence in default_db_config or in an instance\'s db_config with crdb_not_acceptable, and accepts aof', () => {
    const engine = makeEngine()
    const snapshotDefault: CrdbDraft = { ...draft(), default_db_config: { data_persistence: 'snapshot' } }
    const snapshotInstance: CrdbDraft = { name: 'shop', instances: [EAST, { ...NORTH, db_config: { data_persistence: 'snapshot' } }] }
    for (const d of [snapshotDefault, snapshotInstance]) {
      expect(expectRefused(engine, null, { kind: 'create', draft: d }, 'crdb_not_acceptable')).toContain('data_persistence')
    }
    const aof: CrdbDraft = { name: 'shop', default_db_config: { data_persistence: 'aof' }, instances: [EAST, { ...NORTH, db_config: { data_persistence: 'aof' } }] }
    const crdb = createCrdb(engine, aof)
    expect(crdb.default_db_config).toEqual({ data_persistence: 'aof' })
  })

  it('gives the task a chosen GUID when it starts, and creates the CRDB under that GUID', () => {
    const engine = makeEngine()
    const guid = '11111111-2222-4333-8444-555555555555'
    const task = mustRequest(engine, null, { kind: 'create', draft: draft(), guid })
    expect(task.change).toEqual({ kind: 'create', draft: draft(), guid })
    expect(task.crdbGuid).toBeNull()
    expect(task.plannedGuid).toBe(guid)
    engine.advance(Q)
    expect(task.crdbGuid).toBe(guid)
    expect(engine.getCrdb(guid)).toBeUndefined()
    engine.advance(R + C)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(guid)).toEqual(crdbOf(guid))
    expect(crdbGuids(engine)).toEqual([guid])
  })

  it('refuses a chosen GUID an existing CRDB has with crdb_not_acceptable', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const detail = expectRefused(engine, null, { kind: 'create', draft: draft('twin'), guid: crdb.guid }, 'crdb_not_acceptable')
    expect(detail).toContain(crdb.guid)
    expect(crdbGuids(engine)).toEqual([crdb.guid])
  })

  it('refuses a chosen GUID that a create still under way will give, queued or started (both used to be accepted, the second overwriting the first)', () => {
    const engine = makeEngine()
    const guid = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0'
    const first = mustRequest(engine, null, { kind: 'create', draft: draft('first'), guid })
    const queued = expectRefused(engine, null, { kind: 'create', draft: draft('second'), guid }, 'crdb_not_acceptable')
    expect(queued).toBe(`Task ${first.id} already creates a CRDB with GUID ${guid}.`)
    expect(engine.checkCrdbChange(null, { kind: 'create', draft: draft('second'), guid })).toMatchObject({ ok: false, reason: 'crdb_not_acceptable' })
    engine.advance(Q)
    expect(first.phase).toBe('running')
    expectRefused(engine, null, { kind: 'create', draft: draft('second'), guid }, 'crdb_not_acceptable')
    engine.advance(R + C)
    expect(mustGetCrdb(engine, guid).name).toBe('first')
    expectRefused(engine, null, { kind: 'create', draft: draft('second'), guid }, 'crdb_not_acceptable')
    // once the first create failed, the GUID is free again
    const other = '1f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0'
    const failing = mustRequest(engine, null, { kind: 'create', draft: draft('doomed'), guid: other })
    engine.amend(failing.id, { outcome: 'failed' })
    engine.advance(Q + R + C)
    expect(failing.phase).toBe('failed')
    expect(mustRequest(engine, null, { kind: 'create', draft: draft('again'), guid: other }).id).not.toBe(failing.id)
  })
})

describe('requestCrdbChange: update', () => {
  it('refuses an unknown GUID with crdb_not_found and starts no task', () => {
    const engine = makeEngine()
    for (const guid of ['no-such-guid', UNKNOWN_GUID, null]) {
      expectRefused(engine, guid, { kind: 'update', patch: { name: 'x' } }, 'crdb_not_found')
    }
    expect(listIds(engine)).toEqual([])
    expect(engine.size).toBe(0)
    expect(engine.nextEventAt()).toBeNull()
  })

  it('refuses an unknown GUID with crdb_not_found when other tasks and CRDBs exist, leaving the size as it was', () => {
    const engine = makeEngine()
    createCrdb(engine)
    mustCreate(engine, { id: 'other' })
    const before = listIds(engine)
    const result = engine.requestCrdbChange('no-such-guid', { kind: 'update', patch: { name: 'x' } })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.reason).toBe('crdb_not_found')
      expect(result.detail).toContain('no-such-guid')
    }
    expect(listIds(engine)).toEqual(before)
    expect(engine.size).toBe(2)
  })

  it('starts an update_crdb task carrying the GUID from the start, with the CRDB\'s cluster names', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'renamed' } })
    expect(task.operation).toBe('update_crdb')
    expect(task.phase).toBe('queued')
    expect(task.crdbGuid).toBe(crdb.guid)
    expect(task.clusters).toEqual(['east.example.com', 'west.example.com'])
    expect(task.change).toEqual({ kind: 'update', patch: { name: 'renamed' } })
  })

  it('merges the patch only when the task completes: default_db_config and instance db_config key by key (null removes a key), the other fields replaced, the instance list kept (patches no longer replace it)', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    expect(before).toEqual(crdbOf(crdb.guid, SHOP_FIELDS))
    const task = mustRequest(engine, crdb.guid, {
      kind: 'update',
      patch: {
        name: 'renamed',
        default_db_config: { memory_size: 2048, replication: null, eviction_policy: 'allkeys-lru' },
        encryption: false,
        causal_consistency: true,
        instances: [{ id: 2, compression: 5, db_config: { shard_count: null, tls_mode: 'enabled' } }, { id: 1, db_config: { memory_size: 512 } }]
      }
    })

    engine.advance(Q + R)
    expect(task.phase).toBe('commit')
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, activeTaskId: task.id, configurations: [COMPLETED_1, { version: 2, status: 'ready' }] })
    engine.advance(C - 0.001)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, activeTaskId: task.id, configurations: [COMPLETED_1, { version: 2, status: 'ready' }] })

    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toEqual(crdbOf(crdb.guid, {
      name: 'renamed',
      default_db_config: { memory_size: 2048, eviction_policy: 'allkeys-lru' },
      instances: [
        { ...inst(EAST, 1), db_config: { memory_size: 512 } },
        { ...inst(WEST, 2), compression: 5, db_config: { tls_mode: 'enabled' } }
      ],
      encryption: false,
      causal_consistency: true,
      activeConfigVersion: 2,
      configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }]
    }))
  })

  it('leaves the fields a patch does not name as they were', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    mustRequest(engine, crdb.guid, { kind: 'update', patch: { default_db_config: { memory_size: 4096 } } })
    engine.advance(END)
    expect(engine.getCrdb(crdb.guid)).toEqual({
      ...before,
      default_db_config: { memory_size: 4096, replication: true },
      activeConfigVersion: 2,
      configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }]
    })

    mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    engine.advance(END)
    expect(engine.getCrdb(crdb.guid)).toEqual({
      ...before,
      default_db_config: { memory_size: 4096, replication: true },
      activeConfigVersion: 3,
      configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }, { version: 3, status: 'commit-completed' }]
    })
  })

  it('refuses a second update while the first is active (one change at a time, where overlapping updates used to both apply), and accepts it once the first has completed', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const first = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'first', default_db_config: { a: 1 } } })
    engine.amend(first.id, { durations: { running: 10 } })
    engine.advance(1)
    const detail = expectRefused(engine, crdb.guid, { kind: 'update', patch: { name: 'second', default_db_config: { a: 2, b: 2 } } }, 'crdb_not_acceptable')
    expect(detail).toContain(first.id)
    engine.advance(Q - 1 + 10 + C - 0.001)
    expect(first.phase).toBe('commit')
    expectRefused(engine, crdb.guid, { kind: 'update', patch: { name: 'second' } }, 'crdb_not_acceptable')

    engine.advance(0.001)
    expect(first.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'first', default_db_config: { memory_size: 1024, replication: true, a: 1 }, activeTaskId: null })
    const second = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'second', default_db_config: { a: 2, b: 2 } } })
    expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBe(second.id)
    engine.advance(END)
    expect(second.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid)).toEqual(crdbOf(crdb.guid, {
      ...SHOP_FIELDS,
      name: 'second',
      default_db_config: { memory_size: 1024, replication: true, a: 2, b: 2 },
      activeConfigVersion: 3,
      configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }, { version: 3, status: 'commit-completed' }]
    }))
  })

  it('applies nothing of the patch when the update fails: only its configuration is marked failed and the failure recorded as a connection error', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'renamed' } })
    engine.amend(task.id, { outcome: 'failed' })
    engine.advance(1000)
    expect(task.phase).toBe('failed')
    expect(engine.getCrdb(crdb.guid)).toEqual({
      ...before,
      configurations: [COMPLETED_1, { version: 2, status: 'failed' }],
      connectionErrors: defaultFailure(task)
    })
  })

  it('changes nothing when the update is canceled while queued', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'renamed' } })
    expect(engine.cancel(task.id, false).ok).toBe(true)
    engine.advance(1000)
    expect(task.phase).toBe('canceled')
    expect(engine.getCrdb(crdb.guid)).toEqual(before)
  })

  it('applies nothing of the patch when the update is canceled while running: only its configuration is marked failed', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'renamed' } })
    engine.advance(Q)
    expect(task.phase).toBe('running')
    expect(engine.cancel(task.id, false).ok).toBe(true)
    engine.advance(1000)
    expect(task.phase).toBe('canceled')
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, configurations: [COMPLETED_1, { version: 2, status: 'failed' }] })
  })

  it('marks the CRDB inconsistent and its configuration committed, without applying the patch, when the update is force-canceled in commit', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'renamed', default_db_config: { memory_size: 1 } } })
    engine.advance(Q + R)
    expect(task.phase).toBe('commit')
    expect(engine.cancel(task.id, true).ok).toBe(true)
    expect(task.phase).toBe('canceled')
    expect(task.errors[0]).toMatchObject({ cluster_name: CLUSTER, error_code: 'task_canceled' })
    const expected = { ...before, status: 'inconsistent' as const, configurations: [COMPLETED_1, { version: 2, status: 'committed' as const }] }
    expect(engine.getCrdb(crdb.guid)).toEqual(expected)
    engine.advance(1000)
    expect(engine.getCrdb(crdb.guid)).toEqual(expected)
  })

  it('makes an inconsistent CRDB active again when the next update completes, and only then', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const broken = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'never' } })
    engine.advance(Q + R)
    engine.cancel(broken.id, true)
    expect(mustGetCrdb(engine, crdb.guid).status).toBe('inconsistent')

    // a failed update does not repair it
    const failing = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'never either' } })
    engine.amend(failing.id, { outcome: 'failed' })
    engine.advance(END)
    expect(failing.phase).toBe('failed')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'shop', status: 'inconsistent' })

    const fix = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'fixed' } })
    expect(fix.crdbGuid).toBe(crdb.guid)
    engine.advance(END - 0.001)
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'shop', status: 'inconsistent' })
    engine.advance(0.001)
    expect(fix.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'fixed', status: 'active', activeConfigVersion: 4 })
  })

  it('makes a CRDB created inconsistent (create force-canceled in commit) active with an empty update', () => {
    const engine = makeEngine()
    const create = mustRequest(engine, null, { kind: 'create', draft: draft() })
    engine.advance(Q + R)
    engine.cancel(create.id, true)
    const guid = create.crdbGuid as string
    expect(mustGetCrdb(engine, guid).status).toBe('inconsistent')
    mustRequest(engine, guid, { kind: 'update', patch: {} })
    engine.advance(END)
    expect(mustGetCrdb(engine, guid)).toEqual(crdbOf(guid, {
      activeConfigVersion: 2,
      configurations: [{ version: 1, status: 'committed' }, { version: 2, status: 'commit-completed' }]
    }))
  })

  it('refuses a delete while an update is active (one change at a time: the delete used to overtake it), and deletes once the update has completed', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'late' } })
    engine.amend(update.id, { durations: { running: 100 } })
    expect(expectRefused(engine, crdb.guid, { kind: 'delete' }, 'crdb_not_acceptable')).toContain(update.id)
    engine.advance(END)
    expect(update.phase).toBe('running')
    expectRefused(engine, crdb.guid, { kind: 'delete' }, 'crdb_not_acceptable')
    engine.advance(200)
    expect(update.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid).name).toBe('late')
    const del = mustRequest(engine, crdb.guid, { kind: 'delete' })
    engine.advance(END)
    expect(del.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toBeUndefined()
    expect([...engine.listCrdbs()]).toEqual([])
  })

  it('does nothing when an update completes for a CRDB that is gone (a loaded state)', () => {
    const engine = makeEngine()
    engine.importState({ tasks: [{ id: 'u', operation: 'update_crdb', phase: 'running', crdb_guid: UNKNOWN_GUID, change: { kind: 'update', patch: { name: 'late' } } }] })
    engine.advance(100)
    expect(mustGet(engine, 'u').phase).toBe('completed')
    expect(engine.getCrdb(UNKNOWN_GUID)).toBeUndefined()
    expect([...engine.listCrdbs()]).toEqual([])
  })

  it('refuses a patch of an unknown instance id with crdb_instance_not_found', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const detail = expectRefused(engine, crdb.guid, { kind: 'update', patch: { name: 'x', instances: [{ id: 1, compression: 1 }, { id: 3, compression: 1 }] } }, 'crdb_instance_not_found')
    expect(detail).toContain('3')
    expect(engine.checkCrdbChange(crdb.guid, { kind: 'update', patch: { instances: [{ id: 2, compression: 1 }] } })).toEqual({ ok: true })
  })

  it('refuses snapshot persistence in a patch\'s default_db_config with crdb_not_acceptable', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    expect(expectRefused(engine, crdb.guid, { kind: 'update', patch: { default_db_config: { data_persistence: 'snapshot' } } }, 'crdb_not_acceptable')).toContain('data_persistence')
    expect(engine.checkCrdbChange(crdb.guid, { kind: 'update', patch: { default_db_config: { data_persistence: 'aof' } } })).toEqual({ ok: true })
  })

  /** [field, its value at creation (undefined: left to the default), the same effective value, a different one] */
  const IMMUTABLE: Array<[string, unknown, unknown, unknown]> = [
    ['port', 12000, 12000, 12001],
    ['sharding', undefined, false, true],
    ['sharding', true, true, false],
    ['oss_sharding', undefined, false, true],
    ['shard_key_regex', [{ regex: '.*\\{(?<tag>.*)\\}.*' }], [{ regex: '.*\\{(?<tag>.*)\\}.*' }], [{ regex: '(?<tag>.*)' }]],
    ['shard_key_regex', undefined, undefined, [{ regex: '(?<tag>.*)' }]],
    ['module_list', [{ module_name: 'search', module_args: '' }], [{ module_name: 'search', module_args: '' }], [{ module_name: 'ReJSON', module_args: '' }]],
    ['module_list', undefined, undefined, [{ module_name: 'search' }]]
  ]
  for (const [field, created, same, different] of IMMUTABLE) {
    it(`refuses a change of the immutable ${field} (${JSON.stringify(created ?? 'default')} to ${JSON.stringify(different)}) with crdb_not_acceptable${same === undefined ? '' : ', and accepts the same value'}`, () => {
      const engine = makeEngine()
      const crdb = createCrdb(engine, { ...draft(), default_db_config: created === undefined ? { memory_size: 1 } : { memory_size: 1, [field]: created } })
      for (const change of [
        { kind: 'update', patch: { name: 'x', default_db_config: { memory_size: 2, [field]: different } } },
        { kind: 'modify', patch: { default_db_config: { [field]: different } }, add: [NORTH] }
      ] as CrdbChange[]) {
        expect(expectRefused(engine, crdb.guid, change, 'crdb_not_acceptable')).toContain(field)
      }
      if (same === undefined) return
      const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { default_db_config: { memory_size: 2, [field]: same } } })
      engine.advance(END)
      expect(task.phase).toBe('completed')
      expect(mustGetCrdb(engine, crdb.guid).default_db_config).toEqual({ memory_size: 2, [field]: same })
    })
  }

  it('refuses a change of the port from its default, defaultPort(guid), and accepts that default given explicitly', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const port = defaultPort(crdb.guid)
    expect(port).toBeGreaterThanOrEqual(10000)
    expect(port).toBeLessThan(20000)
    expect(expectRefused(engine, crdb.guid, { kind: 'update', patch: { default_db_config: { port: port + 1 } } }, 'crdb_not_acceptable')).toContain('port')
    expectRefused(engine, crdb.guid, { kind: 'update', patch: { default_db_config: { port: String(port) } } }, 'crdb_not_acceptable')
    mustRequest(engine, crdb.guid, { kind: 'update', patch: { default_db_config: { port } } })
    engine.advance(END)
    expect(mustGetCrdb(engine, crdb.guid).default_db_config).toEqual({ memory_size: 1024, replication: true, port })
  })
})

describe('requestCrdbChange: modify (POST /updates)', () => {
  it('starts an update_crdb task whose clusters are the current instances\' and the added ones\'', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const change: CrdbChange = { kind: 'modify', add: [NORTH, SOUTH], remove: [1], forceUpdate: true }
    const task = mustRequest(engine, crdb.guid, change)
    expect(task.operation).toBe('update_crdb')
    expect(task.phase).toBe('queued')
    expect(task.crdbGuid).toBe(crdb.guid)
    expect(task.clusters).toEqual(['east.example.com', 'west.example.com', 'north.example.com', 'south.example.com'])
    expect(task.change).toEqual(change)
    expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBe(task.id)
  })

  it('applies its patch, removes the instances named and adds the new ones with the next ids, only when the task completes', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, {
      kind: 'modify',
      patch: { name: 'moved', default_db_config: { memory_size: null }, instances: [{ id: 2, compression: 0 }] },
      add: [NORTH, SOUTH],
      remove: [1]
    })
    engine.advance(END - 0.001)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, activeTaskId: task.id, configurations: [COMPLETED_1, { version: 2, status: 'ready' }] })
    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toEqual(crdbOf(crdb.guid, {
      name: 'moved',
      default_db_config: { replication: true },
      encryption: true,
      instances: [{ ...inst(WEST, 2), compression: 0 }, inst(NORTH, 3), inst(SOUTH, 4)],
      nextInstanceId: 5,
      activeConfigVersion: 2,
      configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }]
    }))
  })

  it('never reuses an instance id: an instance added after removals takes the next id, not a freed one', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine, draft())
    const steps: Array<[CrdbChange, Array<[string, number]>, number]> = [
      [{ kind: 'modify', add: [NORTH] }, [['east', 1], ['west', 2], ['north', 3]], 4],
      [{ kind: 'modify', remove: [3] }, [['east', 1], ['west', 2]], 4],
      [{ kind: 'modify', add: [NORTH] }, [['east', 1], ['west', 2], ['north', 4]], 5],
      [{ kind: 'modify', remove: [1], add: [SOUTH] }, [['west', 2], ['north', 4], ['south', 5]], 6],
      [{ kind: 'modify', remove: [5], add: [EAST] }, [['west', 2], ['north', 4], ['east', 6]], 7],
      [{ kind: 'modify', remove: [2, 4], add: [SOUTH, { cluster: { name: 'up.example.com', url: 'https://up.example.com:9443' } }] }, [['east', 6], ['south', 7], ['up', 8]], 9]
    ]
    for (const [change, expected, next] of steps) {
      mustRequest(engine, crdb.guid, change)
      engine.advance(END)
      const now = mustGetCrdb(engine, crdb.guid)
      expect(now.instances.map((i) => [i.cluster.name.split('.')[0], i.id])).toEqual(expected)
      for (const i of now.instances) expect(i.db_uid).toBe(String(i.id))
      expect(now.nextInstanceId).toBe(next)
    }
  })

  it('moves the instances removed with forceRemove to forceRemoved, keeping their ids', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine, { name: 'shop', instances: [EAST, WEST, NORTH, SOUTH] })
    const task = mustRequest(engine, crdb.guid, { kind: 'modify', remove: [4, 2], forceRemove: true })
    expect(task.clusters).toEqual(['east.example.com', 'west.example.com', 'north.example.com', 'south.example.com'])
    engine.advance(END - 0.001)
    expect(mustGetCrdb(engine, crdb.guid).forceRemoved).toEqual([])
    engine.advance(0.001)
    expect(engine.getCrdb(crdb.guid)).toEqual(crdbOf(crdb.guid, {
      instances: [inst(EAST, 1), inst(NORTH, 3)],
      forceRemoved: [inst(WEST, 2), inst(SOUTH, 4)],
      nextInstanceId: 5,
      activeConfigVersion: 2,
      configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }]
    }))
    // a removal without force leaves forceRemoved as it is
    mustRequest(engine, crdb.guid, { kind: 'modify', remove: [3], add: [WEST] })
    engine.advance(END)
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ instances: [inst(EAST, 1), inst(WEST, 5)], forceRemoved: [inst(WEST, 2), inst(SOUTH, 4)] })
  })

  it('refuses removing an unknown or force-removed instance id with crdb_instance_not_found', () => {
    const engine = makeEngine()
    const crdb = crdbWithForceRemoved(engine)
    for (const remove of [[9], [1, 9], [3]]) {
      expectRefused(engine, crdb.guid, { kind: 'modify', remove, add: [SOUTH] }, 'crdb_instance_not_found')
    }
  })

  it('refuses adding a cluster an instance already has, by name or by url, or twice, with crdb_not_acceptable', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const sameName = { cluster: { name: WEST.cluster.name, url: 'https://elsewhere.example.com:9443' } }
    const sameUrl = { cluster: { name: 'elsewhere.example.com', url: WEST.cluster.url } }
    for (const add of [[EAST], [sameName], [sameUrl], [NORTH, NORTH], [NORTH, SOUTH, { cluster: { name: 'x', url: NORTH.cluster.url } }]]) {
      expect(expectRefused(engine, crdb.guid, { kind: 'modify', add }, 'crdb_not_acceptable')).toContain('cluster')
    }
  })

  it('refuses a change that would leave fewer than two instances with crdb_not_acceptable; a removal balanced by an addition is accepted', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    for (const change of [
      { kind: 'modify', remove: [1] },
      { kind: 'modify', remove: [1, 2], add: [NORTH] },
      { kind: 'modify', remove: [2, 2] },
      { kind: 'modify', remove: [1], forceRemove: true }
    ] as CrdbChange[]) {
      expectRefused(engine, crdb.guid, change, 'crdb_not_acceptable')
    }
    expect(engine.checkCrdbChange(crdb.guid, { kind: 'modify', remove: [1], add: [NORTH] })).toEqual({ ok: true })
    expect(engine.checkCrdbChange(crdb.guid, { kind: 'modify', remove: [1, 2], add: [NORTH, SOUTH] })).toEqual({ ok: true })
  })

  it('refuses a patch of an unknown instance, and snapshot persistence in an added instance', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    expectRefused(engine, crdb.guid, { kind: 'modify', patch: { instances: [{ id: 3, compression: 1 }] }, add: [NORTH] }, 'crdb_instance_not_found')
    expect(expectRefused(engine, crdb.guid, { kind: 'modify', add: [{ ...NORTH, db_config: { data_persistence: 'snapshot' } }] }, 'crdb_not_acceptable')).toContain('data_persistence')
  })

  it('changes nothing but the failed configuration and the connection error when the modify fails', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'modify', add: [NORTH], remove: [1], forceRemove: true })
    engine.amend(task.id, { outcome: 'failed' })
    engine.advance(1000)
    expect(task.phase).toBe('failed')
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, configurations: [COMPLETED_1, { version: 2, status: 'failed' }], connectionErrors: defaultFailure(task) })
  })
})

describe('requestCrdbChange: purge', () => {
  it('starts a purge_crdb task, and takes the purged instances out of forceRemoved when it completes', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine, { name: 'shop', instances: [EAST, WEST, NORTH, SOUTH] })
    mustRequest(engine, crdb.guid, { kind: 'modify', remove: [3, 4], forceRemove: true })
    engine.advance(END)
    const before = snapshot(mustGetCrdb(engine, crdb.guid))
    expect(before.forceRemoved).toEqual([inst(NORTH, 3), inst(SOUTH, 4)])

    const task = mustRequest(engine, crdb.guid, { kind: 'purge', instances: [3] })
    expect(task.operation).toBe('purge_crdb')
    expect(task.crdbGuid).toBe(crdb.guid)
    expect(task.change).toEqual({ kind: 'purge', instances: [3] })
    // the purge reaches the instances' clusters and the purged one's
    expect(task.clusters).toEqual(['east.example.com', 'west.example.com', 'north.example.com'])
    engine.advance(END - 0.001)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, activeTaskId: task.id })
    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    // no configuration version: a purge changes no setting
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, forceRemoved: [inst(SOUTH, 4)] })

    mustRequest(engine, crdb.guid, { kind: 'purge', instances: [4] })
    engine.advance(END)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, forceRemoved: [] })
    // a purged id is not given again
    mustRequest(engine, crdb.guid, { kind: 'modify', add: [NORTH] })
    engine.advance(END)
    expect(mustGetCrdb(engine, crdb.guid).instances).toEqual([inst(EAST, 1), inst(WEST, 2), inst(NORTH, 5)])
  })

  it('refuses ids not in forceRemoved (unknown, still an instance, or purged already) with crdb_instance_not_found', () => {
    const engine = makeEngine()
    const crdb = crdbWithForceRemoved(engine)
    for (const instances of [[9], [1], [3, 2]]) {
      expectRefused(engine, crdb.guid, { kind: 'purge', instances }, 'crdb_instance_not_found')
    }
    expect(expectRefused(engine, crdb.guid, { kind: 'purge', instances: [1] }, 'crdb_instance_not_found')).toContain('1')
    mustRequest(engine, crdb.guid, { kind: 'purge', instances: [3] })
    engine.advance(END)
    expectRefused(engine, crdb.guid, { kind: 'purge', instances: [3] }, 'crdb_instance_not_found')
  })

  it('keeps the instances in forceRemoved when the purge fails or is canceled', () => {
    const engine = makeEngine()
    const crdb = crdbWithForceRemoved(engine)
    const failing = mustRequest(engine, crdb.guid, { kind: 'purge', instances: [3] })
    engine.amend(failing.id, { outcome: 'failed' })
    engine.advance(END)
    expect(failing.phase).toBe('failed')
    expect(mustGetCrdb(engine, crdb.guid).forceRemoved).toEqual([inst(NORTH, 3)])
    const canceled = mustRequest(engine, crdb.guid, { kind: 'purge', instances: [3] })
    engine.advance(Q)
    engine.cancel(canceled.id, false)
    expect(canceled.phase).toBe('canceled')
    expect(mustGetCrdb(engine, crdb.guid).forceRemoved).toEqual([inst(NORTH, 3)])
  })
})

describe('requestCrdbChange: upgrade', () => {
  it('starts an upgrade_crdb task, and sets default_db_config.redis_version when it completes', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const change: CrdbChange = { kind: 'upgrade', options: { redis_version: '7.4', force_restart: true } }
    const task = mustRequest(engine, crdb.guid, change)
    expect(task.operation).toBe('upgrade_crdb')
    expect(task.crdbGuid).toBe(crdb.guid)
    expect(task.clusters).toEqual(['east.example.com', 'west.example.com'])
    expect(task.change).toEqual(change)
    engine.advance(END - 0.001)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, activeTaskId: task.id, configurations: [COMPLETED_1, { version: 2, status: 'ready' }] })
    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toEqual({
      ...before,
      default_db_config: { memory_size: 1024, replication: true, redis_version: '7.4' },
      activeConfigVersion: 2,
      configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }]
    })
  })

  it('leaves default_db_config as it was when no redis_version is given', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    mustRequest(engine, crdb.guid, { kind: 'upgrade', options: { keep_crdt_protocol_version: true } })
    engine.advance(END)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, activeConfigVersion: 2, configurations: [COMPLETED_1, { version: 2, status: 'commit-completed' }] })
  })

  it('refuses a module not in the CRDB\'s module_list with crdb_not_acceptable, and accepts one that is', () => {
    const engine = makeEngine()
    const withSearch = createCrdb(engine, { ...draft('a'), default_db_config: { module_list: [{ module_name: 'search', module_args: '' }] } })
    const plain = createCrdb(engine, draft('b'))
    expect(expectRefused(engine, withSearch.guid, { kind: 'upgrade', options: { modules: [{ module_name: 'timeseries' }] } }, 'crdb_not_acceptable')).toContain('timeseries')
    expectRefused(engine, withSearch.guid, { kind: 'upgrade', options: { modules: [{ module_name: 'search' }, { module_name: 'ReJSON' }] } }, 'crdb_not_acceptable')
    expectRefused(engine, plain.guid, { kind: 'upgrade', options: { modules: [{ module_name: 'search' }] } }, 'crdb_not_acceptable')
    expect(engine.checkCrdbChange(withSearch.guid, { kind: 'upgrade', options: { modules: [{ module_name: 'search', semantic_version: '2.8.4' }] } })).toEqual({ ok: true })
    expect(engine.checkCrdbChange(plain.guid, { kind: 'upgrade', options: { modules: [] } })).toEqual({ ok: true })
    const task = mustRequest(engine, withSearch.guid, { kind: 'upgrade', options: { redis_version: '7.4', modules: [{ module_name: 'search' }] } })
    engine.advance(END)
    expect(task.phase).toBe('completed')
    expect(mustGetCrdb(engine, withSearch.guid).default_db_config).toEqual({ module_list: [{ module_name: 'search', module_args: '' }], redis_version: '7.4' })
  })
})

describe('requestCrdbChange: delete', () => {
  it('starts a delete_crdb task carrying the GUID, and removes the CRDB only when it completes', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'delete' })
    expect(task.operation).toBe('delete_crdb')
    expect(task.crdbGuid).toBe(crdb.guid)
    expect(task.clusters).toEqual(['east.example.com', 'west.example.com'])
    expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBe(task.id)

    engine.advance(END - 0.001)
    expect(mustGet(engine, task.id).phase).toBe('commit')
    // a delete makes no configuration version
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, activeTaskId: task.id })

    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toBeUndefined()
    expect([...engine.listCrdbs()]).toEqual([])
    expectRefused(engine, crdb.guid, { kind: 'update', patch: {} }, 'crdb_not_found')
    expectRefused(engine, crdb.guid, { kind: 'flush' }, 'crdb_not_found')
    // a second delete of the same GUID: "already deleted" (406), no longer 404
    expect(expectRefused(engine, crdb.guid, { kind: 'delete' }, 'crdb_not_acceptable')).toContain(crdb.guid)
    expect(listIds(engine)).toHaveLength(2)
  })

  it('refuses a delete of a GUID that is not a UUID with crdb_not_acceptable, and of an unknown UUID with crdb_not_found', () => {
    const engine = makeEngine()
    createCrdb(engine)
    expect(expectRefused(engine, 'no-such-guid', { kind: 'delete' }, 'crdb_not_acceptable')).toContain('no-such-guid')
    expectRefused(engine, '', { kind: 'delete' }, 'crdb_not_acceptable')
    expect(expectRefused(engine, UNKNOWN_GUID, { kind: 'delete' }, 'crdb_not_found')).toContain(UNKNOWN_GUID)
    expectRefused(engine, null, { kind: 'delete' }, 'crdb_not_found')
  })

  it('deletes only its own CRDB', () => {
    const engine = makeEngine()
    const a = createCrdb(engine, draft('a'))
    const b = createCrdb(engine, draft('b'))
    mustRequest(engine, a.guid, { kind: 'delete' })
    mustRequest(engine, b.guid, { kind: 'update', patch: { name: 'b2' } })
    engine.advance(END)
    expect(crdbGuids(engine)).toEqual([b.guid])
    expect(mustGetCrdb(engine, b.guid).name).toBe('b2')
  })

  for (const phase of ['queued', 'running', 'commit'] as const) {
    it(`refuses update, delete and flush with crdb_not_acceptable while the delete task is ${phase}, starting no task`, () => {
      const engine = makeEngine()
      const crdb = createCrdb(engine)
      const del = mustRequest(engine, crdb.guid, { kind: 'delete' })
      if (phase === 'running') engine.advance(Q)
      if (phase === 'commit') engine.advance(Q + R)
      expect(del.phase).toBe(phase)
      const ids = listIds(engine)
      const nextEvent = engine.nextEventAt()
      for (const change of [{ kind: 'update', patch: { name: 'x' } }, { kind: 'delete' }, { kind: 'flush' }] as CrdbChange[]) {
        const result = engine.requestCrdbChange(crdb.guid, change)
        expect(result.ok).toBe(false)
        if (!result.ok) {
          expect(result.reason).toBe('crdb_not_acceptable')
          expect(result.detail).toContain(del.id)
        }
      }
      // 406 comes before 409: a live X-Task-ID does not change the answer
      expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' }, { id: del.id })).toMatchObject({ ok: false, reason: 'crdb_not_acceptable' })
      expect(listIds(engine)).toEqual(ids)
      expect(engine.size).toBe(ids.length)
      expect(engine.nextEventAt()).toBe(nextEvent)
      expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'shop', status: 'active', activeTaskId: del.id })
    })
  }

  it('still accepts creates of other CRDBs while a delete is under way', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    mustRequest(engine, crdb.guid, { kind: 'delete' })
    const create = mustRequest(engine, null, { kind: 'create', draft: draft('other') })
    engine.advance(END)
    expect(crdbGuids(engine)).toEqual([create.crdbGuid])
  })

  it('accepts changes again after the delete task fails, and the CRDB is as it was but for the connection error it recorded', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const del = mustRequest(engine, crdb.guid, { kind: 'delete' })
    engine.amend(del.id, { outcome: 'failed' })
    engine.advance(Q + R)
    expect(del.phase).toBe('failed')
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, connectionErrors: defaultFailure(del) })
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'kept' } })
    engine.advance(END)
    expect(update.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'kept', status: 'active', connectionErrors: {} })
  })

  for (const phase of ['queued', 'running'] as const) {
    it(`accepts changes again after the delete task is canceled while ${phase}, and the CRDB is as it was`, () => {
      const engine = makeEngine()
      const crdb = createCrdb(engine)
      const before = snapshot(crdb)
      const del = mustRequest(engine, crdb.guid, { kind: 'delete' })
      if (phase === 'running') engine.advance(Q)
      expect(engine.cancel(del.id, false).ok).toBe(true)
      expect(del.phase).toBe('canceled')
      expect(engine.getCrdb(crdb.guid)).toEqual(before)
      // one change at a time: each is acceptable now, and the one started locks the CRDB again
      for (const change of [{ kind: 'update', patch: {} }, { kind: 'flush' }, { kind: 'delete' }] as CrdbChange[]) {
        expect(engine.checkCrdbChange(crdb.guid, change)).toEqual({ ok: true })
      }
      const again = mustRequest(engine, crdb.guid, { kind: 'delete' })
      expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBe(again.id)
      engine.advance(1000)
      expect(engine.getCrdb(crdb.guid)).toBeUndefined()
    })
  }

  it('accepts changes again after a delayed cancel of the delete takes effect', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const del = mustRequest(engine, crdb.guid, { kind: 'delete' })
    engine.amend(del.id, { cancelDelay: 1 })
    engine.advance(Q)
    engine.cancel(del.id, false)
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'update', patch: {} })).toMatchObject({ ok: false, reason: 'crdb_not_acceptable' })
    engine.advance(1)
    expect(del.phase).toBe('canceled')
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'update', patch: {} }).ok).toBe(true)
  })

  it('leaves the CRDB there, inconsistent and accepting changes, after the delete is force-canceled in commit', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const del = mustRequest(engine, crdb.guid, { kind: 'delete' })
    engine.advance(Q + R)
    expect(del.phase).toBe('commit')
    expect(engine.cancel(del.id, true).ok).toBe(true)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, status: 'inconsistent' })
    engine.advance(1000)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, status: 'inconsistent' })

    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'back' } })
    engine.advance(END)
    expect(update.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'back', status: 'active', activeTaskId: null })
  })

  it('accepts a delete of an inconsistent CRDB and removes it', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    engine.advance(Q + R)
    engine.cancel(update.id, true)
    expect(mustGetCrdb(engine, crdb.guid).status).toBe('inconsistent')
    mustRequest(engine, crdb.guid, { kind: 'delete' })
    engine.advance(END)
    expect(engine.getCrdb(crdb.guid)).toBeUndefined()
  })
})

describe('requestCrdbChange: flush', () => {
  it('starts a flush_crdb task holding the GUID internally, and leaves the CRDB unchanged at completion', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'flush' })
    expect(task.operation).toBe('flush_crdb')
    expect(task.phase).toBe('queued')
    expect(task.crdbGuid).toBe(crdb.guid)
    expect(task.clusters).toEqual(['east.example.com', 'west.example.com'])
    expect(task.change).toEqual({ kind: 'flush' })
    engine.advance(END)
    expect(task.phase).toBe('completed')
    expect(task.endedAt).toBe(at(2 * END))
    expect(engine.getCrdb(crdb.guid)).toEqual(before)
    expect(crdbGuids(engine)).toEqual([crdb.guid])
  })

  it('carries the async flag in its change, and changes nothing either', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'flush', async: true })
    expect(task.operation).toBe('flush_crdb')
    expect(task.change).toEqual({ kind: 'flush', async: true })
    engine.advance(END)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toEqual(before)
  })

  it('leaves an inconsistent CRDB inconsistent: only an update repairs it', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    engine.advance(Q + R)
    engine.cancel(update.id, true)
    const before = snapshot(mustGetCrdb(engine, crdb.guid))
    expect(before.status).toBe('inconsistent')
    mustRequest(engine, crdb.guid, { kind: 'flush' })
    engine.advance(END)
    expect(engine.getCrdb(crdb.guid)).toEqual(before)
  })

  it('refuses a flush (and every other change but a delete) of an unknown GUID with crdb_not_found and starts no task', () => {
    const engine = makeEngine()
    for (const guid of ['nope', UNKNOWN_GUID]) {
      for (const [, change] of everyChange()) {
        if (change.kind !== 'delete') expectRefused(engine, guid, change, 'crdb_not_found')
      }
    }
    // a delete is 404 only for a well-formed GUID (see the delete tests)
    expectRefused(engine, UNKNOWN_GUID, { kind: 'delete' }, 'crdb_not_found')
    expectRefused(engine, 'nope', { kind: 'delete' }, 'crdb_not_acceptable')
    expect(engine.size).toBe(0)
  })

  it('locks the CRDB while it runs (it used not to): other changes are refused until the flush ends, then accepted', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const flush = mustRequest(engine, crdb.guid, { kind: 'flush' })
    expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBe(flush.id)
    expect(expectRefused(engine, crdb.guid, { kind: 'flush' }, 'crdb_not_acceptable')).toContain(flush.id)
    expectRefused(engine, crdb.guid, { kind: 'update', patch: {} }, 'crdb_not_acceptable')
    engine.advance(END)
    expect(flush.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBeNull()
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' }).ok).toBe(true)
  })
})

describe('one change of a CRDB at a time', () => {
  for (const [kind, change] of everyChange()) {
    for (const phase of ['queued', 'running', 'commit'] as const) {
      it(`refuses every change with crdb_not_acceptable while a ${kind} task is ${phase}, starting no task`, () => {
        const engine = makeEngine()
        const crdb = crdbWithForceRemoved(engine)
        const task = mustRequest(engine, crdb.guid, change)
        expect(task.operation).toBe(`${kind === 'modify' ? 'update' : kind}_crdb`)
        if (phase === 'running') engine.advance(Q)
        if (phase === 'commit') engine.advance(Q + R)
        expect(task.phase).toBe(phase)
        expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBe(task.id)
        for (const [, other] of everyChange()) {
          expect(expectRefused(engine, crdb.guid, other, 'crdb_not_acceptable')).toContain(task.id)
          // a live X-Task-ID does not change the answer
          expectRefused(engine, crdb.guid, other, 'crdb_not_acceptable', { id: task.id })
        }
        expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBe(task.id)
      })
    }
  }

  const ENDS = ['completed', 'failed', 'canceled', 'force-canceled in commit'] as const
  for (const [kind, change] of everyChange()) {
    for (const end of ENDS) {
      if (kind === 'delete' && end === 'completed') continue
      it(`lifts the lock when the ${kind} task ends ${end}, exactly then`, () => {
        const engine = makeEngine()
        const crdb = crdbWithForceRemoved(engine)
        const task = mustRequest(engine, crdb.guid, change)
        // how long after its start the task ends
        let endsAfter: number
        if (end === 'completed') {
          endsAfter = END
        } else if (end === 'failed') {
          engine.amend(task.id, { outcome: 'failed' })
          endsAfter = Q + R
        } else {
          endsAfter = end === 'canceled' ? Q + 1 : Q + R + 1
        }
        engine.advance(endsAfter - 0.001)
        expectRefused(engine, crdb.guid, { kind: 'update', patch: { name: 'next' } }, 'crdb_not_acceptable')
        engine.advance(0.001)
        if (end === 'canceled') expect(engine.cancel(task.id, false).ok).toBe(true)
        if (end === 'force-canceled in commit') expect(engine.cancel(task.id, true).ok).toBe(true)
        expect(task.phase).toBe(end === 'completed' ? 'completed' : end === 'failed' ? 'failed' : 'canceled')
        expect(task.endedAt).toBe(at(2 * END + endsAfter))
        expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBeNull()
        for (const next of [{ kind: 'update', patch: { name: 'next' } }, { kind: 'flush' }, { kind: 'upgrade', options: {} }, { kind: 'delete' }] as CrdbChange[]) {
          expect(engine.checkCrdbChange(crdb.guid, next)).toEqual({ ok: true })
        }
        const next = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'next' } })
        expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBe(next.id)
      })
    }
  }

  it('locks each CRDB on its own: a change of one does not hold back a change of another, nor a create', () => {
    const engine = makeEngine()
    const a = createCrdb(engine, draft('a'))
    const b = createCrdb(engine, draft('b'))
    const upgradeA = mustRequest(engine, a.guid, { kind: 'upgrade', options: {} })
    const flushB = mustRequest(engine, b.guid, { kind: 'flush' })
    const create = mustRequest(engine, null, { kind: 'create', draft: draft('c') })
    expect(mustGetCrdb(engine, a.guid).activeTaskId).toBe(upgradeA.id)
    expect(mustGetCrdb(engine, b.guid).activeTaskId).toBe(flushB.id)
    expect(expectRefused(engine, a.guid, { kind: 'flush' }, 'crdb_not_acceptable')).toContain(upgradeA.id)
    expect(expectRefused(engine, b.guid, { kind: 'flush' }, 'crdb_not_acceptable')).toContain(flushB.id)
    engine.advance(END)
    expect([upgradeA.phase, flushB.phase, create.phase]).toEqual(['completed', 'completed', 'completed'])
    expect([...engine.listCrdbs()].map((c) => [c.name, c.activeTaskId])).toEqual([['a', null], ['b', null], ['c', null]])
  })
})

describe('configuration versions and connection errors (health report data)', () => {
  const CONFIG_CHANGES: Array<[string, CrdbChange]> = [
    ['update', { kind: 'update', patch: { name: 'x' } }],
    ['modify', { kind: 'modify', add: [NORTH] }],
    ['upgrade', { kind: 'upgrade', options: { redis_version: '7.4' } }]
  ]
  const configsOf = (engine: Engine, guid: string): [number, CrdbConfiguration[]] => {
    const crdb = mustGetCrdb(engine, guid)
    return [crdb.activeConfigVersion, crdb.configurations]
  }

  for (const [kind, change] of CONFIG_CHANGES) {
    it(`posts a new configuration when a ${kind} task enters running, makes it ready in commit, and commit-completed and active when the task completes`, () => {
      const engine = makeEngine()
      const crdb = createCrdb(engine)
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1]])
      mustRequest(engine, crdb.guid, change)
      engine.advance(Q - 0.001)
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1]])
      engine.advance(0.001)
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'posted' }]])
      engine.advance(R - 0.001)
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'posted' }]])
      engine.advance(0.001)
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'ready' }]])
      engine.advance(C - 0.001)
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'ready' }]])
      engine.advance(0.001)
      expect(configsOf(engine, crdb.guid)).toEqual([2, [COMPLETED_1, { version: 2, status: 'commit-completed' }]])
    })

    it(`marks the configuration failed when the ${kind} task fails, keeping the active version`, () => {
      const engine = makeEngine()
      const crdb = createCrdb(engine)
      const task = mustRequest(engine, crdb.guid, change)
      engine.amend(task.id, { outcome: 'failed' })
      engine.advance(Q + R)
      expect(task.phase).toBe('failed')
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'failed' }]])
    })

    it(`marks the configuration committed and the CRDB inconsistent when the ${kind} task is force-canceled in commit`, () => {
      const engine = makeEngine()
      const crdb = createCrdb(engine)
      const task = mustRequest(engine, crdb.guid, change)
      engine.advance(Q + R)
      expect(engine.cancel(task.id, true).ok).toBe(true)
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'committed' }]])
      expect(mustGetCrdb(engine, crdb.guid).status).toBe('inconsistent')
      engine.advance(1000)
      expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'committed' }]])
    })
  }

  it('marks the configuration failed when the task is canceled while running (at once or after a delay), and posts none when it is canceled while queued', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const queued = mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    expect(engine.cancel(queued.id, true).ok).toBe(true)
    expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1]])

    const running = mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    engine.advance(Q)
    expect(engine.cancel(running.id, false).ok).toBe(true)
    expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'failed' }]])

    const delayed = mustRequest(engine, crdb.guid, { kind: 'modify', add: [NORTH] })
    engine.amend(delayed.id, { cancelDelay: 1 })
    engine.advance(Q)
    expect(engine.cancel(delayed.id, false).ok).toBe(true)
    expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'failed' }, { version: 3, status: 'posted' }]])
    engine.advance(1)
    expect(delayed.phase).toBe('canceled')
    expect(configsOf(engine, crdb.guid)).toEqual([1, [COMPLETED_1, { version: 2, status: 'failed' }, { version: 3, status: 'failed' }]])
  })

  it('numbers each new configuration on from the highest one, failed ones included', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const failing = mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    engine.amend(failing.id, { outcome: 'failed' })
    engine.advance(END)
    mustRequest(engine, crdb.guid, { kind: 'upgrade', options: {} })
    engine.advance(END)
    expect(configsOf(engine, crdb.guid)).toEqual([3, [COMPLETED_1, { version: 2, status: 'failed' }, { version: 3, status: 'commit-completed' }]])
  })

  it('keeps only the 8 latest configurations', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    for (let i = 0; i < 7; i++) {
      mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: `v${i + 2}` } })
      engine.advance(END)
    }
    expect(configsOf(engine, crdb.guid)).toEqual([8, Array.from({ length: 8 }, (_, i) => ({ version: i + 1, status: 'commit-completed' }))])
    mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'v9' } })
    engine.advance(Q)
    expect(configsOf(engine, crdb.guid)).toEqual([8, [...Array.from({ length: 7 }, (_, i) => ({ version: i + 2, status: 'commit-completed' })), { version: 9, status: 'posted' }]])
    engine.advance(R + C)
    expect(configsOf(engine, crdb.guid)).toEqual([9, Array.from({ length: 8 }, (_, i) => ({ version: i + 2, status: 'commit-completed' }))])
  })

  it('makes no configuration for a delete, a flush or a purge, whatever their end', () => {
    const engine = makeEngine()
    const crdb = crdbWithForceRemoved(engine)
    const configs = configsOf(engine, crdb.guid)
    for (const change of [{ kind: 'flush' }, { kind: 'purge', instances: [3] }, { kind: 'delete' }] as CrdbChange[]) {
      const failing = mustRequest(engine, crdb.guid, change)
      engine.advance(Q)
      expect(configsOf(engine, crdb.guid)).toEqual(configs)
      engine.amend(failing.id, { outcome: 'failed' })
      engine.advance(END)
      const forced = mustRequest(engine, crdb.guid, change)
      engine.advance(Q + R)
      expect(configsOf(engine, crdb.guid)).toEqual(configs)
      engine.cancel(forced.id, true)
      expect(configsOf(engine, crdb.guid)).toEqual(configs)
    }
    mustRequest(engine, crdb.guid, { kind: 'flush' })
    engine.advance(END)
    expect(configsOf(engine, crdb.guid)).toEqual(configs)
  })

  it('records the errors of a failed task by cluster name, skipping those with no cluster name, for every kind of change', () => {
    const errors = [
      { cluster_name: 'east.example.com', error_code: 'connection_error', description: 'East did not answer.' },
      { cluster_name: '', error_code: 'internal_error', description: 'Something else.' },
      { cluster_name: 'west.example.com', error_code: 'timeout', description: 'West timed out.' }
    ]
    for (const [kind, change] of everyChange()) {
      const engine = makeEngine()
      const crdb = crdbWithForceRemoved(engine)
      const task = mustRequest(engine, crdb.guid, change)
      engine.amend(task.id, { outcome: 'failed', errors })
      engine.advance(END)
      expect(task.phase, kind).toBe('failed')
      expect(mustGetCrdb(engine, crdb.guid).connectionErrors, kind).toEqual({ 'east.example.com': 'East did not answer.', 'west.example.com': 'West timed out.' })
    }
  })

  it('keeps the connection errors through later failures (the latest per cluster) and cancels, and clears them when a change completes', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const fail = (errors: Array<{ cluster_name: string, error_code: string, description: string }>): void => {
      const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'x' } })
      engine.amend(task.id, { outcome: 'failed', errors })
      engine.advance(END)
      expect(task.phase).toBe('failed')
    }
    fail([{ cluster_name: 'east.example.com', error_code: 'e', description: 'East is down.' }])
    fail([{ cluster_name: 'west.example.com', error_code: 'e', description: 'West is down.' }])
    fail([{ cluster_name: 'east.example.com', error_code: 'e', description: 'East is still down.' }])
    const expected = { 'east.example.com': 'East is still down.', 'west.example.com': 'West is down.' }
    expect(mustGetCrdb(engine, crdb.guid).connectionErrors).toEqual(expected)

    const canceled = mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    engine.advance(Q)
    engine.cancel(canceled.id, false)
    const forced = mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    engine.advance(Q + R)
    engine.cancel(forced.id, true)
    expect(mustGetCrdb(engine, crdb.guid).connectionErrors).toEqual(expected)

    const ok = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'fine' } })
    engine.advance(END - 0.001)
    expect(mustGetCrdb(engine, crdb.guid).connectionErrors).toEqual(expected)
    engine.advance(0.001)
    expect(ok.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'fine', status: 'active', connectionErrors: {} })
  })
})

describe('checkCrdbChange: the dry run', () => {
  it('answers { ok: true } for an acceptable change of every kind, and starts, locks and changes nothing', () => {
    const engine = makeEngine()
    const crdb = crdbWithForceRemoved(engine)
    const before = engine.exportState()
    const ids = listIds(engine)
    const nextEvent = engine.nextEventAt()
    const changes = engine.changes
    const all: Array<[string | null, CrdbChange]> = [
      [null, { kind: 'create', draft: draft('new') }],
      [null, { kind: 'create', draft: draft('new'), guid: '11111111-2222-4333-8444-555555555555' }],
      ...everyChange().map(([, change]): [string, CrdbChange] => [crdb.guid, change])
    ]
    for (const [guid, change] of all) {
      expect(engine.checkCrdbChange(guid, change)).toEqual({ ok: true })
      // asked twice: still acceptable, since the first answer locked nothing
      expect(engine.checkCrdbChange(guid, change)).toEqual({ ok: true })
    }
    const after = engine.exportState()
    // (the clock's offset from the wall moves with the wall: compare what the engine holds)
    expect([after.clock?.now, after.tasks, after.crdbs]).toEqual([before.clock?.now, before.tasks, before.crdbs])
    expect(listIds(engine)).toEqual(ids)
    expect(engine.nextEventAt()).toBe(nextEvent)
    expect(engine.changes).toBe(changes)
    expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBeNull()
  })

  it('draws nothing from a seeded id sequence: an engine that ran dry runs goes on exactly as one that did not', () => {
    const checked = makeEngine({ seed: 'dry' })
    const untouched = makeEngine({ seed: 'dry' })
    const a = createCrdb(checked)
    const b = createCrdb(untouched)
    expect(a.guid).toBe(b.guid)
    for (const change of [{ kind: 'update', patch: { name: 'x' } }, { kind: 'flush' }, { kind: 'delete' }] as CrdbChange[]) {
      expect(checked.checkCrdbChange(a.guid, change)).toEqual({ ok: true })
    }
    expect(checked.checkCrdbChange(null, { kind: 'create', draft: draft('n') })).toEqual({ ok: true })
    for (const engine of [checked, untouched]) {
      mustRequest(engine, null, { kind: 'create', draft: draft('n') })
      mustRequest(engine, a.guid, { kind: 'flush' })
      engine.advance(END)
    }
    expect(checked.exportState().tasks).toEqual(untouched.exportState().tasks)
    expect(checked.exportState().crdbs).toEqual(untouched.exportState().crdbs)
  })

  it('answers the same refusal as requestCrdbChange, lock included, and settles what fell due first', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    const lock = engine.checkCrdbChange(crdb.guid, { kind: 'flush' })
    expect(lock).toEqual({ ok: false, reason: 'crdb_not_acceptable', detail: expect.stringContaining(update.id) })
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' })).toEqual(lock)
    expect(engine.checkCrdbChange(UNKNOWN_GUID, { kind: 'flush' })).toEqual(engine.requestCrdbChange(UNKNOWN_GUID, { kind: 'flush' }))
    expect(engine.checkCrdbChange(crdb.guid, { kind: 'purge', instances: [1] })).toEqual(engine.requestCrdbChange(crdb.guid, { kind: 'purge', instances: [1] }))
    // the clock passes the update's end without a settle: the dry run sees it ended
    engine.clock.advance(END * 1000)
    expect(engine.checkCrdbChange(crdb.guid, { kind: 'flush' })).toEqual({ ok: true })
    expect(update.phase).toBe('completed')
  })
})

describe('requestCrdbChange: task ids and limits', () => {
  it('uses options.id as the task id, and options.resultTtl as its retention', () => {
    const engine = makeEngine()
    const task = mustRequest(engine, null, { kind: 'create', draft: draft() }, { id: 'create-shop', resultTtl: 30 })
    expect(task.id).toBe('create-shop')
    expect(task.resultTtl).toBe(30)
    engine.advance(END)
    expect(task.expiresAt).toBe(at(END + 30))
    engine.advance(29.999)
    expect(engine.get('create-shop')).toBe(task)
    engine.advance(0.001)
    expect(engine.get('create-shop')).toBeUndefined()
    // the CRDB outlives its task
    expect(mustGetCrdb(engine, task.crdbGuid as string).status).toBe('active')
  })

  it('refuses a live id with task_exists and starts no second task, for every kind of change', () => {
    const engine = makeEngine()
    const crdb = crdbWithForceRemoved(engine)
    // a task of no CRDB holds the id, so that the CRDB is not locked
    const first = mustCreate(engine, { id: 'x' })
    const before = listIds(engine)
    const changes: Array<[string | null, CrdbChange]> = [
      [null, { kind: 'create', draft: draft('dup') }],
      ...everyChange().map(([, change]): [string, CrdbChange] => [crdb.guid, change])
    ]
    for (const [guid, change] of changes) {
      const result = engine.requestCrdbChange(guid, change, { id: 'x' })
      expect(result).toMatchObject({ ok: false, reason: 'task_exists' })
    }
    expect(engine.get('x')).toBe(first)
    expect(listIds(engine)).toEqual(before)
    // the refused changes did not lock the CRDB
    expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBeNull()
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'update', patch: {} }).ok).toBe(true)
    engine.advance(END)
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'shop', status: 'active', forceRemoved: [inst(NORTH, 3)] })
    expect(crdbGuids(engine)).toEqual([crdb.guid])
  })

  it('refuses the id of an ended task still retained, and accepts it once that task has expired', () => {
    const engine = makeEngine()
    const first = mustRequest(engine, null, { kind: 'create', draft: draft() }, { id: 'x', resultTtl: 10 })
    engine.advance(END)
    expect(first.phase).toBe('completed')
    expect(engine.requestCrdbChange(null, { kind: 'create', draft: draft('b') }, { id: 'x' })).toMatchObject({ ok: false, reason: 'task_exists' })
    engine.advance(10)
    const second = mustRequest(engine, null, { kind: 'create', draft: draft('b') }, { id: 'x' })
    expect(second).not.toBe(first)
    expect(listIds(engine)).toEqual(['x'])
  })

  it('checks crdb_not_found before task_exists', () => {
    const engine = makeEngine()
    mustCreate(engine, { id: 'x' })
    expect(engine.requestCrdbChange('nope', { kind: 'update', patch: {} }, { id: 'x' })).toMatchObject({ ok: false, reason: 'crdb_not_found' })
  })

  it('checks crdb_not_acceptable and crdb_instance_not_found before task_exists', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    mustCreate(engine, { id: 'x' })
    expect(engine.requestCrdbChange(null, { kind: 'create', draft: { name: 'one', instances: [EAST] } }, { id: 'x' })).toMatchObject({ ok: false, reason: 'crdb_not_acceptable' })
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'modify', remove: [7] }, { id: 'x' })).toMatchObject({ ok: false, reason: 'crdb_instance_not_found' })
  })

  it('refuses every change with too_many_tasks at the cap, starting no task and locking nothing', () => {
    const engine = makeEngine({ maxTasks: 3 })
    // the create and the modify tasks are still retained: one filler reaches the cap
    const crdb = crdbWithForceRemoved(engine)
    mustCreate(engine, { id: 'filler', durations: { queued: null }, resultTtl: 0 })
    expect(engine.size).toBe(3)
    const changes: Array<[string | null, CrdbChange]> = [
      [null, { kind: 'create', draft: draft('more') }],
      ...everyChange().map(([, change]): [string, CrdbChange] => [crdb.guid, change])
    ]
    for (const [guid, change] of changes) {
      expect(engine.requestCrdbChange(guid, change)).toMatchObject({ ok: false, reason: 'too_many_tasks' })
      // the dry run does not count tasks: it starts none
      expect(engine.checkCrdbChange(guid, change)).toEqual({ ok: true })
    }
    expect(engine.size).toBe(3)
    expect(mustGetCrdb(engine, crdb.guid).activeTaskId).toBeNull()

    // a live id is 409 before 503
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' }, { id: 'filler' })).toMatchObject({ ok: false, reason: 'task_exists' })

    // once a slot frees up, changes are accepted again
    engine.cancel('filler', false)
    expect(engine.size).toBe(2)
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'x' } })
    // the CRDB is locked now (406 before 503); a create of another CRDB is 503
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' })).toMatchObject({ ok: false, reason: 'crdb_not_acceptable' })
    expect(engine.requestCrdbChange(null, { kind: 'create', draft: draft('more') })).toMatchObject({ ok: false, reason: 'too_many_tasks' })
    engine.advance(END)
    expect(update.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid).name).toBe('x')
  })
})

describe('reset', () => {
  it('forgets every CRDB as well as every task, and leaves the clock as it is', () => {
    const engine = makeEngine()
    const a = createCrdb(engine, draft('a'))
    const b = createCrdb(engine, draft('b'))
    mustRequest(engine, a.guid, { kind: 'delete' })
    const pending = mustRequest(engine, null, { kind: 'create', draft: draft('c') })
    engine.advance(Q + 1)
    expect(pending.crdbGuid).toMatch(UUID_V4)
    const now = engine.now()

    engine.reset()
    expect(engine.now()).toBe(now)
    expect([...engine.listCrdbs()]).toEqual([])
    expect(engine.getCrdb(a.guid)).toBeUndefined()
    expect(engine.getCrdb(b.guid)).toBeUndefined()
    expect(listIds(engine)).toEqual([])
    expect(engine.size).toBe(0)
    expect(engine.nextEventAt()).toBeNull()
    expect(engine.requestCrdbChange(b.guid, { kind: 'update', patch: {} })).toMatchObject({ ok: false, reason: 'crdb_not_found' })

    // the create that was under way never lands
    engine.advance(1000)
    expect([...engine.listCrdbs()]).toEqual([])
    expect(engine.getCrdb(pending.crdbGuid as string)).toBeUndefined()
  })

  it('forgets the GUIDs it deleted: a delete of one is crdb_not_found after a reset', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    mustRequest(engine, crdb.guid, { kind: 'delete' })
    engine.advance(END)
    expectRefused(engine, crdb.guid, { kind: 'delete' }, 'crdb_not_acceptable')
    engine.reset()
    expectRefused(engine, crdb.guid, { kind: 'delete' }, 'crdb_not_found')
  })

  it('lets new CRDBs be made after a reset, with ids used before', () => {
    const engine = makeEngine()
    createCrdb(engine)
    mustRequest(engine, null, { kind: 'create', draft: draft() }, { id: 'x' })
    engine.reset()
    const now = engine.now()
    const task = mustRequest(engine, null, { kind: 'create', draft: draft('new') }, { id: 'x' })
    engine.advance(END)
    expect([...engine.listCrdbs()].map((c) => c.name)).toEqual(['new'])
    expect(historyOf(task)).toEqual([
      [now, 'queued', 'created'],
      [now + Q * 1000, 'running', 'duration_elapsed'],
      [now + (Q + R) * 1000, 'commit', 'duration_elapsed'],
      [now + END * 1000, 'completed', 'duration_elapsed']
    ])
  })
})

describe('found by review of the new model', () => {
  it('lets a cluster removed in a modify join again in the same request, with a new id', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine, { ...draft(), instances: [EAST, WEST, NORTH] })
    mustRequest(engine, crdb.guid, { kind: 'modify', remove: [3], add: [NORTH] })
    engine.advance(END)
    expect(mustGetCrdb(engine, crdb.guid).instances.map((i) => [i.id, i.cluster.name])).toEqual([[1, 'east.example.com'], [2, 'west.example.com'], [4, 'north.example.com']])
  })

  it('refuses snapshot persistence in an instance\'s db_config of an update', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const detail = expectRefused(engine, crdb.guid, { kind: 'update', patch: { instances: [{ id: 2, db_config: { data_persistence: 'snapshot' } }] } }, 'crdb_not_acceptable')
    expect(detail).toContain('instances[0].db_config.data_persistence')
  })
})
