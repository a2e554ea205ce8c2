import type { ResetKeepable } from '../emulator/cluster.js'
import type { JournalFilter } from '../emulator/journal.js'
import type { FaultRuleInput } from '../emulator/faults.js'
import type { State } from '../emulator/state-schema.js'
import type { RunTarget } from '../engine/phases.js'
import type { AmendTaskBody, ClockWire, CreateTaskBody, FaultRuleWire, HistoryWire, JournalEntryWire, LinkWire, NamespaceWire, TaskWire } from '../http/schemas.js'
import { EmulatorClient } from './client.js'
import { enc, type Transport } from './transport.js'

// `await using emulator = ...` needs Symbol.asyncDispose, which Node has from 20.4 (18.18) on:
// before, the very symbol Node later defines
if (typeof (Symbol as { asyncDispose?: symbol }).asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('nodejs.asyncDispose'), configurable: false, enumerable: false, writable: false })
}

/** What a reset may keep: the rest goes back to how the emulator started. */
export type { ResetKeepable }
export interface ResetOptions {
  /**
   * Parts to leave as they are: `faults` (the rules), `journal` (the requests seen), `clock`
   * (the time), `clusters` (member clusters made unreachable or slow). Tasks and CRDBs always go.
   */
  keep?: ResetKeepable[]
}

/** A namespace's clock settings, taken when it is made. */
export interface NamespaceSettings { clock?: 'real' | 'manual', time_scale?: number }

/**
 * The test's handle on an emulator: its URL, a typed client of the real API (`client`), and the
 * emulator's control API, one method per thing a test does.
 */
export interface Emulator extends AsyncDisposable {
  /** Base URL of the emulated cluster, e.g. `http://127.0.0.1:41234` (or `.../ns/{name}`). */
  readonly url: string
  /** The namespace the handle works in (`default` unless one was asked for). */
  readonly namespace: string
  /** A typed client of the real API (`/v1`), logged in as an admin. */
  readonly client: EmulatorClient
  /**
   * Each member cluster's own URL and client (with `clusters`: linked clusters, each on a port of
   * its own); otherwise the one cluster, at `url`.
   */
  readonly clusters: Readonly<Record<string, { url: string, client: EmulatorClient }>>
  readonly clock: {
    get: () => Promise<ClockWire>
    /** Moves emulated time forward, firing every due transition and expiry in order. */
    advance: (seconds: number) => Promise<ClockWire>
  }
  readonly tasks: {
    /** Creates a task directly (the control API's `POST /__emulator/tasks`). */
    create: (spec?: CreateTaskBody) => Promise<TaskWire>
    /** Moves a task to its next phase now. */
    step: (id: string) => Promise<TaskWire>
    history: (id: string) => Promise<HistoryWire>
    /** Changes an active task: durations, outcome, errors, cancel settings. */
    amend: (id: string, changes: AmendTaskBody) => Promise<TaskWire>
  }
  /** Moves time event by event until the task has `status`; rejects with `unreachable` when it never can. */
  runUntil: (taskId: string, status: RunTarget) => Promise<TaskWire>
  /** Moves time event by event until no task is active. */
  runUntilIdle: () => Promise<void>
  /**
   * Puts the emulator back as it started: no task or CRDB (a seeded id sequence starts over),
   * the fault rules it started with, an empty request journal, a manual clock at its start
   * time, every member cluster reachable. `keep` leaves parts as they are.
   *
   * @example
   * beforeEach(() => emulator.reset())                           // like msw's resetHandlers()
   * await emulator.reset({ keep: ['faults', 'journal', 'clock'] }) // tasks and CRDBs only
   */
  reset: (options?: ResetOptions) => Promise<void>
  readonly faults: {
    add: (rule: FaultRuleInput) => Promise<FaultRuleWire>
    list: () => Promise<FaultRuleWire[]>
    remove: (id: string) => Promise<void>
    clear: () => Promise<void>
  }
  readonly requests: {
    /** The journal of `/v1` requests, newest last. */
    list: (filter?: JournalFilter) => Promise<JournalEntryWire[]>
    clear: () => Promise<void>
  }
  /** The emulator's namespaces (every handle sees them all). */
  readonly namespaces: {
    list: () => Promise<NamespaceWire[]>
    /** Makes a namespace, or finds an existing one. */
    put: (name: string, settings?: NamespaceSettings) => Promise<NamespaceWire>
    delete: (name: string) => Promise<void>
  }
  /** This namespace's whole state (tasks, CRDBs, clock, faults), to save and load. */
  readonly state: {
    export: () => Promise<State>
    import: (state: State) => Promise<void>
  }
  /** The member clusters of this namespace, reachable or not (`GET /__emulator/clusters`). */
  listClusters: () => Promise<LinkWire[]>
  /** Makes a member cluster unreachable (or reachable again), or slow (`PUT /__emulator/clusters/{name}`). */
  setClusterState: (name: string, state: { reachable?: boolean, delay_ms?: number }) => Promise<LinkWire>
  /** `GET /__emulator/health`. */
  health: () => Promise<{ status: 'ok' }>
  /** Stops an in-process emulator; for a namespace made by `createEmulator({ url })`, removes it. */
  close: () => Promise<void>
  /** `close()`, so that `await using emulator = await createEmulator()` closes it at the block's end. */
  [Symbol.asyncDispose]: () => Promise<void>
}

