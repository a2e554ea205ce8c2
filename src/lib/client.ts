import type { Static } from '@sinclair/typebox'
import type { JournalFilter } from '../emulator/journal.js'
import type { FaultRule, FaultRuleInput } from '../emulator/faults.js'
import type { CreateCrdbBody, CreateTaskBody, AmendTaskBody, JournalEntrySchema, PatchCrdbBody, TaskWire } from '../http/schemas.js'
import type { WireStatus } from '../engine/phases.js'

/** A CRDB as `GET /v1/crdbs/{guid}` answers it. */
export interface CrdbWire {
  guid: string
  name: string
  default_db_config: Record<string, unknown>
  instances: Array<{ cluster: { name: string, url: string }, compression?: number, db_config?: Record<string, unknown> }>
  encryption: boolean
  status: 'active' | 'inconsistent'
}

/** One request in the journal, as `GET /__emulator/requests` shows it. */
export type JournalEntry = Static<typeof JournalEntrySchema>
export interface ClockWire { mode: 'real' | 'manual', now: string, scale: number }
export interface NamespaceWire { name: string, tasks: number, clock: ClockWire }
export interface HistoryWire { id: string, history: Array<{ at: string, phase: string, status: WireStatus, cause: string }> }
export type { TaskWire, FaultRule, FaultRuleInput, JournalFilter, CreateTaskBody as TaskSpecBody }

/** Options of a mutation of `/v1/crdbs`: the `X-Task-ID` and `X-Result-TTL` headers. */
export interface MutationOptions { taskId?: string, resultTtl?: number }

