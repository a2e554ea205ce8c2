import { describe, it, expect } from 'vitest'
import { exportClusterState, importClusterState, type ClusterOptions, type FakeCluster } from '../../src/emulator/cluster.js'
import { NamespaceRegistry } from '../../src/emulator/namespaces.js'
import { joinText } from '../../src/emulator/state-file.js'
import { StateError } from '../../src/engine/records.js'
import type { FaultRequest, FaultRuleInput } from '../../src/emulator/faults.js'
import { STATE_FORMAT, type ClusterState, type State } from '../../src/emulator/state-schema.js'

const OPTIONS: ClusterOptions = {
  clock: 'manual',
  timeScale: 1,
  clusterName: 'cluster-s.example.com',
  durations: { queued: 2, running: 3, commit: 4 },
  resultTtl: 500,
  maxTasks: 100,
  journalSize: 10
}

const BUSY: FaultRuleInput = { match: { method: 'GET', path: '/v1/crdb_tasks/*' }, action: { status: 503, error_code: 'cluster_busy', description: 'Busy.' }, times: 2 }
const SLOW: FaultRuleInput = { match: { user: 'a@example.com' }, action: { delay_ms: [100, 300] }, probability: 0.25 }
const DROP: FaultRuleInput = { match: { phase: 'commit' }, action: { drop: true } }

const request = (path: string, user?: string): FaultRequest => ({ method: 'GET', path, user, cluster: 'cluster-a', phase: () => undefined })

/** The namespaces of one emulator; their default cluster has the given fault rules. */
function makeRegistry (faults: FaultRuleInput[] = []): NamespaceRegistry {
  return new NamespaceRegistry({ cluster: { ...OPTIONS, faults }, maxNamespaces: 10, idleTtlMs: 3_600_000, now: () => 0 })
}

/** A cluster with two tasks and three fault rules, the first hit twice (its limit), the others never. */
function busyRegistry (): NamespaceRegistry {
  const registry = makeRegistry([BUSY, SLOW, DROP])
  const cluster = registry.default
  cluster.engine.create({ id: 'a' })
  cluster.engine.advance(3)
  cluster.engine.create({ id: 'b', durations: { queued: null } })
  // no request is from a@example.com, so SLOW never matches and nothing is drawn at random
  expect(cluster.faults.pick(request('/v1/crdb_tasks/a'))).toEqual(BUSY.action)
  expect(cluster.faults.pick(request('/v1/crdb_tasks/b'))).toEqual(BUSY.action)
  expect(cluster.faults.pick(request('/v1/crdb_tasks/b'))).toBeUndefined()
  return registry
}
const busyCluster = (): FakeCluster => busyRegistry().default

/** A cluster's state without what depends on the wall clock (a manual clock's offset from it). */
function comparable (state: ClusterState): ClusterState {
  const { offset_ms: _offset, ...clock } = state.clock ?? {}
  return { ...state, clock }
}

/** Everything observable of a cluster but the wall clock: tasks, CRDBs, emulated now, faults. */
const snapshot = (cluster: FakeCluster): ClusterState => comparable(structuredClone(exportClusterState(cluster)))

const viaJson = (state: State): State => JSON.parse(JSON.stringify(state)) as State

