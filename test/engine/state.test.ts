import { describe, it, expect } from 'vitest'
import { createClock, resumeTime } from '../../src/engine/clock.js'
import type { CrdbChange, CrdbDraft } from '../../src/engine/crdbs.js'
import type { Engine, EngineEvent, EngineOptions, Task, TaskError } from '../../src/engine/engine.js'
import { StateError } from '../../src/engine/records.js'
import type { EngineState } from '../../src/engine/records-schema.js'
import type { TaskRecord } from '../../src/engine/records-schema.js'
import { C, CLUSTER, Q, R, T, at, historyOf, listIds, makeEngine, mustCreate, mustGet, retainAndGet } from './helpers.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const END = Q + R + C

/** A fixed system time, so that a manual clock's exported `offset_ms` does not depend on the wall. */
const WALL = Date.UTC(2025, 5, 1, 12, 0, 0)

const iso = (ms: number): string => new Date(ms).toISOString()

const EAST = { cluster: { name: 'east.example.com', url: 'https://east.example.com:9443' } }
const WEST = { cluster: { name: 'west.example.com', url: 'https://west.example.com:9443' }, compression: 3 }
const NORTH = { cluster: { name: 'north.example.com', url: 'https://north.example.com:9443' } }
const SOUTH = { cluster: { name: 'south.example.com', url: 'https://south.example.com:9443' } }
const draft = (name: string): CrdbDraft => ({ name, instances: [EAST, WEST], default_db_config: { memory_size: 1024 } })
/** A CRDB GUID for hand-written records. */
const GUID = '0f0e0d0c-0b0a-4908-8706-050403020100'

const FAILURE: TaskError = { cluster_name: CLUSTER, error_code: 'db_not_found', description: 'The database is gone.' }
const CANCELED: TaskError = { cluster_name: CLUSTER, error_code: 'task_canceled', description: 'The task was canceled.' }

/** An engine on a manual clock standing at T, whose system time stands still at WALL. */
function makeManual (options: Partial<EngineOptions> = {}): Engine {
  return makeEngine({ clock: createClock({ mode: 'manual', start: T, systemTime: () => WALL }), ...options })
}

function mustRequest (engine: Engine, guid: string | null, change: CrdbChange, options: { id?: string } = {}): Task {
  const result = engine.requestCrdbChange(guid, change, options)
  if (!result.ok) throw new Error(`request refused: ${result.reason} (${result.detail})`)
  return result.task
}

/** A state as it would come back from a file: plain JSON, sharing nothing with the engine. */
const viaJson = (state: EngineState): EngineState => JSON.parse(JSON.stringify(state)) as EngineState

/**
 * A live task without the event queue's bookkeeping (its sequence number and heap slot); its
 * `dueAt` only while it has an event scheduled (null otherwise).
 */
function plain (task: Task): Omit<Task, 'dueSeq' | 'heapIndex' | 'dueAt'> & { dueAt: number | null } {
  const { dueSeq: _dueSeq, heapIndex, dueAt, ...rest } = task
  return { ...structuredClone(rest), dueAt: heapIndex >= 0 ? dueAt : null }
}

/** Everything a client could observe: the live tasks, in order, and the CRDBs. */
const observe = (engine: Engine): unknown => ({
  now: engine.now(),
  tasks: [...engine.list()].map(plain),
  crdbs: structuredClone([...engine.listCrdbs()])
})

type Fired = [at: number, kind: string, id: string, what: string]

/**
 * Moves the clock from event to event up to `until` (ms), noting each history entry and expiry
 * with the emulated ms at which it fired.
 */
function fireUntil (engine: Engine, until: number): Fired[] {
  const fired: Fired[] = []
  const stop = engine.subscribe((e) => {
    if (e.kind === 'history') fired.push([engine.now(), 'history', e.task.id, `${e.entry.phase}/${e.entry.cause}@${e.entry.at}`])
    if (e.kind === 'expired') fired.push([engine.now(), 'expired', e.id, ''])
  })
  for (;;) {
    const next = engine.nextEventAt()
    if (next === null || next > until) break
    engine.advance((next - engine.now()) / 1000)
  }
  stop()
  return fired
}

/**
 * An engine at T+12 s with a task in every phase, CRDB-producing tasks and a delete under way:
 *
 * - `queued`: create_crdb with a planned GUID, queued 30 s.
 * - `running-cancel`: running since T+11, a cancel accepted at T+11 takes effect at T+16.
 * - `commit`: update_crdb in commit since T+5, until T+25.
 * - `completed`: flush_crdb, completed at T+2.
 * - `failed`: failed at T+5 with its own errors, kept 100 s.
 * - `canceled`: canceled while queued at T+9.
 * - `held`: running since T, with null running and commit durations.
 * - `create-a`, `create-b`: completed at T+9, CRDBs A and B exist.
 * - `delete-a`: delete of A, running since T+11 (A refuses other changes meanwhile).
 * - `update-b`: update of B, running since T+11 (B refuses other changes meanwhile).
 * - `create-c`: create of C, running since T+11 with its GUID.
 */