/**
 * What an emulator in this process can do without a request: `reset` does what
 * `POST /__emulator/reset` with that `keep` does, or answers false when the request should be
 * sent instead (an answer that is not a plain success, such as a 400, comes from the server).
 */
export interface LocalCalls {
  reset: (keep: unknown) => boolean
}

/**
 * A handle over `http` (the namespace's base URL); `root` is the emulator's base URL, where
 * namespaces are managed.
 */
export function makeHandle (http: Transport, root: Transport, namespace: string, close: () => Promise<void>, clusters?: Record<string, { url: string, client: EmulatorClient }>, local?: LocalCalls): Emulator {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => await http.request<T>(method, path, body)
  const client = new EmulatorClient(http)
  return {
    url: http.url,
    namespace,
    client,
    clusters: clusters ?? { main: { url: http.url, client } },
    clock: {
      get: async () => await call('GET', '/__emulator/clock'),
      advance: async (seconds) => await call('POST', '/__emulator/clock/advance', { seconds })
    },
    tasks: {
      create: async (spec = {}) => await call('POST', '/__emulator/tasks', spec),
      step: async (id) => await call('POST', `/__emulator/tasks/${enc(id)}/step`, {}),
      history: async (id) => await call('GET', `/__emulator/tasks/${enc(id)}/history`),
      amend: async (id, changes) => await call('PATCH', `/__emulator/tasks/${enc(id)}`, changes)
    },
    runUntil: async (taskId, status) => (await call<{ task: TaskWire }>('POST', '/__emulator/clock/run', { task_id: taskId, status })).task,
    runUntilIdle: async () => { await call('POST', '/__emulator/clock/run', {}) },
    reset: async (options = {}) => {
      const keep = options.keep ?? []
      // in this process, the reset itself (microseconds) rather than a loopback round trip
      if (local?.reset(keep) === true) return
      await call('POST', '/__emulator/reset', { keep })
    },
    faults: {
      add: async (rule) => await call('POST', '/__emulator/faults', rule),
      list: async () => await call('GET', '/__emulator/faults'),
      remove: async (id) => { await call('DELETE', `/__emulator/faults/${enc(id)}`) },
      clear: async () => { await call('DELETE', '/__emulator/faults') }
    },
    requests: {
      list: async (filter = {}) => await call('GET', `/__emulator/requests${journalQuery(filter)}`),
      clear: async () => { await call('DELETE', '/__emulator/requests') }
    },
    namespaces: {
      list: async () => await root.request('GET', '/__emulator/namespaces'),
      put: async (name, settings = {}) => await root.request('PUT', `/__emulator/namespaces/${enc(name)}`, settings),
      delete: async (name) => { await root.request('DELETE', `/__emulator/namespaces/${enc(name)}`) }
    },
    state: {
      export: async () => await call('GET', '/__emulator/state'),
      import: async (state) => { await call('PUT', '/__emulator/state', state) }
    },
    listClusters: async () => await call('GET', '/__emulator/clusters'),
    setClusterState: async (name, state) => await call('PUT', `/__emulator/clusters/${enc(name)}`, state),
    health: async () => await call('GET', '/__emulator/health'),
    close,
    [Symbol.asyncDispose]: close
  }
}

function journalQuery (filter: JournalFilter): string {
  const query = new URLSearchParams()
  if (filter.method !== undefined) query.set('method', filter.method)
  if (filter.path !== undefined) query.set('path', filter.path)
  if (filter.status !== undefined) query.set('status', String(filter.status))
  const qs = query.toString()
  return qs === '' ? '' : `?${qs}`
}