describe('exportState and applyState of a cluster', () => {
  it('exports the state file shape: the format, when it was saved and the default namespace', () => {
    const state = busyRegistry().exportState()
    expect(state.format).toBe(STATE_FORMAT)
    expect(Date.parse(state.saved_at as string)).not.toBeNaN()
    expect(Object.keys(state.namespaces)).toEqual(['default'])
    expect(state.namespaces.default?.tasks?.map((t) => [t.id, t.phase])).toEqual([['a', 'running'], ['b', 'queued']])
    expect(state.namespaces.default?.faults).toEqual([
      { id: 'fault-1', ...BUSY, probability: 1, hits: 2 },
      { id: 'fault-2', ...SLOW, hits: 0 },
      { id: 'fault-3', ...DROP, probability: 1, hits: 0 }
    ])
  })

  it('round-trips fault rules with their ids and hit counts, and the tasks and clock with them', () => {
    const registry = busyRegistry()
    const cluster = registry.default
    const state = registry.exportState()
    const restoredRegistry = makeRegistry()
    restoredRegistry.applyState(viaJson(state))
    const restored = restoredRegistry.default
    expect(restored.faults.list()).toEqual(cluster.faults.list())
    expect(snapshot(restored)).toEqual(snapshot(cluster))
    expect(restored.engine.now()).toBe(cluster.engine.now())
    // the restored hit count holds: BUSY has used its two hits
    expect(restored.faults.pick(request('/v1/crdb_tasks/a'))).toBeUndefined()
  })

  it('replaces the rules a cluster had with the restored ones', () => {
    const restoredRegistry = makeRegistry([DROP, DROP, DROP, DROP])
    restoredRegistry.applyState(viaJson(busyRegistry().exportState()))
    const restored = restoredRegistry.default
    expect(restored.faults.list().map((r) => [r.id, r.hits])).toEqual([['fault-1', 2], ['fault-2', 0], ['fault-3', 0]])
  })

  it('gives a rule added after a restore an id that was not restored', () => {
    const restoredRegistry = makeRegistry()
    restoredRegistry.applyState(viaJson(busyRegistry().exportState()))
    const restored = restoredRegistry.default
    const added = restored.faults.add(DROP)
    expect(['fault-1', 'fault-2', 'fault-3']).not.toContain(added?.id)
    expect(new Set(restored.faults.list().map((r) => r.id)).size).toBe(4)
  })

  it('gives a new rule an id above a restored hand-written one, however high', () => {
    const registry = makeRegistry()
    const cluster = registry.default
    registry.applyState({ namespaces: { default: { faults: [{ id: 'fault-41', ...DROP }, { id: 'mine', ...BUSY, hits: 1 }] } } })
    expect(cluster.faults.list().map((r) => [r.id, r.hits])).toEqual([['fault-41', 0], ['mine', 1]])
    expect(cluster.faults.add(SLOW)?.id).toBe('fault-42')
  })

  it('gives every restored rule a distinct id when rules without an id come before rules with one', () => {
    const registry = makeRegistry()
    const cluster = registry.default
    registry.applyState({ namespaces: { default: { faults: [{ ...DROP }, { id: 'fault-1', ...BUSY }] } } })
    const ids = cluster.faults.list().map((r) => r.id)
    expect(ids).toHaveLength(2)
    expect(new Set(ids).size).toBe(2)
    expect(ids[1]).toBe('fault-1')
    const added = cluster.faults.add(SLOW)?.id
    expect(ids).not.toContain(added)
  })

  it('keeps 1 000 fault rules at most: the next is refused, and a state with more is not loaded', () => {
    const registry = makeRegistry()
    const faults = registry.default.faults
    for (let i = 0; i < 1000; i++) expect(faults.add(DROP)).toBeDefined()
    expect(faults.add(DROP)).toBeUndefined()
    expect(faults.size).toBe(1000)
    expect(() => { registry.applyState({ namespaces: { default: { faults: Array.from({ length: 1001 }, () => ({ ...DROP })) } } }) }).toThrow(StateError)
  })

  it('clears the faults and tasks of a cluster when the state has an empty default namespace', () => {
    const registry = busyRegistry()
    const cluster = registry.default
    const now = cluster.engine.now()
    registry.applyState({ namespaces: { default: {} } })
    expect(cluster.faults.list()).toEqual([])
    expect([...cluster.engine.list()]).toEqual([])
    expect(cluster.engine.now()).toBe(now)
  })
})