function busyEngine (): { engine: Engine, guidA: string, guidB: string } {
  const engine = makeManual()
  mustCreate(engine, { id: 'queued', crdbGuid: 'planned-guid', durations: { queued: 30 } })
  mustCreate(engine, { id: 'commit', operation: 'update_crdb', crdbGuid: 'guid-u', durations: { commit: 20 }, clusters: ['x.example.com', 'y.example.com'] })
  mustCreate(engine, { id: 'completed', operation: 'flush_crdb', durations: { queued: 0, running: 1, commit: 1 } })
  mustCreate(engine, { id: 'failed', outcome: 'failed', errors: [FAILURE], resultTtl: 100, cancel: 'conflict' })
  mustCreate(engine, { id: 'held', durations: { queued: 0, running: null, commit: null }, cancelDelay: 7 })
  const a = mustRequest(engine, null, { kind: 'create', draft: draft('a') }, { id: 'create-a' })
  const b = mustRequest(engine, null, { kind: 'create', draft: draft('b') }, { id: 'create-b' })
  engine.advance(END)
  expect(a.phase).toBe('completed')
  expect(b.phase).toBe('completed')
  const guidA = a.crdbGuid as string
  const guidB = b.crdbGuid as string

  mustCreate(engine, { id: 'running-cancel', cancelDelay: 5, durations: { running: 10 } })
  mustCreate(engine, { id: 'canceled' })
  expect(engine.cancel('canceled', false).ok).toBe(true)
  mustRequest(engine, guidA, { kind: 'delete' }, { id: 'delete-a' })
  mustRequest(engine, guidB, { kind: 'update', patch: { name: 'b2', default_db_config: { shards: 2 } } }, { id: 'update-b' })
  mustRequest(engine, null, { kind: 'create', draft: draft('c') }, { id: 'create-c' })
  engine.advance(Q)
  expect(engine.cancel('running-cancel', false).ok).toBe(true)
  engine.advance(1)

  const phases = Object.fromEntries([...engine.list()].map((t) => [t.id, t.phase]))
  expect(phases).toEqual({
    queued: 'queued',
    commit: 'commit',
    completed: 'completed',
    failed: 'failed',
    held: 'running',
    'create-a': 'completed',
    'create-b': 'completed',
    'running-cancel': 'running',
    canceled: 'canceled',
    'delete-a': 'running',
    'update-b': 'running',
    'create-c': 'running'
  })
  expect(mustGet(engine, 'running-cancel').pendingCancel).toEqual({ at: at(16), force: false })
  expect(engine.getCrdb(guidA)?.activeTaskId).toBe('delete-a')
  expect(engine.getCrdb(guidB)?.activeTaskId).toBe('update-b')
  expect(engine.now()).toBe(at(12))
  return { engine, guidA, guidB }
}

describe('exportState and importState: the round trip', () => {
  it('imports an export into a fresh engine so that exporting again gives a deep-equal state', () => {
    const { engine } = busyEngine()
    const saved = engine.exportState()
    const fresh = makeManual()
    fresh.importState(viaJson(saved))
    expect(fresh.exportState()).toEqual(saved)
    expect(fresh.now()).toBe(at(12))
    expect(observe(fresh)).toEqual(observe(engine))
  })

  it('exports every field of a task at millisecond precision', () => {
    const { engine } = busyEngine()
    const saved = engine.exportState()
    expect(saved.clock).toEqual({ mode: 'manual', now: iso(at(12)), offset_ms: at(12) - WALL, scale: 1 })
    const byId = new Map((saved.tasks ?? []).map((t) => [t.id, t]))
    expect(byId.get('running-cancel')).toEqual({
      id: 'running-cancel',
      owner: CLUSTER,
      operation: 'create_crdb',
      phase: 'running',
      crdb_guid: expect.stringMatching(UUID_V4),
      planned_guid: null,
      created_at: iso(at(9)),
      phase_started_at: iso(at(11)),
      phase_ends_at: iso(at(21)),
      started_at: iso(at(11)),
      ended_at: null,
      expires_at: null,
      result_ttl: 500,
      durations: { queued: Q, running: 10, commit: C },
      outcome: 'finished',
      errors: [],
      fail_errors: [{ cluster_name: CLUSTER, error_code: 'internal_error', description: expect.any(String) }],
      cancel: 'accept',
      cancel_delay: 5,
      clusters: [CLUSTER],
      pending_cancel: { at: iso(at(16)), force: false },
      change: null,
      history: [
        { at: iso(at(9)), phase: 'queued', cause: 'created' },
        { at: iso(at(11)), phase: 'running', cause: 'duration_elapsed' },
        { at: iso(at(11)), phase: 'running', cause: 'cancel_requested' }
      ]
    })
    expect(byId.get('held')).toMatchObject({
      phase: 'running',
      phase_ends_at: null,
      durations: { queued: 0, running: null, commit: null },
      cancel_delay: 7
    })
    expect(byId.get('failed')).toMatchObject({
      phase: 'failed',
      started_at: iso(at(Q)),
      ended_at: iso(at(Q + R)),
      expires_at: iso(at(Q + R + 100)),
      result_ttl: 100,
      errors: [FAILURE],
      fail_errors: [FAILURE],
      cancel: 'conflict'
    })
    expect(byId.get('queued')).toMatchObject({ crdb_guid: null, planned_guid: 'planned-guid', phase_ends_at: iso(at(30)), started_at: null })
    expect(byId.get('delete-a')).toMatchObject({ operation: 'delete_crdb', change: { kind: 'delete' } })
    expect(saved.crdbs).toHaveLength(2)
    expect(saved.crdbs?.map((c) => [c.name, c.active_task_id])).toEqual([['a', 'delete-a'], ['b', 'update-b']])
  })

  it('keeps a millisecond that is not a whole second through the round trip', () => {
    const engine = makeManual()
    engine.advance(0.123)
    mustCreate(engine, { id: 'ms', durations: { queued: 1.5, running: 0.001, commit: 2.25 }, cancelDelay: 0.007 })
    engine.advance(1.5)
    const saved = engine.exportState()
    expect(saved.tasks?.[0]).toMatchObject({ created_at: '2026-01-01T00:00:00.123Z', phase_started_at: '2026-01-01T00:00:01.623Z', phase_ends_at: '2026-01-01T00:00:01.624Z' })
    const fresh = makeManual()
    fresh.importState(viaJson(saved))
    expect(fresh.exportState()).toEqual(saved)
    fresh.advance(0.001)
    expect(mustGet(fresh, 'ms').phase).toBe('commit')
    fresh.advance(2.249)
    expect(mustGet(fresh, 'ms').phase).toBe('commit')
    fresh.advance(0.001)
    expect(mustGet(fresh, 'ms').endedAt).toBe(at(0.123 + 1.5 + 0.001 + 2.25))
  })

  it('then moves both engines through the same states as time passes, in equal or uneven steps', () => {
    const { engine } = busyEngine()
    const fresh = makeManual()
    fresh.importState(viaJson(engine.exportState()))
    for (const seconds of [0.001, 1, 3.5, 0.499, 4, 5, 7.25, 100, 0.75, 400, 1000]) {
      engine.advance(seconds)
      fresh.advance(seconds)
      expect(observe(fresh)).toEqual(observe(engine))
    }
    // only the held task is left
    expect(listIds(fresh)).toEqual(['held'])
  })

  it('then fires every transition and expiry at the same emulated ms in both engines', () => {
    const { engine, guidA, guidB } = busyEngine()
    const fresh = makeManual()
    fresh.importState(viaJson(engine.exportState()))
    const until = at(2000)
    const original = fireUntil(engine, until)
    const restored = fireUntil(fresh, until)
    expect(restored).toEqual(original)

    const moment = (id: string, what: string): number | undefined =>
      restored.find((f) => f[2] === id && (what === 'expired' ? f[1] === 'expired' : f[3].startsWith(what)))?.[0]
    expect(moment('running-cancel', 'canceled/cancel')).toBe(at(16))
    expect(moment('delete-a', 'commit/')).toBe(at(14))
    expect(moment('delete-a', 'completed/')).toBe(at(18))
    expect(moment('commit', 'completed/')).toBe(at(25))
    expect(moment('queued', 'running/')).toBe(at(30))
    expect(moment('failed', 'expired')).toBe(at(Q + R + 100))
    expect(moment('completed', 'expired')).toBe(at(2 + 500))
    expect(moment('canceled', 'expired')).toBe(at(9 + 500))
    expect(moment('create-a', 'expired')).toBe(at(END + 500))
    expect(moment('delete-a', 'expired')).toBe(at(18 + 500))
    expect(mustGet(fresh, 'held').phase).toBe('running')
    expect(fresh.getCrdb(guidA)).toBeUndefined()
    expect(fresh.getCrdb(guidB)).toMatchObject({ name: 'b2', default_db_config: { memory_size: 1024, shards: 2 }, status: 'active' })
    expect([...fresh.listCrdbs()].map((c) => [c.name, c.status, c.activeTaskId])).toEqual([['b2', 'active', null], ['c', 'active', null]])
    expect(moment('create-c', 'completed/')).toBe(at(18))
  })

  it('then expires a task at ended + TTL - 1 ms still there and at ended + TTL gone, in both engines', () => {
    const { engine } = busyEngine()
    const fresh = makeManual()
    fresh.importState(viaJson(engine.exportState()))
    for (const e of [engine, fresh]) {
      e.advance(2 + 500 - 12 - 0.001)
      expect(e.get('completed')?.phase).toBe('completed')
      e.advance(0.001)
      expect(e.get('completed')).toBeUndefined()
    }
  })

  it('keeps the lock of each CRDB being changed after an import (a delete\'s, and now an update\'s too), and lifts it when the task ends', () => {
    const { engine, guidA, guidB } = busyEngine()
    const fresh = makeManual()
    fresh.importState(viaJson(engine.exportState()))
    for (const [guid, taskId] of [[guidA, 'delete-a'], [guidB, 'update-b']] as const) {
      const refused = fresh.requestCrdbChange(guid, { kind: 'update', patch: { name: 'z' } })
      expect(refused).toEqual({ ok: false, reason: 'crdb_not_acceptable', detail: expect.stringContaining(taskId) })
      expect(fresh.checkCrdbChange(guid, { kind: 'flush' })).toMatchObject({ ok: false, reason: 'crdb_not_acceptable' })
    }
    // both tasks complete at T+18
    fresh.advance(6 - 0.001)
    expect(fresh.getCrdb(guidB)?.activeTaskId).toBe('update-b')
    fresh.advance(0.001)
    expect(fresh.getCrdb(guidA)).toBeUndefined()
    expect(fresh.getCrdb(guidB)?.activeTaskId).toBeNull()
    expect(fresh.requestCrdbChange(guidB, { kind: 'update', patch: { name: 'z' } }).ok).toBe(true)
  })

  it('gives a task created after importing into a seeded engine an id that no restored task has', () => {
    const original = makeManual({ seed: 'state-seed' })
    const restoredTask = mustCreate(original, { durations: { queued: null } })
    const saved = original.exportState()
    const fresh = makeManual({ seed: 'state-seed' })
    fresh.importState(viaJson(saved))
    const added = mustCreate(fresh, { durations: { queued: null } })
    expect(added.id).not.toBe(restoredTask.id)
    expect(listIds(fresh)).toEqual([restoredTask.id, added.id])
  })
})

