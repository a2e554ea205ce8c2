import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { AUTH, httpsApi } from '../e2e/helpers.js'

// The server's bundle (scripts/bundle.mjs, made by `npm run build`): dist/cli/server.bundle.mjs
// is main.ts with the packages it imports, and dist/cli/entry.js loads it when it is there.
// To see that entry.js runs the bundle and that the bundle needs nothing else of dist/, they are
// copied into a tree of their own with only what the bundle reads beside them (package.json,
// dist/ui/) and this checkout's node_modules (where its lazily loaded packages are): no main.js,
// no dist/http. A second tree is dist/ without the bundle, where entry.js falls back to main.js.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DIST = join(ROOT, 'dist')
const BUNDLE = join(DIST, 'cli', 'server.bundle.mjs')
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const work = mkdtempSync(join(tmpdir(), 'crdb-tasks-emulator-bundle-'))
afterAll(() => { rmSync(work, { recursive: true, force: true }) })

/** A tree with package.json, node_modules (a link to this checkout's) and the `dist` files `keep` accepts. */
function tree (name: string, keep: (pathUnderDist: string) => boolean): string {
  const root = join(work, name)
  mkdirSync(root)
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'))
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir')
  cpSync(DIST, join(root, 'dist'), { recursive: true, filter: (src) => src === DIST || keep(src.slice(DIST.length + 1).split('\\').join('/')) })
  return join(root, 'dist', 'cli', 'entry.js')
}

const children: ChildProcessWithoutNullStreams[] = []
afterEach(() => { for (const child of children.splice(0)) child.kill('SIGKILL') })

/** Starts `entry` on 127.0.0.1, port 0; resolves with the URL its start-up line gives. */
async function start (entry: string, args: string[] = []): Promise<string> {
  const child = spawn(process.execPath, [entry, '--host', '127.0.0.1', '--port', '0', '--log-format', 'json', ...args], { stdio: 'pipe' })
  children.push(child)
  let out = ''
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line in 10 s: ${out}${err}`)), 10_000)
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      for (const line of out.split('\n').slice(0, -1)) {
        const url = (JSON.parse(line) as { url?: string }).url
        if (url !== undefined) { clearTimeout(timer); resolve(url) }
      }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${String(code)} before listening: ${err}`)) })
  })
}

const versionOf = (entry: string): string => execFileSync(process.execPath, [entry, '--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] })

describe('the server bundle', () => {
  it('is built, with Fastify, TypeBox and pino in it and the lazily loaded packages left out', () => {
    expect(existsSync(BUNDLE)).toBe(true)
    const sources = (JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as { sources: string[] }).sources
    const packageOf = (source: string): string | undefined => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1]
    const packages = new Set(sources.map(packageOf))
    for (const name of ['fastify', '@sinclair/typebox', 'pino', '@fastify/basic-auth']) expect(packages).toContain(name)
    for (const name of ['selfsigned', 'pino-pretty', '@fastify/swagger', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'ajv', 'light-my-request']) expect(packages).not.toContain(name)
    expect(sources.some((s) => s.endsWith('src/cli/main.ts'))).toBe(true)
  })

  describe('run by entry.js, beside nothing else of dist/ but dist/ui', () => {
    const entry = tree('bundled', (path) => path === 'cli' || path === 'cli/entry.js' || path === 'cli/server.bundle.mjs' || path === 'ui' || path.startsWith('ui/'))

    it('has no main.js to fall back to', () => {
      expect(existsSync(join(entry, '..', 'main.js'))).toBe(false)
      expect(existsSync(join(entry, '..', '..', 'http'))).toBe(false)
    })

    it('prints the version of package.json', () => {
      expect(versionOf(entry)).toBe(`${VERSION}\n`)
    })

    it('serves the dashboard, its app.js and the OpenAPI document', async () => {
      const url = await start(entry, ['--clock', 'manual'])
      const page = await fetch(`${url}/__emulator/ui`, { headers: { authorization: AUTH } })
      expect(page.status).toBe(200)
      expect(await page.text()).toBe(readFileSync(join(DIST, 'ui', 'index.html'), 'utf8'))
      const app = await fetch(`${url}/__emulator/ui/app.js`, { headers: { authorization: AUTH } })
      expect(app.status).toBe(200)
      expect(app.headers.get('content-type')).toMatch(/^text\/javascript/)
      expect(await app.text()).toBe(readFileSync(join(DIST, 'ui', 'app.js'), 'utf8'))
      const openapi = await fetch(`${url}/__emulator/openapi.json`)
      expect(openapi.status).toBe(200)
      const doc = await openapi.json() as { openapi: string, info: { version: string }, paths: Record<string, unknown> }
      expect(doc.openapi).toBe('3.1.0')
      expect(doc.info.version).toBe(VERSION)
      expect(Object.keys(doc.paths)).toContain('/v1/crdb_tasks/{task_id}')
    })

    it('answers as main.js does: errors, checked requests, the OpenAPI document', async () => {
      const unbundled = await start(tree('compare', (path) => !path.startsWith('cli/server.bundle.mjs')), ['--clock', 'manual'])
      const bundled = await start(entry, ['--clock', 'manual'])
      const json = { authorization: AUTH, 'content-type': 'application/json' }
      const requests: Array<[string, RequestInit]> = [
        ['/v1/crdb_tasks/nope', { headers: { authorization: AUTH } }],
        ['/v1/crdb_tasks/nope', {}],
        ['/v1/crdbs', { method: 'POST', headers: json, body: '{"name": 5}' }],
        ['/v1/crdbs', { method: 'POST', headers: json, body: '{' }],
        ['/__emulator/clock/advance', { method: 'POST', headers: json, body: '{"seconds": "soon"}' }],
        ['/__emulator/health', {}],
        ['/__emulator/openapi.json', {}]
      ]
      for (const [path, init] of requests) {
        const [a, b] = await Promise.all([fetch(unbundled + path, init), fetch(bundled + path, init)])
        const [aBody, bBody] = await Promise.all([a.text(), b.text()])
        expect({ path, status: b.status, body: bBody }).toEqual({ path, status: a.status, body: aBody })
      }
    })

    it('listens with --tls on a certificate it makes', async () => {
      const url = await start(entry, ['--clock', 'manual', '--tls'])
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const res = await httpsApi(url, '/__emulator/health')
      expect(res.status).toBe(200)
      expect(res.peerFingerprint).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/)
    })

    it('writes pretty log lines with --log-format pretty', async () => {
      const child = spawn(process.execPath, [entry, '--host', '127.0.0.1', '--port', '0', '--clock', 'manual', '--log-format', 'pretty'], { stdio: 'pipe' })
      children.push(child)
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        const timer = setTimeout(() => reject(new Error(`no start-up line in 10 s: ${out}`)), 10_000)
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const found = out.split('\n').find((l) => l.includes('CRDB tasks emulator listening on'))
          if (found !== undefined) { clearTimeout(timer); resolve(found) }
        })
        child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${String(code)}: ${out}`)) })
      })
      expect(line.trimStart().startsWith('{')).toBe(false)
      expect(line).toContain('INFO')
    })
  })

  it('is optional: entry.js without it runs main.js', async () => {
    const entry = tree('unbundled', (path) => !path.startsWith('cli/server.bundle.mjs'))
    expect(existsSync(join(entry, '..', 'server.bundle.mjs'))).toBe(false)
    expect(versionOf(entry)).toBe(`${VERSION}\n`)
    const url = await start(entry, ['--clock', 'manual'])
    expect((await fetch(`${url}/__emulator/health`)).status).toBe(200)
  })
})
