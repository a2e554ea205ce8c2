/**
 * A small client of the Redis Software REST API, written the way real client scripts are:
 * create an Active-Active database (CRDB), then poll its task every few seconds until it is
 * `finished` or `failed`, and report the errors. Nothing in it knows about the emulator, so the
 * same code runs against a real cluster.
 *
 * @example
 * const client = new CrdbClient({ baseUrl: 'https://cluster.example.com:9443', username, password })
 * const task = await client.createCrdb({ name: 'shop', instances: [...] })
 * const done = await client.waitForTask(task.id)
 * if (done.status === 'failed') console.error(describeFailure(done))
 */

export interface TaskError { cluster_name: string, error_code: string, description: string }

export interface CrdbTask {
  id: string
  status: 'queued' | 'started' | 'finished' | 'failed'
  operation?: string
  crdb_guid?: string
  started?: string
  ended?: string
  errors?: TaskError[]
}

export interface ClientOptions {
  /** e.g. `https://cluster.example.com:9443` */
  baseUrl: string
  username: string
  password: string
  /** Delay between two polls. Default 2000 ms. */
  pollIntervalMs?: number
  /** Polls at most, before giving up. Default 300. */
  maxPolls?: number
  /** How to wait between polls. Default: a real timer. Tests pass one that moves a fake clock. */
  sleep?: (ms: number) => Promise<void>
}

/** An answer that was not 2xx, carrying the API's `error_code`. */
export class ApiError extends Error {
  constructor (readonly status: number, readonly errorCode: string, description: string) {
    super(`${status} ${errorCode}: ${description}`)
  }
}

export class CrdbClient {
  private readonly authorization: string
  private readonly pollIntervalMs: number
  private readonly maxPolls: number
  private readonly sleep: (ms: number) => Promise<void>
  /** How many times `waitForTask` has polled, for the curious. */
  polls = 0

  constructor (private readonly options: ClientOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`
    this.pollIntervalMs = options.pollIntervalMs ?? 2000
    this.maxPolls = options.maxPolls ?? 300
    this.sleep = options.sleep ?? (async (ms) => await new Promise((resolve) => setTimeout(resolve, ms)))
  }

  /** `POST /v1/crdbs`: answers the task that creates the CRDB. */
  async createCrdb (body: Record<string, unknown>): Promise<CrdbTask> {
    return await this.request<CrdbTask>('POST', '/v1/crdbs', body)
  }

  async getTask (id: string): Promise<CrdbTask> {
    return await this.request<CrdbTask>('GET', `/v1/crdb_tasks/${encodeURIComponent(id)}`)
  }

  async cancelTask (id: string, force = false): Promise<{ id: string, status: string }> {
    return await this.request('POST', `/v1/crdb_tasks/${encodeURIComponent(id)}/actions/cancel${force ? '?force=true' : ''}`, {})
  }

  async getCrdb (guid: string): Promise<Record<string, unknown>> {
    return await this.request('GET', `/v1/crdbs/${encodeURIComponent(guid)}`)
  }

  /** Polls the task until it is `finished` or `failed` (careful clients stop on both). */
  async waitForTask (id: string): Promise<CrdbTask> {
    for (let i = 0; i < this.maxPolls; i++) {
      this.polls++
      const task = await this.getTask(id)
      if (task.status === 'finished' || task.status === 'failed') return task
      await this.sleep(this.pollIntervalMs)
    }
    throw new Error(`Task ${id} did not end after ${this.maxPolls} polls`)
  }

  private async request<T> (method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.options.baseUrl + path, {
      method,
      headers: { authorization: this.authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    const json = text === '' ? undefined : JSON.parse(text)
    if (!res.ok) throw new ApiError(res.status, json?.error_code ?? 'unknown', json?.description ?? text)
    return json as T
  }
}

/** One line per error, as a deployment script would print them. */
export function describeFailure (task: CrdbTask): string {
  const errors = task.errors ?? []
  if (errors.length === 0) return `task ${task.id} failed without errors`
  return errors.map((e) => `task ${task.id} failed on ${e.cluster_name === '' ? 'the cluster' : e.cluster_name}: ${e.error_code}: ${e.description}`).join('\n')
}