describe('exportState and importState: CRDBs', () => {
  /**
   * An engine at T+30 s with one CRDB that has been through every kind of record field:
   *
   * - created with causal consistency from east (1) and west (2), completed at T+9;
   * - `modify`: north added (3), east removed with force, completed at T+18 (configuration 2);
   * - `failing`: an update failed at T+23 naming west (configuration 3 failed);
   * - `upgrade`: running since T+29 (configuration 4 posted), holding the lock.
   */
  function richEngine (): { engine: Engine, guid: string } {
    const engine = makeManual()
    const create = mustRequest(engine, null, { kind: 'create', draft: { ...draft('rich'), encryption: true, causal_consistency: true } }, { id: 'create' })
    engine.advance(END)
    const guid = create.crdbGuid as string
    mustRequest(engine, guid, { kind: 'modify', add: [NORTH], remove: [1], forceRemove: true }, { id: 'modify' })
    engine.advance(END)
    mustRequest(engine, guid, { kind: 'update', patch: { name: 'never' } }, { id: 'failing' })
    engine.amend('failing', { outcome: 'failed', errors: [{ cluster_name: 'west.example.com', error_code: 'connection_error', description: 'West did not answer.' }] })
    engine.advance(END)
    mustRequest(engine, guid, { kind: 'upgrade', options: { redis_version: '7.4' } }, { id: 'upgrade' })
    engine.advance(Q)
    expect(mustGet(engine, 'upgrade').phase).toBe('running')
    expect(engine.now()).toBe(at(29))
    return { engine, guid }
  }

  it('exports every field of a CRDB', () => {
    const { engine, guid } = richEngine()
    expect(engine.exportState().crdbs).toEqual([{
      guid,
      name: 'rich',
      default_db_config: { memory_size: 1024 },
      instances: [{ ...WEST, id: 2, db_uid: '2' }, { ...NORTH, id: 3, db_uid: '3' }],
      encryption: true,
      causal_consistency: true,
      status: 'active',
      next_instance_id: 4,
      force_removed: [{ ...EAST, id: 1, db_uid: '1' }],
      active_config_version: 2,
      configurations: [
        { version: 1, status: 'commit-completed' },
        { version: 2, status: 'commit-completed' },
        { version: 3, status: 'failed' },
        { version: 4, status: 'posted' }
      ],
      connection_errors: { 'west.example.com': 'West did not answer.' },
      active_task_id: 'upgrade'
    }])
  })

  it('imports it into a fresh engine deep-equal, lock included, and both go on alike until the upgrade completes', () => {
    const { engine, guid } = richEngine()
    const saved = engine.exportState()
    const fresh = makeManual()
    fresh.importState(viaJson(saved))
    expect(fresh.exportState()).toEqual(saved)
    expect(observe(fresh)).toEqual(observe(engine))
    expect(fresh.getCrdb(guid)).toEqual(engine.getCrdb(guid))
    expect(fresh.requestCrdbChange(guid, { kind: 'flush' })).toEqual({ ok: false, reason: 'crdb_not_acceptable', detail: expect.stringContaining('upgrade') })
    expect(fresh.checkCrdbChange(guid, { kind: 'purge', instances: [1] })).toMatchObject({ ok: false, reason: 'crdb_not_acceptable' })

    for (const seconds of [R, 0.001, C - 0.002, 0.001, 100]) {
      engine.advance(seconds)
      fresh.advance(seconds)
      expect(observe(fresh)).toEqual(observe(engine))
    }
    expect(fresh.getCrdb(guid)).toMatchObject({
      default_db_config: { memory_size: 1024, redis_version: '7.4' },
      activeConfigVersion: 4,
      configurations: [
        { version: 1, status: 'commit-completed' },
        { version: 2, status: 'commit-completed' },
        { version: 3, status: 'failed' },
        { version: 4, status: 'commit-completed' }
      ],
      connectionErrors: {},
      activeTaskId: null
    })
    // ids go on from the saved next id, and the force-removed one can still be purged
    for (const e of [engine, fresh]) {
      mustRequest(e, guid, { kind: 'modify', add: [SOUTH] }, { id: 'add-south' })
      e.advance(END)
      mustRequest(e, guid, { kind: 'purge', instances: [1] }, { id: 'purge-east' })
      e.advance(END)
    }
    expect(observe(fresh)).toEqual(observe(engine))
    expect(fresh.getCrdb(guid)).toMatchObject({
      instances: [{ id: 2 }, { id: 3 }, { ...SOUTH, id: 4, db_uid: '4' }],
      forceRemoved: [],
      nextInstanceId: 5
    })
  })

  it('reads an old record\'s deleting_task_id as active_task_id, and exports it as active_task_id', () => {
    const engine = makeManual()
    engine.importState({
      tasks: [{ id: 'del', operation: 'delete_crdb', phase: 'running', crdb_guid: GUID, change: { kind: 'delete' } }],
      crdbs: [{ guid: GUID, name: 'old', instances: [EAST, WEST], deleting_task_id: 'del' }]
    })
    expect(engine.getCrdb(GUID)?.activeTaskId).toBe('del')
    const [record] = engine.exportState().crdbs ?? []
    expect(record?.active_task_id).toBe('del')
    expect(Object.keys(record ?? {})).not.toContain('deleting_task_id')
    expect(engine.requestCrdbChange(GUID, { kind: 'update', patch: {} })).toEqual({ ok: false, reason: 'crdb_not_acceptable', detail: expect.stringContaining('del') })
    engine.advance(R + C)
    expect(mustGet(engine, 'del').phase).toBe('completed')
    expect(engine.getCrdb(GUID)).toBeUndefined()
    // active_task_id wins over deleting_task_id when a record has both
    engine.importState({ crdbs: [{ guid: GUID, name: 'both', instances: [EAST, WEST], active_task_id: 'new', deleting_task_id: 'old' }] })
    expect(engine.getCrdb(GUID)?.activeTaskId).toBe('new')
  })

  it('fills in a hand-written record: instance ids 1, 2, ... in order (force-removed ones after), and the defaults of the other fields', () => {
    const engine = makeManual()
    engine.importState({ crdbs: [{ guid: GUID, name: 'hand', instances: [EAST, WEST, NORTH], force_removed: [SOUTH] }] })
    expect(engine.getCrdb(GUID)).toEqual({
      guid: GUID,
      name: 'hand',
      default_db_config: {},
      instances: [{ ...EAST, id: 1, db_uid: '1' }, { ...WEST, id: 2, db_uid: '2' }, { ...NORTH, id: 3, db_uid: '3' }],
      encryption: false,
      causal_consistency: false,
      status: 'active',
      nextInstanceId: 5,
      forceRemoved: [{ ...SOUTH, id: 4, db_uid: '4' }],
      activeConfigVersion: 1,
      configurations: [{ version: 1, status: 'commit-completed' }],
      connectionErrors: {},
      activeTaskId: null
    })
    // and it takes changes like any other
    const task = mustRequest(engine, GUID, { kind: 'modify', remove: [2], add: [{ cluster: { name: 'up.example.com', url: 'https://up.example.com:9443' } }] })
    engine.advance(END)
    expect(task.phase).toBe('completed')
    expect(engine.getCrdb(GUID)).toMatchObject({ instances: [{ id: 1 }, { id: 3 }, { id: 5, db_uid: '5' }], nextInstanceId: 6, activeConfigVersion: 2 })
  })

  it('keeps a saved next_instance_id above the ids it lists, and never goes below them', () => {
    const engine = makeManual()
    engine.importState({
      crdbs: [
        { guid: GUID, name: 'ahead', instances: [{ ...EAST, id: 2 }, { ...WEST, id: 5 }], next_instance_id: 7 },
        { guid: 'behind', name: 'behind', instances: [{ ...EAST, id: 1 }, { ...WEST, id: 5 }], next_instance_id: 2 }
      ]
    })
    expect(engine.getCrdb(GUID)).toMatchObject({ instances: [{ id: 2, db_uid: '2' }, { id: 5, db_uid: '5' }], nextInstanceId: 7 })
    expect(engine.getCrdb('behind')?.nextInstanceId).toBe(6)
    mustRequest(engine, GUID, { kind: 'modify', add: [NORTH] })
    engine.advance(END)
    expect(engine.getCrdb(GUID)?.instances.map((i) => i.id)).toEqual([2, 5, 7])
  })
})

