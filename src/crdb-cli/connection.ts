import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { EmulatorError, Transport } from '../lib/transport.js'
import { UnreachableError, UsageError } from './errors.js'

type Env = Readonly<Record<string, string | undefined>>

/** Where crdb-cli sends its requests, and as whom. */
export interface Connection {
  url: string
  username: string
  password: string
  /** Accept any certificate (self-signed, another host name). */
  insecure: boolean
  /** PEM of the authority to trust for an HTTPS URL, instead of the system's. */
  ca: string | undefined
}

/** The connection flags, as parsed (each may also come from its environment variable). */
export interface ConnectionFlags {
  'api-url'?: string
  'api-user'?: string
  'api-password'?: string
  insecure?: boolean
  'ca-file'?: string
}

const DEFAULT_USER = { email: 'admin@example.com', password: 'admin' }
const truthy = (raw: string | undefined): boolean => raw !== undefined && /^(1|true|yes)$/i.test(raw.trim())
const given = (raw: string | undefined): string | undefined => raw === undefined || raw === '' ? undefined : raw

/**
 * The first admin of `EMULATOR_USERS` (`email:password:role,...`): in the image, crdb-cli runs
 * beside a server configured by that same variable, as the real tool runs on a cluster node.
 */
function adminOf (users: string | undefined): { email: string, password: string } | undefined {
  for (const entry of (users ?? '').split(',')) {
    const first = entry.indexOf(':')
    const last = entry.lastIndexOf(':')
    if (first > 0 && last > first && entry.slice(last + 1).trim() === 'admin') {
      return { email: entry.slice(0, first).trim(), password: entry.slice(first + 1, last) }
    }
  }
  return undefined
}

/**
 * Resolves the connection: a flag wins over its variable (`CRDB_CLI_URL`, `CRDB_CLI_USER`,
 * `CRDB_CLI_PASSWORD`, `CRDB_CLI_INSECURE`, `CRDB_CLI_CA_FILE`); without either, the emulator on
 * this host, found from the server's own variables (`PORT`, `EMULATOR_TLS`, `EMULATOR_USERS`).
 * `readFile` reads `--ca-file` (passed in so this stays pure).
 */
export function resolveConnection (flags: ConnectionFlags, env: Env, readFile: (path: string) => string): Connection {
  const explicit = given(flags['api-url']) ?? given(env.CRDB_CLI_URL)
  const tls = truthy(env.EMULATOR_TLS) || given(env.EMULATOR_TLS_CERT) !== undefined
  const port = given(env.PORT) ?? (tls ? '9443' : '8080')
  const url = explicit ?? `${tls ? 'https' : 'http'}://127.0.0.1:${port}`
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`Failed to use the API URL "${url}": it is not an http:// or https:// URL. Give one such as http://127.0.0.1:8080 (--api-url or CRDB_CLI_URL).`)
  const admin = adminOf(env.EMULATOR_USERS) ?? DEFAULT_USER
  const caFile = given(flags['ca-file']) ?? given(env.CRDB_CLI_CA_FILE)
  let ca: string | undefined
  if (caFile !== undefined) {
    try {
      ca = readFile(caFile)
    } catch (err) {
      throw new UsageError(`Failed to read the CA file ${caFile}: ${(err as Error).message}. Give the path of a PEM file (--ca-file or CRDB_CLI_CA_FILE).`)
    }
  }
  return {
    url: url.replace(/\/+$/, ''),
    username: given(flags['api-user']) ?? given(env.CRDB_CLI_USER) ?? admin.email,
    password: given(flags['api-password']) ?? given(env.CRDB_CLI_PASSWORD) ?? admin.password,
    // the local default is the emulator's own self-signed certificate, on loopback
    insecure: flags.insecure === true || truthy(env.CRDB_CLI_INSECURE) || (explicit === undefined && tls && ca === undefined),
    ca
  }
}

/** Seconds one request may take before crdb-cli gives up on it. */
const REQUEST_TIMEOUT_MS = 30_000

/**
 * The library's transport over node:http and node:https, so that crdb-cli can trust a given
 * CA or a self-signed certificate (fetch cannot without a global switch) and tell "nobody
 * answered" (`UnreachableError`) from an API error (`EmulatorError`).
 */
export class CliTransport extends Transport {
  private readonly basic: string

  constructor (private readonly connection: Connection) {
    super({ url: connection.url, username: connection.username, password: connection.password })
    this.basic = `Basic ${Buffer.from(`${connection.username}:${connection.password}`).toString('base64')}`
  }

  override async request<T> (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const { status, text } = await this.send(method, path, payload, headers)
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new UnreachableError(`answered ${method} ${path} with ${status} and something that is not JSON (${text.slice(0, 80)})`)
    }
    if (status < 200 || status > 299) {
      const error = json as { error_code?: string, description?: string, detail?: string } | undefined
      // a /v1/crdbs body that fails its schema is answered in the problem shape, which has no code
      if (error?.error_code === undefined && typeof error?.detail === 'string') throw new EmulatorError(status, 'invalid_request', error.detail)
      throw new EmulatorError(status, error?.error_code ?? 'unknown', error?.description ?? text)
    }
    return json as T
  }

  private async send (method: string, path: string, payload: string | undefined, headers: Record<string, string>): Promise<{ status: number, text: string }> {
    const target = new URL(this.url + path)
    const https = target.protocol === 'https:'
    const options = {
      method,
      headers: {
        authorization: this.basic,
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        ...headers
      },
      ...(https ? { rejectUnauthorized: !this.connection.insecure, ...(this.connection.ca === undefined ? {} : { ca: this.connection.ca }) } : {})
    }
    return await new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage): void => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => { text += chunk })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, text }) })
        res.on('error', (err) => { reject(new UnreachableError(`broke off its answer (${err.message})`)) })
      }
      const req = https ? httpsRequest(target, options, onResponse) : httpRequest(target, options, onResponse)
      req.setTimeout(REQUEST_TIMEOUT_MS, () => { req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)) })
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (/certificate|self[- ]signed/i.test(err.message)) {
          reject(new UnreachableError(`has a certificate crdb-cli does not trust (${err.message})`, 'Pass its CA with --ca-file (CRDB_CLI_CA_FILE), or --insecure (CRDB_CLI_INSECURE=true) for a self-signed one.'))
          return
        }
        reject(new UnreachableError(err.code === 'ECONNREFUSED' ? 'refused the connection (nothing listens there)' : `did not answer (${err.code ?? err.message})`))
      })
      req.end(payload)
    })
  }
}
