#!/usr/bin/env node
// The container's health check, with no curl in the image: GET /__emulator/health where the
// server really listens, as it wrote in its URL file (EMULATOR_URL_FILE, default
// <tmpdir>/crdb-tasks-emulator.url) once listening, whatever --port, --tls or the environment
// said; without the file, on PORT (or 8080, 9443 with TLS) over HTTP(S) as EMULATOR_TLS says.
// Exit 0 when it answers 200, else 1.
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The URL the server wrote, with a wildcard host made this machine's loopback. */
function fromUrlFile (): URL | undefined {
  const path = process.env.EMULATOR_URL_FILE ?? join(tmpdir(), 'crdb-tasks-emulator.url')
  if (path === '') return undefined
  try {
    const url = new URL(readFileSync(path, 'utf8').trim())
    if (['0.0.0.0', '[::]', '::', ''].includes(url.hostname)) url.hostname = '127.0.0.1'
    return url
  } catch {
    return undefined
  }
}

/** Where the environment says the server listens (the image's defaults). */
function fromEnvironment (): URL {
  const tls = ['1', 'true'].includes((process.env.EMULATOR_TLS ?? '').toLowerCase()) || (process.env.EMULATOR_TLS_CERT ?? '') !== ''
  const port = process.env.PORT !== undefined && process.env.PORT !== '' ? process.env.PORT : (tls ? '9443' : '8080')
  return new URL(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`)
}

async function probe (base: URL): Promise<void> {
  const request = base.protocol === 'https:' ? httpsRequest : httpRequest
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: base.hostname.replace(/^\[|\]$/g, ''), port: base.port, path: '/__emulator/health', timeout: 2000, rejectUnauthorized: false }, (res) => {
      res.resume()
      if (res.statusCode === 200) resolve()
      else reject(new Error(`${base.origin} answered ${String(res.statusCode)}`))
    })
    req.on('timeout', () => req.destroy(new Error(`${base.origin}: timeout`)))
    req.on('error', (err) => { reject(new Error(`${base.origin}: ${err.message}`)) })
    req.end()
  })
}

// the file first; should it be stale (the server gone without removing it), the environment
const targets = [fromUrlFile(), fromEnvironment()].filter((u): u is URL => u !== undefined)
const unique = targets.filter((u, i) => targets.findIndex((o) => o.origin === u.origin) === i)
const failures: string[] = []
for (const target of unique) {
  try {
    await probe(target)
    process.exit(0)
  } catch (err) {
    failures.push((err as Error).message)
  }
}
process.stderr.write(`health check failed: ${failures.join('; ')}\n`)
process.exit(1)
