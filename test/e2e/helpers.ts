import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { request as httpsRequest } from 'node:https'
import { fileURLToPath } from 'node:url'

// The built server, started as a user starts it (`npm start` runs `node dist/cli/entry.js` after building).
export const MAIN = fileURLToPath(new URL('../../dist/cli/entry.js', import.meta.url))
export const AUTH = `Basic ${Buffer.from('admin@example.com:admin').toString('base64')}`

export interface Server {
  child: ChildProcessWithoutNullStreams
  url: string
  lines: string[]
  /** Resolves with the first line (seen or to come) that `match` accepts; rejects after 5 s. */
  waitForLine: (match: (line: string) => boolean) => Promise<string>
}

export async function startServer (args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, '--host', '127.0.0.1', '--port', '0', ...args], { stdio: 'pipe' })
  const lines: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line in 10 s: ${lines.join('\n')}`)), 10_000)
    let buffered = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        lines.push(line)
        const parsed = JSON.parse(line) as { url?: string }
        if (parsed.url !== undefined) {
          clearTimeout(timer)
          resolve(parsed.url)
        }
      }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${String(code)} before listening`)) })
  })
  const waitForLine = async (match: (line: string) => boolean): Promise<string> => {
    const seen = lines.find(match)
    if (seen !== undefined) return seen
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { child.stdout.off('data', onData); reject(new Error('no such log line in 5 s')) }, 5000)
      const onData = (): void => {
        const line = lines.find(match)
        if (line === undefined) return
        clearTimeout(timer)
        child.stdout.off('data', onData)
        resolve(line)
      }
      // registered after the line collector, so `lines` already holds the new chunk's lines
      child.stdout.on('data', onData)
    })
  }
  return { child, url, lines, waitForLine }
}

export async function api (server: Server, method: string, path: string, body?: unknown): Promise<{ status: number, json: any }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

/** A request over HTTPS that trusts `ca` (or, without it, any certificate, as `curl -k` does). */
export async function httpsApi (url: string, path: string, options: { ca?: string, servername?: string } = {}): Promise<{ status: number, json: any, peerFingerprint: string }> {
  return await new Promise((resolve, reject) => {
    const req = httpsRequest(url + path, {
      headers: { authorization: AUTH },
      ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      agent: false
    }, (res) => {
      const peerFingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: body === '' ? undefined : JSON.parse(body), peerFingerprint }) })
    })
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error('timeout')))
    req.end()
  })
}

/** Runs the built server with `args` (`--port 0` first) until it exits, as a start-up that must fail does. */
export async function exitOf (args: string[]): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', ...args], { stdio: 'pipe' })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stderr }
}