describe('applyState refusals', () => {
  it('refuses a state whose second namespace is bad with a StateError, and changes no namespace', () => {
    const registry = busyRegistry()
    const cluster = registry.default
    const before = snapshot(cluster)
    const other = viaJson(busyRegistry().exportState())
    other.namespaces = { default: { tasks: [{ id: 'new' }], faults: [] }, staging: { tasks: [{ id: 'x' }, { id: 'x' }] } }
    expect(() => { registry.applyState(other) }).toThrow(StateError)
    expect(() => { registry.applyState(other) }).toThrow(/^namespaces\.staging\.tasks\[1\]\.id/)
    expect(snapshot(cluster)).toEqual(before)
    expect(cluster.faults.size).toBe(3)
    expect(registry.list().map((ns) => ns.name)).toEqual(['default'])
  })

  it('refuses a bad default namespace with the field\'s full path, and keeps the tasks, clock and faults', () => {
    const registry = busyRegistry()
    const cluster = registry.default
    const before = snapshot(cluster)
    const changes = cluster.faults.changes
    const bad: State = {
      namespaces: {
        default: {
          clock: { mode: 'manual', now: '2030-01-01T00:00:00Z' },
          tasks: [{ id: 'x' }, { id: 'x' }],
          faults: [{ ...DROP, id: 'fault-9' }]
        }
      }
    }
    let thrown: unknown
    try {
      registry.applyState(bad)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(StateError)
    expect((thrown as StateError).message).toMatch(/^namespaces\.default\.tasks\[1\]\.id "x"/)
    expect(snapshot(cluster)).toEqual(before)
    expect(cluster.faults.changes).toBe(changes)
  })

  it('importClusterState refuses a bad state before touching the faults', () => {
    const cluster = busyCluster()
    const before = snapshot(cluster)
    expect(() => { importClusterState(cluster, { tasks: [{ phase: 'queued', pending_cancel: { at: 1, force: false } }], faults: [] }) }).toThrow(/^tasks\[0\]\.pending_cancel/)
    expect(snapshot(cluster)).toEqual(before)
  })
})

describe('the state file\'s text (exportStateText)', () => {
  /** The text without the moment it was taken, which the two exports take apart. */
  const parsed = (text: string): State => withoutWallClock(JSON.parse(text) as State)
  const withoutWallClock = (state: State): State => ({
    ...state,
    saved_at: 'now',
    namespaces: Object.fromEntries(Object.entries(state.namespaces).map(([name, ns]) => [name, comparable(ns)]))
  })

  it('is the exported state, every namespace, with tasks, CRDBs, faults and clock; it loads back the same', () => {
    const registry = busyRegistry()
    const other = (registry.obtain('other') as { cluster: FakeCluster }).cluster
    other.engine.create({ id: 'c' })
    const instances = [{ cluster: { name: OPTIONS.clusterName, url: 'https://cluster-s.example.com:9443' } }, { cluster: { name: 'west.example.com', url: 'https://west.example.com:9443' } }]
    expect(other.engine.requestCrdbChange(null, { kind: 'create', draft: { name: 'db1', instances } })).toMatchObject({ ok: true })
    other.engine.advance(60) // the create completes: a CRDB to save
    expect([...other.engine.listCrdbs()]).toHaveLength(1)
    const empty = registry.obtain('empty')
    expect(empty.ok).toBe(true)
    const text = joinText(registry.exportStateText())
    expect(parsed(text)).toEqual(withoutWallClock(viaJson(registry.exportState())))
    expect(Object.keys(parsed(text).namespaces)).toEqual(['default', 'other', 'empty'])

    const copy = makeRegistry()
    copy.applyState(JSON.parse(text) as State)
    expect(snapshot(copy.default)).toEqual(snapshot(registry.default))
    expect(snapshot(copy.find('other') as FakeCluster)).toEqual(snapshot(other))
  })

  it('shows each change of a task made after an earlier save (texts kept from one save to the next are never stale)', () => {
    const registry = busyRegistry()
    const engine = registry.default.engine
    const first = parsed(joinText(registry.exportStateText()))
    engine.advance(3) // a, running since 2 s, moves on to commit
    engine.retain('a', 42)
    engine.amend('b', { outcome: 'failed' })
    engine.cancel('b', false)
    const second = parsed(joinText(registry.exportStateText()))
    expect(second).not.toEqual(first)
    expect(second).toEqual(withoutWallClock(viaJson(registry.exportState())))
  })

  it('is readied a part at a time (prepareSave), and a task that changes between the parts is saved as it is at the end', () => {
    const registry = new NamespaceRegistry({ cluster: { ...OPTIONS, maxTasks: 5000 }, maxNamespaces: 10, idleTtlMs: 3_600_000, now: () => 0 })
    const engine = registry.default.engine
    for (let i = 0; i < 2500; i++) engine.create({ id: `t${i}`, durations: { queued: null } })
    const parts = registry.prepareSave()[Symbol.iterator]()
    expect(parts.next().done).toBe(false) // the first 1 000 have their texts
    engine.amend('t5', { outcome: 'failed' })
    engine.step('t6')
    let turns = 1
    while (parts.next().done === false) turns++
    expect(turns).toBe(2)
    const text = joinText(registry.exportStateText())
    expect(parsed(text)).toEqual(withoutWallClock(viaJson(registry.exportState())))
    const saved = (JSON.parse(text) as State).namespaces.default?.tasks ?? []
    expect(saved.find((t) => t.id === 't5')?.outcome).toBe('failed')
    expect(saved.find((t) => t.id === 't6')?.phase).toBe('running')
  })
})

describe('a namespace deleted while a request is under way', () => {
  it('gives its slots back to the shared --max-tasks for good: a task made afterwards in its engine takes none', () => {
    const registry = new NamespaceRegistry({ cluster: { ...OPTIONS, maxTasks: 2 }, maxNamespaces: 10, idleTtlMs: 3_600_000, now: () => 0 })
    const doomed = (registry.obtain('doomed') as { cluster: FakeCluster }).cluster
    expect(doomed.engine.create({ id: 'x' }).ok).toBe(true)
    expect(registry.delete('doomed')).toBe('deleted')
    // the request that found the namespace before it went now makes its task
    expect(doomed.engine.create({ id: 'late' }).ok).toBe(true)
    expect(registry.default.engine.create({ id: 'a' }).ok).toBe(true)
    expect(registry.default.engine.create({ id: 'b' }).ok).toBe(true)
    expect(registry.default.engine.create({ id: 'c' })).toMatchObject({ ok: false, reason: 'too_many_tasks' })
  })
})