describe('importState: what fell due meanwhile', () => {
  it('runs a running task whose phase began 20 s ago (running 10, commit 3) to completion at its due times', () => {
    const engine = makeManual()
    engine.advance(100)
    const now = at(100)
    engine.importState({ tasks: [{ id: 'late', phase: 'running', phase_started_at: -20, durations: { running: 10, commit: 3 } }] })
    const task = mustGet(engine, 'late')
    expect(task.phase).toBe('completed')
    expect(task.startedAt).toBe(now - 20_000)
    expect(task.endedAt).toBe(now - 20_000 + 13_000)
    expect(task.expiresAt).toBe(now - 7_000 + 500_000)
    expect(task.errors).toEqual([])
    expect(historyOf(task)).toEqual([
      [now - 20_000, 'queued', 'created'],
      [now - 20_000, 'running', 'loaded'],
      [now - 10_000, 'commit', 'duration_elapsed'],
      [now - 7_000, 'completed', 'duration_elapsed']
    ])
    expect(engine.now()).toBe(now)
  })

  it('fires the events of several tasks in time order, each stamped with its own due time', () => {
    const engine = makeManual()
    const events: EngineEvent[] = []
    engine.subscribe((e) => { events.push(e) })
    engine.importState({
      clock: { mode: 'manual', now: iso(at(1000)) },
      tasks: [
        { id: 'a', phase: 'running', phase_started_at: -20, durations: { running: 10, commit: 3 } },
        { id: 'b', phase: 'queued', created_at: -15, durations: { queued: 6, running: 10 } },
        { id: 'c', phase: 'completed', ended_at: -600 },
        { id: 'd', phase: 'running', phase_started_at: -30, durations: { running: 100 }, cancel_delay: 5, pending_cancel: { at: -12, force: true } }
      ]
    })
    const now = at(1000)
    const seen = events.map((e) =>
      e.kind === 'history' ? `${e.task.id} ${e.entry.phase} ${e.entry.cause} ${(e.entry.at - now) / 1000}` : e.kind === 'expired' ? `${e.id} expired` : e.what)
    expect(seen).toEqual([
      'state loaded',
      'c expired',
      'd canceled force_cancel -12',
      'a commit duration_elapsed -10',
      'b running duration_elapsed -9',
      'a completed duration_elapsed -7'
    ])
    expect(mustGet(engine, 'b')).toMatchObject({ phase: 'running', startedAt: now - 9_000, phaseEndsAt: now + 1_000 })
    expect(mustGet(engine, 'd')).toMatchObject({ phase: 'canceled', endedAt: now - 12_000, pendingCancel: null })
    expect(engine.get('c')).toBeUndefined()
    expect(listIds(engine)).toEqual(['a', 'b', 'd'])
    engine.advance(1)
    expect(mustGet(engine, 'b').phase).toBe('commit')
  })

  it('fires what fell due while a saved manual clock is loaded into an engine whose clock is elsewhere', () => {
    const original = makeManual()
    mustCreate(original, { id: 't' })
    original.advance(1)
    const saved = original.exportState()
    // the later load runs at the saved time, not the fresh engine's
    const fresh = makeEngine({ clock: createClock({ mode: 'manual', start: T + 86_400_000, systemTime: () => WALL }) })
    fresh.importState(viaJson(saved))
    expect(fresh.now()).toBe(at(1))
    expect(mustGet(fresh, 't').phase).toBe('queued')
    fresh.advance(1)
    expect(mustGet(fresh, 't')).toMatchObject({ phase: 'running', startedAt: at(Q) })
  })
})