export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080` (a namespace's URL works the same). */
  url: string
  /** Default `admin@example.com`. */
  username?: string
  /** Default `admin`. */
  password?: string
}

/**
 * An answer that was not 2xx: the API's `{error_code, description}` with the HTTP status.
 *
 * @example
 * try { await client.cancelTask(id) } catch (err) {
 *   if (err instanceof EmulatorError && err.errorCode === 'task_cannot_be_canceled') { ... }
 * }
 */
export class EmulatorError extends Error {
  override readonly name = 'EmulatorError'
  constructor (readonly status: number, readonly errorCode: string, readonly description: string) {
    super(`${status} ${errorCode}: ${description}`)
  }
}

/**
 * A typed HTTP client for the `/v1` task and CRDB endpoints and the emulator's control API. It
 * works the same against an in-process emulator and a remote one (the Docker image).
 *
 * @example
 * const client = new EmulatorClient({ url: 'http://127.0.0.1:8080' })
 * const task = await client.createTask({ durations: { queued: 1, running: 5, commit: 1 } })
 * await client.runUntil(task.id, 'finished')
 * expect((await client.getTask(task.id)).status).toBe('finished')
 */
export class EmulatorClient {
  readonly url: string
  private readonly authorization: string

  constructor (options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '')
    this.authorization = `Basic ${Buffer.from(`${options.username ?? 'admin@example.com'}:${options.password ?? 'admin'}`).toString('base64')}`
  }

  // ---- /v1: the real API ----

  async listTasks (): Promise<TaskWire[]> { return await this.request('GET', '/v1/crdb_tasks') }

  async getTask (id: string, options: { verbose?: boolean, resultTtl?: number } = {}): Promise<TaskWire> {
    return await this.request('GET', `/v1/crdb_tasks/${enc(id)}${options.verbose === true ? '?verbose=true' : ''}`, undefined,
      options.resultTtl === undefined ? {} : { 'x-result-ttl': String(options.resultTtl) })
  }

  async cancelTask (id: string, options: { force?: boolean } = {}): Promise<{ id: string, status: WireStatus }> {
    return await this.request('POST', `/v1/crdb_tasks/${enc(id)}/actions/cancel${options.force === true ? '?force=true' : ''}`, {})
  }

  async listCrdbs (): Promise<CrdbWire[]> { return await this.request('GET', '/v1/crdbs') }
  async getCrdb (guid: string): Promise<CrdbWire> { return await this.request('GET', `/v1/crdbs/${enc(guid)}`) }

  async createCrdb (body: CreateCrdbBody, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.request('POST', '/v1/crdbs', body, mutationHeaders(options))
  }

  /** `POST /v1/crdbs?dry_run=true`: validates the body; throws `invalid_request` when it is wrong. */
  async validateCrdb (body: CreateCrdbBody): Promise<void> { await this.request('POST', '/v1/crdbs?dry_run=true', body) }

  async updateCrdb (guid: string, patch: PatchCrdbBody, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.request('PATCH', `/v1/crdbs/${enc(guid)}`, patch, mutationHeaders(options))
  }

  async deleteCrdb (guid: string, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.request('DELETE', `/v1/crdbs/${enc(guid)}`, undefined, mutationHeaders(options))
  }

  async flushCrdb (guid: string, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.request('PUT', `/v1/crdbs/${enc(guid)}/flush`, undefined, mutationHeaders(options))
  }

  // ---- /__emulator: the control API ----

  async health (): Promise<{ status: 'ok' }> { return await this.request('GET', '/__emulator/health') }
  async clock (): Promise<ClockWire> { return await this.request('GET', '/__emulator/clock') }
  /** Moves emulated time forward, firing every due transition and expiry in order. */
  async advance (seconds: number): Promise<ClockWire> { return await this.request('POST', '/__emulator/clock/advance', { seconds }) }

  /** Moves time event by event until the task has `status`; `unreachable` (422) when it never can. */
  async runUntil (taskId: string, status: WireStatus): Promise<{ clock: ClockWire, task: TaskWire }> {
    return await this.request('POST', '/__emulator/clock/run', { task_id: taskId, status })
  }

  /** Moves time event by event until no task is active. */
  async runUntilIdle (): Promise<{ clock: ClockWire }> { return await this.request('POST', '/__emulator/clock/run', {}) }

  async createTask (spec: CreateTaskBody = {}): Promise<TaskWire> { return await this.request('POST', '/__emulator/tasks', spec) }
  async amendTask (id: string, changes: AmendTaskBody): Promise<TaskWire> { return await this.request('PATCH', `/__emulator/tasks/${enc(id)}`, changes) }
  async stepTask (id: string): Promise<TaskWire> { return await this.request('POST', `/__emulator/tasks/${enc(id)}/step`, {}) }
  async history (id: string): Promise<HistoryWire> { return await this.request('GET', `/__emulator/tasks/${enc(id)}/history`) }
  async reset (): Promise<void> { await this.request('POST', '/__emulator/reset', {}) }

  async addFault (rule: FaultRuleInput): Promise<FaultRule> { return await this.request('POST', '/__emulator/faults', rule) }
  async listFaults (): Promise<FaultRule[]> { return await this.request('GET', '/__emulator/faults') }
  async removeFault (id: string): Promise<void> { await this.request('DELETE', `/__emulator/faults/${enc(id)}`) }
  async clearFaults (): Promise<void> { await this.request('DELETE', '/__emulator/faults') }

  async listRequests (filter: JournalFilter = {}): Promise<JournalEntry[]> {
    const query = new URLSearchParams()
    if (filter.method !== undefined) query.set('method', filter.method)
    if (filter.path !== undefined) query.set('path', filter.path)
    if (filter.status !== undefined) query.set('status', String(filter.status))
    const qs = query.toString()
    return await this.request('GET', `/__emulator/requests${qs === '' ? '' : `?${qs}`}`)
  }

  async clearRequests (): Promise<void> { await this.request('DELETE', '/__emulator/requests') }

  async listNamespaces (): Promise<NamespaceWire[]> { return await this.request('GET', '/__emulator/namespaces') }
  /** Makes a namespace (or finds it); its clock takes these settings when it is made. */
  async putNamespace (name: string, settings: { clock?: 'real' | 'manual', time_scale?: number } = {}): Promise<NamespaceWire> {
    return await this.request('PUT', `/__emulator/namespaces/${enc(name)}`, settings)
  }

  async deleteNamespace (name: string): Promise<void> { await this.request('DELETE', `/__emulator/namespaces/${enc(name)}`) }

  private async request<T> (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(this.url + path, {
      method,
      headers: {
        authorization: this.authorization,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new EmulatorError(res.status, 'invalid_response', `${method} ${path} answered something that is not JSON: ${text.slice(0, 200)}`)
    }
    if (!res.ok) {
      const error = json as { error_code?: string, description?: string } | undefined
      throw new EmulatorError(res.status, error?.error_code ?? 'unknown', error?.description ?? text)
    }
    return json as T
  }
}

const enc = encodeURIComponent

function mutationHeaders (options: MutationOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  if (options.taskId !== undefined) headers['x-task-id'] = options.taskId
  if (options.resultTtl !== undefined) headers['x-result-ttl'] = String(options.resultTtl)
  return headers
}
