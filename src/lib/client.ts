import type { CreateCrdbBody, CrdbWire, HealthReportWire, PatchCrdbBody, UpdatesBody, UpgradeBody } from '../http/crdb-schemas.js'
import type { CancelWire, TaskWire } from '../http/schemas.js'
import { enc, Transport, type ClientOptions } from './transport.js'

/** Options of a mutation of `/v1/crdbs`: the `X-Task-ID` and `X-Result-TTL` headers. */
export interface MutationOptions { taskId?: string, resultTtl?: number }

/**
 * A typed client of the real API as the emulator serves it (`/v1/crdb_tasks`, `/v1/crdbs`): what
 * the code under test calls, for assertions. It works the same against an in-process emulator
 * and a remote one. The emulator's own control API is on the `Emulator` handle.
 *
 * @example
 * const client = new EmulatorClient({ url: 'http://127.0.0.1:8080' })
 * const task = await client.createCrdb({ name: 'shop', instances: [...] })
 * expect((await client.getTask(task.id)).status).toBe('queued')
 */
export class EmulatorClient {
  private readonly http: Transport

  constructor (options: ClientOptions | Transport) {
    this.http = options instanceof Transport ? options : new Transport(options)
  }

  /** The base URL it talks to. */
  get url (): string {
    return this.http.url
  }

  async listTasks (): Promise<TaskWire[]> { return await this.http.request('GET', '/v1/crdb_tasks') }

  async getTask (id: string, options: { verbose?: boolean, resultTtl?: number } = {}): Promise<TaskWire> {
    return await this.http.request('GET', `/v1/crdb_tasks/${enc(id)}${options.verbose === true ? '?verbose=true' : ''}`, undefined,
      options.resultTtl === undefined ? {} : { 'x-result-ttl': String(options.resultTtl) })
  }

  async cancelTask (id: string, options: { force?: boolean } = {}): Promise<CancelWire> {
    return await this.http.request('POST', `/v1/crdb_tasks/${enc(id)}/actions/cancel${options.force === true ? '?force=true' : ''}`, {})
  }

  /** `GET /v1/crdbs`, wrapped as real clusters answer it. */
  async listCrdbs (): Promise<{ crdbs: CrdbWire[] }> { return await this.http.request('GET', '/v1/crdbs') }

  /** `GET /v1/crdbs/{guid}`, as the instance `instanceId` sees it (default: this cluster's). */
  async getCrdb (guid: string, options: { instanceId?: number } = {}): Promise<CrdbWire> {
    return await this.http.request('GET', `/v1/crdbs/${enc(guid)}${options.instanceId === undefined ? '' : `?instance_id=${options.instanceId}`}`)
  }

  async healthReport (guid: string, options: { instanceId?: number } = {}): Promise<HealthReportWire[]> {
    return await this.http.request('GET', `/v1/crdbs/${enc(guid)}/health_report${options.instanceId === undefined ? '' : `?instance_id=${options.instanceId}`}`)
  }

  async createCrdb (body: CreateCrdbBody, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.http.request('POST', '/v1/crdbs', body, mutationHeaders(options))
  }

  /** `POST /v1/crdbs?dry_run=true`: validates the body; throws `invalid_request` when it is wrong. */
  async validateCrdb (body: CreateCrdbBody): Promise<void> { await this.http.request('POST', '/v1/crdbs?dry_run=true', body) }

  async updateCrdb (guid: string, patch: PatchCrdbBody, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.http.request('PATCH', `/v1/crdbs/${enc(guid)}`, patch, mutationHeaders(options))
  }

  async deleteCrdb (guid: string, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.http.request('DELETE', `/v1/crdbs/${enc(guid)}`, undefined, mutationHeaders(options))
  }

  async flushCrdb (guid: string, options: MutationOptions & { async?: boolean } = {}): Promise<TaskWire> {
    return await this.http.request('PUT', `/v1/crdbs/${enc(guid)}/flush${options.async === true ? '?async_flush=true' : ''}`, undefined, mutationHeaders(options))
  }

  /** `POST /v1/crdbs/{guid}/updates`: add or remove instances, change settings, force a configuration push. */
  async modifyCrdb (guid: string, body: UpdatesBody, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.http.request('POST', `/v1/crdbs/${enc(guid)}/updates`, body, mutationHeaders(options))
  }

  /** `PUT /v1/crdbs/{guid}/purge`: the data left on instances removed by force. */
  async purgeInstances (guid: string, instances: number[], options: MutationOptions = {}): Promise<TaskWire> {
    return await this.http.request('PUT', `/v1/crdbs/${enc(guid)}/purge`, { instances }, mutationHeaders(options))
  }

  /** `POST /v1/crdbs/{guid}/upgrade` (Redis Software 8.0 and later). */
  async upgradeCrdb (guid: string, body: UpgradeBody = {}, options: MutationOptions = {}): Promise<TaskWire> {
    return await this.http.request('POST', `/v1/crdbs/${enc(guid)}/upgrade`, body, mutationHeaders(options))
  }
}

function mutationHeaders (options: MutationOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  if (options.taskId !== undefined) headers['x-task-id'] = options.taskId
  if (options.resultTtl !== undefined) headers['x-result-ttl'] = String(options.resultTtl)
  return headers
}