describe('importState: the clock', () => {
  it('resumes a manual clock at its saved now, even earlier than the engine\'s now', () => {
    const engine = makeManual()
    engine.advance(50)
    engine.importState({ clock: { mode: 'manual', now: iso(at(12.345)), offset_ms: 999_999 } })
    expect(engine.now()).toBe(at(12.345))
    engine.importState({ clock: { mode: 'manual', now: '2025-12-31T23:59:00Z' } })
    expect(engine.now()).toBe(T - 60_000)
  })

  it('leaves the clock alone when the state has none', () => {
    const engine = makeManual()
    engine.advance(7)
    engine.importState({ tasks: [{ id: 'x' }] })
    expect(engine.now()).toBe(at(7))
    expect(mustGet(engine, 'x').createdAt).toBe(at(7))
  })

  it('resumeTime: a manual clock resumes at its saved now, whatever its offset', () => {
    expect(resumeTime({ mode: 'manual', now: T, offsetMs: 123 }, () => 5)).toBe(T)
    expect(resumeTime({ now: T }, () => 5)).toBe(T)
    expect(resumeTime({}, () => 5)).toBeUndefined()
  })

  it('resumeTime: a real clock resumes at the system time plus its saved offset', () => {
    expect(resumeTime({ mode: 'real', now: T, offsetMs: 5_000 }, () => 1_000_000)).toBe(1_005_000)
    expect(resumeTime({ mode: 'real', now: T, offsetMs: -250 }, () => 1_000_000)).toBe(999_750)
    // rounded to the nearest ms, as the offset was when saved, so a save and resume lose nothing
    expect(resumeTime({ mode: 'real', now: T, offsetMs: 100 }, () => 1_000.7)).toBe(1_101)
    // without an offset, a real clock falls back to its saved now
    expect(resumeTime({ mode: 'real', now: T }, () => 1_000_000)).toBe(T)
  })

  it('resumeTime: a real clock saved and resumed with no system time passing is at the same ms', () => {
    const system = 1_000_000.7
    const clock = createClock({ mode: 'real', start: T, systemTime: () => system })
    expect(clock.now()).toBe(T)
    expect(resumeTime({ mode: 'real', now: clock.now(), offsetMs: clock.offsetFromSystem() }, () => system)).toBe(T)
  })

  it('resumes a real clock at the engine clock\'s system time plus the saved offset', () => {
    let system = Date.UTC(2030, 0, 1)
    const engine = makeEngine({ clock: createClock({ mode: 'real', start: T, systemTime: () => system }) })
    engine.importState({ clock: { mode: 'real', now: iso(T), offset_ms: 5_000 } })
    expect(engine.now()).toBe(Date.UTC(2030, 0, 1) + 5_000)
    system += 1_000
    expect(engine.now()).toBe(Date.UTC(2030, 0, 1) + 6_000)
  })

  it('lets the time a real-clock emulator was down pass, firing what fell due in order', () => {
    const down = Date.UTC(2030, 0, 1)
    const original = makeEngine({ clock: createClock({ mode: 'real', start: T, systemTime: () => down }) })
    mustCreate(original, { id: 't' })
    const saved = original.exportState()
    expect(saved.clock).toEqual({ mode: 'real', now: iso(T), offset_ms: T - down, scale: 1 })
    // back up 6 s of wall time later
    const fresh = makeEngine({ clock: createClock({ mode: 'real', start: T, systemTime: () => down + 6_000 }) })
    fresh.importState(viaJson(saved))
    expect(fresh.now()).toBe(at(6))
    expect(historyOf(mustGet(fresh, 't'))).toEqual([
      [T, 'queued', 'created'],
      [at(Q), 'running', 'duration_elapsed'],
      [at(Q + R), 'commit', 'duration_elapsed']
    ])
  })
})

