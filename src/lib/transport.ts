/**
 * An answer that was not 2xx: the API's `{error_code, description}` with the HTTP status.
 *
 * @example
 * try { await emulator.client.cancelTask(id) } catch (err) {
 *   if (err instanceof EmulatorError && err.errorCode === 'task_cannot_be_canceled') { ... }
 * }
 */
export class EmulatorError extends Error {
  override readonly name = 'EmulatorError'
  constructor (readonly status: number, readonly errorCode: string, readonly description: string) {
    super(`${status} ${errorCode}: ${description}`)
  }
}

export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080` (a namespace's URL works the same). */
  url: string
  /** Default `admin@example.com`. */
  username?: string
  /** Default `admin`. */
  password?: string
}

/** JSON over HTTP with Basic auth, for the client and the control API. */
export class Transport {
  readonly url: string
  private readonly authorization: string

  constructor (options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '')
    this.authorization = `Basic ${Buffer.from(`${options.username ?? 'admin@example.com'}:${options.password ?? 'admin'}`).toString('base64')}`
  }

  /** Sends a request; the parsed JSON answer, or `EmulatorError` for a status that is not 2xx. */
  async request<T> (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
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
      const error = json as { error_code?: string, description?: string, detail?: string } | undefined
      // a /v1/crdbs body that fails its schema is answered in the problem shape, which has no code
      if (error?.error_code === undefined && typeof error?.detail === 'string') throw new EmulatorError(res.status, 'invalid_request', error.detail)
      throw new EmulatorError(res.status, error?.error_code ?? 'unknown', error?.description ?? text)
    }
    return json as T
  }
}

export const enc = encodeURIComponent
