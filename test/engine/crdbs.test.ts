import { describe, it, expect } from 'vitest'
import type { Engine, Task } from '../../src/engine/engine.js'
import type { Crdb, CrdbChange, CrdbDraft } from '../../src/engine/crdbs.js'
import { C, CLUSTER, Q, R, at, historyOf, listIds, makeEngine, mustCreate, mustGet } from './helpers.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const END = Q + R + C

const EAST = { cluster: { name: 'east.example.com', url: 'https://east.example.com:9443' } }
const WEST = { cluster: { name: 'west.example.com', url: 'https://west.example.com:9443' }, compression: 3, db_config: { shard_count: 2 } }
const NORTH = { cluster: { name: 'north.example.com', url: 'https://north.example.com:9443' } }

/** A draft spanning east and west, with no optional top-level field. */
const draft = (name = 'shop'): CrdbDraft => ({ name, instances: [EAST, WEST] })

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
function createCrdb (engine: Engine, d: CrdbDraft = { ...draft(), default_db_config: { memory_size: 1024, replication: true }, encryption: true }): Crdb {
  const task = mustRequest(engine, null, { kind: 'create', draft: d })
  engine.advance(END)
  expect(task.phase).toBe('completed')
  return mustGetCrdb(engine, task.crdbGuid as string)
}

/** A plain copy of a CRDB, to compare it with a later state of itself. */
const snapshot = (crdb: Crdb): Crdb => structuredClone(crdb)

const crdbGuids = (engine: Engine): string[] => [...engine.listCrdbs()].map((c) => c.guid)

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
    expect(engine.getCrdb(guid)).toEqual({
      guid,
      name: 'shop',
      default_db_config: {},
      instances: [EAST, WEST],
      encryption: false,
      status: 'active',
      deletingTaskId: null
    })
    expect(crdbGuids(engine)).toEqual([guid])
  })

  it('keeps the draft\'s default_db_config and encryption when given', () => {
    const engine = makeEngine()
    const d: CrdbDraft = { name: 'cart', default_db_config: { memory_size: 1024 }, instances: [NORTH], encryption: true }
    const task = mustRequest(engine, null, { kind: 'create', draft: d })
    expect(task.clusters).toEqual(['north.example.com'])
    engine.advance(END)
    expect(engine.getCrdb(task.crdbGuid as string)).toEqual({
      guid: task.crdbGuid,
      name: 'cart',
      default_db_config: { memory_size: 1024 },
      instances: [NORTH],
      encryption: true,
      status: 'active',
      deletingTaskId: null
    })
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
    const result = engine.requestCrdbChange(task.crdbGuid, { kind: 'update', patch: { name: 'x' } })
    expect(result).toMatchObject({ ok: false, reason: 'crdb_not_found' })
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

  it('creates the CRDB as inconsistent when the task is force-canceled in commit', () => {
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
    expect(engine.getCrdb(guid)).toEqual({
      guid,
      name: 'shop',
      default_db_config: { memory_size: 1 },
      instances: [EAST, WEST],
      encryption: false,
      status: 'inconsistent',
      deletingTaskId: null
    })
    engine.advance(1000)
    expect(mustGetCrdb(engine, guid).status).toBe('inconsistent')
  })
})