describe('importState: hand-written fixture records', () => {
  /** An engine at T that has loaded these records (no clock in the state). */
  function loaded (tasks: TaskRecord[], options: Partial<EngineOptions> = {}): Engine {
    const engine = makeManual(options)
    engine.importState({ tasks })
    return engine
  }

  it('fills in a bare { phase: "running" } from the defaults, begun now, with a create_crdb GUID', () => {
    const engine = loaded([{ phase: 'running' }])
    const [task] = [...engine.list()]
    expect(plain(task as Task)).toEqual({
      id: expect.stringMatching(UUID_V4),
      owner: CLUSTER,
      operation: 'create_crdb',
      crdbGuid: expect.stringMatching(UUID_V4),
      plannedGuid: null,
      phase: 'running',
      createdAt: T,
      phaseStartedAt: T,
      phaseEndsAt: at(R),
      startedAt: T,
      endedAt: null,
      expiresAt: null,
      resultTtl: 500,
      durations: [Q * 1000, R * 1000, C * 1000],
      outcome: 'finished',
      failErrors: [{ cluster_name: CLUSTER, error_code: 'internal_error', description: expect.any(String) }],
      errors: [],
      cancelPolicy: 'accept',
      cancelDelay: 0,
      clusters: [CLUSTER],
      change: null,
      pendingCancel: null,
      history: [{ at: T, phase: 'queued', cause: 'created' }, { at: T, phase: 'running', cause: 'loaded' }],
      dueAt: at(R)
    })
    expect(task?.id).not.toBe(task?.crdbGuid)
    engine.advance(R)
    expect(task?.phase).toBe('commit')
    engine.advance(C)
    expect(task).toMatchObject({ phase: 'completed', endedAt: at(R + C) })
  })

  it('fills in a bare queued record: queued now, no GUID yet, a history of its creation only', () => {
    const engine = loaded([{ id: 'q' }])
    const task = mustGet(engine, 'q')
    expect(task).toMatchObject({ phase: 'queued', createdAt: T, phaseStartedAt: T, phaseEndsAt: at(Q), startedAt: null, crdbGuid: null })
    expect(historyOf(task)).toEqual([[T, 'queued', 'created']])
    engine.advance(Q)
    expect(task.crdbGuid).toMatch(UUID_V4)
  })

  it('gives a bare commit record a started time of now and no GUID for a flush', () => {
    const engine = loaded([{ id: 'f', phase: 'commit', operation: 'flush_crdb' }])
    expect(mustGet(engine, 'f')).toMatchObject({ phase: 'commit', startedAt: T, phaseEndsAt: at(C), crdbGuid: null })
  })

  it('ends { phase: "completed", ended_at: -100 } 100 s ago and keeps it for the default 500 s after that', () => {
    const engine = loaded([{ id: 'done', phase: 'completed', ended_at: -100 }])
    const task = mustGet(engine, 'done')
    expect(task).toMatchObject({ phase: 'completed', endedAt: at(-100), startedAt: at(-100), expiresAt: at(400), errors: [] })
    expect(task.crdbGuid).toMatch(UUID_V4)
    expect(historyOf(task)).toEqual([[at(-100), 'queued', 'created'], [at(-100), 'completed', 'loaded']])
    engine.advance(399.999)
    expect(engine.get('done')).toBe(task)
    engine.advance(0.001)
    expect(engine.get('done')).toBeUndefined()
  })

  it('drops a completed record right after import when it ended longer ago than the result TTL', () => {
    expect(listIds(loaded([{ id: 'done', phase: 'completed', ended_at: -100 }], { resultTtl: 50 }))).toEqual([])
    expect(listIds(loaded([{ id: 'done', phase: 'completed', ended_at: -100, result_ttl: 50 }]))).toEqual([])
    expect(listIds(loaded([{ id: 'done', phase: 'completed', ended_at: -100, result_ttl: 101 }]))).toEqual(['done'])
  })

  it('gives a bare canceled record the task_canceled error and no started time', () => {
    const engine = loaded([{ id: 'x', phase: 'canceled' }])
    const task = mustGet(engine, 'x')
    expect(task).toMatchObject({ phase: 'canceled', startedAt: null, endedAt: T, expiresAt: at(500), crdbGuid: null, errors: [CANCELED] })
    expect(historyOf(task)).toEqual([[T, 'queued', 'created'], [T, 'canceled', 'loaded']])
  })

  it('shows the fail_errors of a failed record as its errors', () => {
    const engine = loaded([{ id: 'x', phase: 'failed', fail_errors: [FAILURE] }])
    const task = mustGet(engine, 'x')
    expect(task).toMatchObject({ phase: 'failed', endedAt: T, startedAt: null, errors: [FAILURE], failErrors: [FAILURE] })
    expect(historyOf(task)).toEqual([[T, 'queued', 'created'], [T, 'failed', 'loaded']])
  })

  it('reads relative times as seconds from the state clock\'s now', () => {
    const engine = makeManual()
    engine.importState({
      clock: { mode: 'manual', now: iso(at(1000)) },
      tasks: [{ id: 'r', phase: 'running', created_at: -30, started_at: -5, phase_ends_at: 60 }]
    })
    expect(mustGet(engine, 'r')).toMatchObject({ createdAt: at(970), phaseStartedAt: at(995), startedAt: at(995), phaseEndsAt: at(1060) })
    expect(historyOf(mustGet(engine, 'r'))).toEqual([[at(970), 'queued', 'created'], [at(995), 'running', 'loaded']])
  })

  it('keeps a record\'s own history, errors and GUIDs as given', () => {
    const engine = loaded([{
      id: 'u',
      operation: 'update_crdb',
      crdb_guid: 'g-1',
      phase: 'running',
      history: [{ at: -3, phase: 'queued', cause: 'created' }, { at: -1, phase: 'running', cause: 'step' }]
    }])
    expect(mustGet(engine, 'u').crdbGuid).toBe('g-1')
    expect(historyOf(mustGet(engine, 'u'))).toEqual([[at(-3), 'queued', 'created'], [at(-1), 'running', 'step']])
  })
})

describe('importState: refusals leave the engine untouched', () => {
  /** An engine at T+12 with tasks, CRDBs and a listener counting events. */
  function setUp (options: Partial<EngineOptions> = {}): { engine: Engine, events: EngineEvent[] } {
    const engine = makeManual({ maxTasks: 20, ...options })
    mustCreate(engine, { id: 'keep-1' })
    mustRequest(engine, null, { kind: 'create', draft: draft('a') }, { id: 'keep-2' })
    engine.advance(12)
    mustCreate(engine, { id: 'keep-3', durations: { queued: null } })
    const events: EngineEvent[] = []
    engine.subscribe((e) => { events.push(e) })
    return { engine, events }
  }

  const elsewhere = { mode: 'manual' as const, now: iso(at(999_999)) }

  const cases: Array<[string, EngineState, RegExp]> = [
    ['a task id listed twice', { clock: elsewhere, tasks: [{ id: 'a' }, { id: 'a' }] }, /^tasks\[1\]\.id "a"/],
    ['a CRDB GUID listed twice', {
      clock: elsewhere,
      tasks: [{ id: 'a' }],
      crdbs: [{ guid: 'g', name: 'x', instances: [EAST] }, { guid: 'g', name: 'y', instances: [WEST] }]
    }, /^crdbs\[1\]\.guid "g"/],
    ['an instance id listed twice in a CRDB', {
      clock: elsewhere,
      crdbs: [
        { guid: 'fine', name: 'x', instances: [{ ...EAST, id: 1 }, { ...WEST, id: 2 }] },
        { guid: 'g', name: 'y', instances: [{ ...EAST, id: 1 }, { ...WEST, id: 1 }] }
      ]
    }, /^crdbs\[1\]\.instances/],
    ['an instance id both a member and force-removed', {
      clock: elsewhere,
      crdbs: [{ guid: 'g', name: 'x', instances: [{ ...EAST, id: 2 }, WEST], force_removed: [{ ...NORTH, id: 2 }] }]
    }, /^crdbs\[0\]\.instances/],
    ['more tasks than maxTasks', { clock: elsewhere, tasks: Array.from({ length: 21 }, (_, i) => ({ id: `t${i}` })) }, /21 tasks.*--max-tasks \(20\)/],
    ['a pending_cancel on a queued task', {
      clock: elsewhere,
      tasks: [{ id: 'a', phase: 'running', pending_cancel: { at: 1, force: false } }, { id: 'b', phase: 'queued', pending_cancel: { at: 1, force: false } }]
    }, /^tasks\[1\]\.pending_cancel /],
    ['a pending_cancel on a completed task', { tasks: [{ id: 'a', phase: 'completed', pending_cancel: { at: 1, force: true } }] }, /^tasks\[0\]\.pending_cancel /],
    ['a time with month 13', { clock: elsewhere, tasks: [{ id: 'a' }, { id: 'b', created_at: '2026-13-01T00:00:00Z' }] }, /^tasks\[1\]\.created_at /],
    ['a time that is not a time', { tasks: [{ id: 'a', phase: 'completed', ended_at: 'yesterday' }] }, /^tasks\[0\]\.ended_at /],
    ['an invalid history time', {
      tasks: [{ id: 'a', history: [{ at: -1, phase: 'queued', cause: 'created' }, { at: '2026-01-01T25:00:00Z', phase: 'running', cause: 'step' }] }]
    }, /^tasks\[0\]\.history\[1\]\.at /],
    ['an invalid pending cancel time', { tasks: [{ id: 'a', phase: 'running', pending_cancel: { at: 'soon', force: false } }] }, /^tasks\[0\]\.pending_cancel\.at /],
    ['an invalid phase_ends_at', { tasks: [{ id: 'a', phase: 'running', phase_ends_at: '2026-01-01T00:00:99Z' }] }, /^tasks\[0\]\.phase_ends_at /],
    ['the 30th of February', { tasks: [{ id: 'a', phase: 'completed', ended_at: '2026-02-30T00:00:00Z' }] }, /^tasks\[0\]\.ended_at /],
    ['an invalid clock now', { clock: { mode: 'manual', now: '2026-13-01T00:00:00Z' }, tasks: [{ id: 'a' }] }, /clock\.now/]
  ]

  for (const [what, state, message] of cases) {
    it(`refuses ${what} with a StateError naming the field, and changes nothing`, () => {
      const { engine, events } = setUp()
      const before = engine.exportState()
      const changes = engine.changes
      let thrown: unknown
      try {
        engine.importState(state)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(StateError)
      expect((thrown as StateError).message).toMatch(message)
      expect(engine.exportState()).toEqual(before)
      expect(engine.now()).toBe(at(12))
      expect(listIds(engine)).toEqual(['keep-1', 'keep-2', 'keep-3'])
      expect(engine.changes).toBe(changes)
      expect(events).toEqual([])
      // and it goes on as before
      engine.advance(1_000)
      expect(listIds(engine)).toEqual(['keep-3'])
    })
  }

  it('accepts exactly maxTasks tasks', () => {
    const { engine } = setUp()
    engine.importState({ tasks: Array.from({ length: 20 }, (_, i) => ({ id: `t${i}` })) })
    expect(engine.size).toBe(20)
    expect(engine.create({}).ok).toBe(false)
  })

  it('does not move a seeded id sequence when it refuses a state', () => {
    const refused = makeManual({ seed: 'ids' })
    const untouched = makeManual({ seed: 'ids' })
    expect(() => { refused.importState({ tasks: [{ phase: 'running' }, { phase: 'queued', pending_cancel: { at: 1, force: false } }] }) }).toThrow(StateError)
    expect(mustCreate(refused).id).toBe(mustCreate(untouched).id)
  })
})

describe('the changes counter and the listener', () => {
  function watched (): { engine: Engine, events: EngineEvent[], count: () => number } {
    const engine = makeManual()
    const events: EngineEvent[] = []
    engine.subscribe((e) => { events.push(e) })
    let seen = engine.changes
    /** How many changes were counted since the last call. */
    const count = (): number => {
      const n = engine.changes - seen
      seen = engine.changes
      return n
    }
    return { engine, events, count }
  }

  it('counts one change per event, and one per clock move, and tells the listener of each', () => {
    const { engine, events, count } = watched()
    const task = mustCreate(engine, { id: 'a', cancelDelay: 1 })
    expect(count()).toBe(1)
    expect(events).toEqual([{ kind: 'history', task, entry: { at: T, phase: 'queued', cause: 'created' } }])

    engine.advance(Q)
    expect(count()).toBe(2)
    expect(events.at(-2)).toEqual({ kind: 'changed', what: 'clock advanced' })
    expect(events.at(-1)).toEqual({ kind: 'history', task, entry: { at: at(Q), phase: 'running', cause: 'duration_elapsed' } })

    expect(engine.cancel('a', false).ok).toBe(true)
    expect(count()).toBe(1)
    expect(events.at(-1)).toEqual({ kind: 'history', task, entry: { at: at(Q), phase: 'running', cause: 'cancel_requested' } })

    engine.advance(1)
    expect(count()).toBe(2)
    expect(events.at(-1)).toEqual({ kind: 'history', task, entry: { at: at(Q + 1), phase: 'canceled', cause: 'cancel' } })

    engine.advance(500)
    expect(count()).toBe(2)
    expect(events.at(-1)).toEqual({ kind: 'expired', id: 'a' })
    expect(events).toHaveLength(8)
  })

  it('counts a cancel at once, a step, an amendment, a result TTL change, a reset and an import', () => {
    const { engine, events, count } = watched()
    mustCreate(engine, { id: 'a' })
    mustCreate(engine, { id: 'b' })
    count()
    events.length = 0

    expect(engine.cancel('a', true).ok).toBe(true)
    expect(count()).toBe(1)
    expect(events).toEqual([{ kind: 'history', task: expect.objectContaining({ id: 'a' }), entry: { at: T, phase: 'canceled', cause: 'force_cancel' } }])

    expect(engine.step('b').ok).toBe(true)
    expect(count()).toBe(1)
    expect(events.at(-1)).toMatchObject({ kind: 'history', entry: { at: T, phase: 'running', cause: 'step' } })

    expect(engine.amend('b', { outcome: 'failed' }).ok).toBe(true)
    expect(count()).toBe(1)
    expect(events.at(-1)).toMatchObject({ kind: 'changed' })

    expect(retainAndGet(engine, 'a', 30)?.expiresAt).toBe(at(30))
    expect(count()).toBe(1)
    expect(events.at(-1)).toMatchObject({ kind: 'changed' })

    engine.reset()
    expect(count()).toBe(1)
    expect(events.at(-1)).toMatchObject({ kind: 'changed', what: 'reset' })

    engine.importState({ tasks: [{ id: 'c' }] })
    expect(count()).toBe(1)
    expect(events.at(-1)).toMatchObject({ kind: 'changed', what: 'state loaded' })
  })

  it('counts an import and every event that fell due during it', () => {
    const { engine, events, count } = watched()
    engine.importState({ tasks: [{ id: 'late', phase: 'running', phase_started_at: -20, durations: { running: 10, commit: 3 } }, { id: 'gone', phase: 'failed', ended_at: -600 }] })
    expect(events.map((e) => e.kind)).toEqual(['changed', 'expired', 'history', 'history'])
    expect(count()).toBe(4)
  })

  it('counts an amendment whose new duration ends the phase at once, and the transition it causes', () => {
    const { engine, events, count } = watched()
    const task = mustCreate(engine, { id: 'a' })
    engine.advance(1)
    count()
    events.length = 0
    expect(engine.amend('a', { durations: { queued: 0.5 } }).ok).toBe(true)
    expect(count()).toBe(2)
    expect(events).toEqual([
      { kind: 'changed', what: expect.any(String) },
      { kind: 'history', task, entry: { at: at(1), phase: 'running', cause: 'duration_elapsed' } }
    ])
  })

  it('counts a clock move that fires nothing, so that a saved clock never goes back (it used not to)', () => {
    const { engine, events, count } = watched()
    engine.advance(1)
    expect(count()).toBe(1)
    expect(events).toEqual([{ kind: 'changed', what: 'clock advanced' }])
  })

  it('counts nothing when nothing changes: reads, settles with nothing due, refused requests', () => {
    const { engine, events, count } = watched()
    mustCreate(engine, { id: 'a' })
    engine.advance(END + 1)
    count()
    events.length = 0
    expect([...engine.list()]).toHaveLength(1)
    engine.get('a')
    engine.exportState()
    expect(engine.cancel('a', true).ok).toBe(false)
    expect(engine.cancel('nope', false).ok).toBe(false)
    expect(engine.create({ id: 'a' }).ok).toBe(false)
    expect(engine.step('a').ok).toBe(false)
    expect(engine.amend('a', { outcome: 'failed' }).ok).toBe(false)
    expect(count()).toBe(0)
    expect(events).toEqual([])
  })
})