describe('requestCrdbChange: update', () => {
  it('refuses an unknown GUID with crdb_not_found and starts no task', () => {
    const engine = makeEngine()
    for (const guid of ['no-such-guid', null]) {
      const result = engine.requestCrdbChange(guid, { kind: 'update', patch: { name: 'x' } })
      expect(result).toMatchObject({ ok: false, reason: 'crdb_not_found' })
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
  })

  it('merges the patch only when the task completes: default_db_config key by key, the other fields replaced', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, {
      kind: 'update',
      patch: { name: 'renamed', default_db_config: { memory_size: 2048, eviction: 'noeviction' }, instances: [NORTH], encryption: false }
    })

    engine.advance(Q + R)
    expect(task.phase).toBe('commit')
    expect(engine.getCrdb(crdb.guid)).toEqual(before)
    engine.advance(C - 0.001)
    expect(engine.getCrdb(crdb.guid)).toEqual(before)

    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toEqual({
      guid: crdb.guid,
      name: 'renamed',
      default_db_config: { memory_size: 2048, replication: true, eviction: 'noeviction' },
      instances: [NORTH],
      encryption: false,
      status: 'active',
      deletingTaskId: null
    })
  })

  it('leaves the fields a patch does not name as they were', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    mustRequest(engine, crdb.guid, { kind: 'update', patch: { default_db_config: { memory_size: 4096 } } })
    engine.advance(END)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, default_db_config: { memory_size: 4096, replication: true } })

    mustRequest(engine, crdb.guid, { kind: 'update', patch: {} })
    engine.advance(END)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, default_db_config: { memory_size: 4096, replication: true } })
  })

  it('applies two overlapping updates in the order their tasks complete', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const slow = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'slow', default_db_config: { a: 1 } } })
    engine.amend(slow.id, { durations: { running: 10 } })
    engine.advance(1)
    const fast = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'fast', default_db_config: { a: 2, b: 2 } } })
    engine.advance(END)
    expect(fast.phase).toBe('completed')
    expect(slow.phase).toBe('running')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'fast', default_db_config: { memory_size: 1024, replication: true, a: 2, b: 2 } })
    engine.advance(100)
    expect(slow.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'slow', default_db_config: { memory_size: 1024, replication: true, a: 1, b: 2 } })
  })

  it('changes nothing when the update fails', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'renamed' } })
    engine.amend(task.id, { outcome: 'failed' })
    engine.advance(1000)
    expect(task.phase).toBe('failed')
    expect(engine.getCrdb(crdb.guid)).toEqual(before)
  })

  for (const phase of ['queued', 'running'] as const) {
    it(`changes nothing when the update is canceled while ${phase}`, () => {
      const engine = makeEngine()
      const crdb = createCrdb(engine)
      const before = snapshot(crdb)
      const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'renamed' } })
      if (phase === 'running') engine.advance(Q)
      expect(task.phase).toBe(phase)
      expect(engine.cancel(task.id, false).ok).toBe(true)
      engine.advance(1000)
      expect(task.phase).toBe('canceled')
      expect(engine.getCrdb(crdb.guid)).toEqual(before)
    })
  }

  it('marks the CRDB inconsistent without applying the patch when the update is force-canceled in commit', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const task = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'renamed', default_db_config: { memory_size: 1 } } })
    engine.advance(Q + R)
    expect(task.phase).toBe('commit')
    expect(engine.cancel(task.id, true).ok).toBe(true)
    expect(task.phase).toBe('canceled')
    expect(task.errors[0]).toMatchObject({ cluster_name: CLUSTER, error_code: 'task_canceled' })
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, status: 'inconsistent' })
    engine.advance(1000)
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, status: 'inconsistent' })
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
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'fixed', status: 'active' })
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
    expect(mustGetCrdb(engine, guid)).toMatchObject({ name: 'shop', status: 'active' })
  })

  it('does nothing when an update completes after its CRDB was deleted', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'late' } })
    engine.amend(update.id, { durations: { running: 100 } })
    const del = mustRequest(engine, crdb.guid, { kind: 'delete' })
    engine.advance(END)
    expect(del.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toBeUndefined()
    engine.advance(200)
    expect(update.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toBeUndefined()
    expect([...engine.listCrdbs()]).toEqual([])
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
    expect(mustGetCrdb(engine, crdb.guid).deletingTaskId).toBe(task.id)

    engine.advance(END - 0.001)
    expect(mustGet(engine, task.id).phase).toBe('commit')
    expect(engine.getCrdb(crdb.guid)).toEqual({ ...before, deletingTaskId: task.id })

    engine.advance(0.001)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(crdb.guid)).toBeUndefined()
    expect([...engine.listCrdbs()]).toEqual([])
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'update', patch: {} })).toMatchObject({ ok: false, reason: 'crdb_not_found' })
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'delete' })).toMatchObject({ ok: false, reason: 'crdb_not_found' })
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' })).toMatchObject({ ok: false, reason: 'crdb_not_found' })
    expect(listIds(engine)).toHaveLength(2)
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
      expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'shop', status: 'active', deletingTaskId: del.id })
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

  it('accepts changes again after the delete task fails, and the CRDB is as it was', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    const before = snapshot(crdb)
    const del = mustRequest(engine, crdb.guid, { kind: 'delete' })
    engine.amend(del.id, { outcome: 'failed' })
    engine.advance(Q + R)
    expect(del.phase).toBe('failed')
    expect(engine.getCrdb(crdb.guid)).toEqual(before)
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'kept' } })
    engine.advance(END)
    expect(update.phase).toBe('completed')
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'kept', status: 'active' })
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
      for (const change of [{ kind: 'update', patch: {} }, { kind: 'flush' }, { kind: 'delete' }] as CrdbChange[]) {
        expect(engine.requestCrdbChange(crdb.guid, change).ok).toBe(true)
      }
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
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'back', status: 'active', deletingTaskId: null })
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

  it('refuses a flush of an unknown GUID with crdb_not_found and starts no task', () => {
    const engine = makeEngine()
    expect(engine.requestCrdbChange('nope', { kind: 'flush' })).toMatchObject({ ok: false, reason: 'crdb_not_found' })
    expect(engine.requestCrdbChange('nope', { kind: 'delete' })).toMatchObject({ ok: false, reason: 'crdb_not_found' })
    expect(engine.size).toBe(0)
  })

  it('does not lock the CRDB: other changes are accepted while a flush runs', () => {
    const engine = makeEngine()
    const crdb = createCrdb(engine)
    mustRequest(engine, crdb.guid, { kind: 'flush' })
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' }).ok).toBe(true)
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'update', patch: {} }).ok).toBe(true)
    expect(mustGetCrdb(engine, crdb.guid).deletingTaskId).toBeNull()
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
    const crdb = createCrdb(engine)
    const first = mustRequest(engine, crdb.guid, { kind: 'flush' }, { id: 'x' })
    const changes: Array<[string | null, CrdbChange]> = [
      [null, { kind: 'create', draft: draft('dup') }],
      [crdb.guid, { kind: 'update', patch: { name: 'dup' } }],
      [crdb.guid, { kind: 'delete' }],
      [crdb.guid, { kind: 'flush' }]
    ]
    for (const [guid, change] of changes) {
      const result = engine.requestCrdbChange(guid, change, { id: 'x' })
      expect(result).toMatchObject({ ok: false, reason: 'task_exists' })
    }
    expect(engine.get('x')).toBe(first)
    expect(listIds(engine)).toHaveLength(2)
    // the refused delete did not lock the CRDB
    expect(mustGetCrdb(engine, crdb.guid).deletingTaskId).toBeNull()
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'update', patch: {} }).ok).toBe(true)
    engine.advance(END)
    expect(mustGetCrdb(engine, crdb.guid)).toMatchObject({ name: 'shop', status: 'active' })
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

  it('refuses every change with too_many_tasks at the cap, starting no task and locking nothing', () => {
    const engine = makeEngine({ maxTasks: 2 })
    const crdb = createCrdb(engine, draft())
    // the create task is still retained: one filler reaches the cap
    mustCreate(engine, { id: 'filler', durations: { queued: null }, resultTtl: 0 })
    expect(engine.size).toBe(2)
    const changes: Array<[string | null, CrdbChange]> = [
      [null, { kind: 'create', draft: draft('more') }],
      [crdb.guid, { kind: 'update', patch: { name: 'x' } }],
      [crdb.guid, { kind: 'delete' }],
      [crdb.guid, { kind: 'flush' }]
    ]
    for (const [guid, change] of changes) {
      expect(engine.requestCrdbChange(guid, change)).toMatchObject({ ok: false, reason: 'too_many_tasks' })
    }
    expect(engine.size).toBe(2)
    expect(mustGetCrdb(engine, crdb.guid).deletingTaskId).toBeNull()

    // a live id is 409 before 503
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' }, { id: 'filler' })).toMatchObject({ ok: false, reason: 'task_exists' })

    // once a slot frees up, changes are accepted again
    engine.cancel('filler', false)
    expect(engine.size).toBe(1)
    const update = mustRequest(engine, crdb.guid, { kind: 'update', patch: { name: 'x' } })
    expect(engine.requestCrdbChange(crdb.guid, { kind: 'flush' })).toMatchObject({ ok: false, reason: 'too_many_tasks' })
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
