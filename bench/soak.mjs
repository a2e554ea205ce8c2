// npm run soak [-- --seconds 300] : a bounded mixed load on loopback against the built server
// (polls, lists, cancels, creates through /v1/crdbs and the control API, clock advances, a few
// namespaces, and hostile patterns: unauthenticated floods, bodies past the limits) for a set
// time, with --state-file (so it saves under the load); beside it a second server with --tls
// takes idle and half-sent TLS connections while its health probe must keep answering. It fails
// (exit 1) on any unexpected status or connection error, when memory keeps growing after warming
// up, or when the saved state does not load; it prints its figures either way.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { Agent, request } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const argv = process.argv.slice(2)
const SECONDS = Number(argv[argv.indexOf('--seconds') + 1] ?? 0) || 120
const WORKERS = 16
const AUTH = `Basic ${Buffer.from('admin@example.com:admin').toString('base64')}`
const agent = new Agent({ keepAlive: true, maxSockets: WORKERS })

const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) }) })
const MAIN = new URL('../dist/cli/entry.js', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'soak-'))
const stateFile = join(dir, 'state.json')
const port = await freePort()
const child = spawn(process.execPath, [MAIN, '--port', String(port), '--clock', 'real', '--time-scale', '50', '--max-tasks', '20000', '--result-ttl', '60', '--state-file', stateFile], { stdio: ['ignore', 'ignore', 'inherit'] })
const base = `http://127.0.0.1:${port}`
// the TLS server of the idle and half-sent connections
const tlsPort = await freePort()
const tlsChild = spawn(process.execPath, [MAIN, '--port', String(tlsPort), '--tls', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] })
const httpsAgent = new HttpsAgent({ keepAlive: false, rejectUnauthorized: false })

function call (method, path, body, options = {}) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    const auth = options.auth === undefined ? { authorization: AUTH } : options.auth === null ? {} : { authorization: options.auth }
    const req = request(base + path, { method, agent, headers: { ...auth, ...(payload === undefined ? {} : { 'content-type': options.type ?? 'application/json', 'content-length': Buffer.byteLength(payload) }) } }, (res) => {
      let text = ''
      res.on('data', (c) => { text += c })
      res.on('end', () => {
        let json
        try { json = text === '' ? undefined : JSON.parse(text) } catch { json = undefined }
        const shaped = res.statusCode < 400 || (typeof json?.error_code === 'string' && typeof json?.description === 'string')
        resolve({ status: res.statusCode, json, shaped })
      })
    })
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')))
    req.on('error', (err) => resolve({ status: 0, error: err.message, shaped: false }))
    req.end(payload)
  })
}

/** GET /__emulator/health of the TLS server, over a new TLS connection. */
function tlsHealth () {
  return new Promise((resolve) => {
    const req = httpsRequest(`https://127.0.0.1:${tlsPort}/__emulator/health`, { agent: httpsAgent }, (res) => {
      let text = ''
      res.on('data', (c) => { text += c })
      res.on('end', () => resolve({ status: res.statusCode, json: text, shaped: true }))
    })
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')))
    req.on('error', (err) => resolve({ status: 0, error: err.message, shaped: false }))
    req.end()
  })
}

for (let i = 0; ; i++) {
  if ((await call('GET', '/__emulator/health')).status === 200 && (await tlsHealth()).status === 200) break
  if (i > 200) throw new Error('the servers did not start')
  await new Promise((resolve) => setTimeout(resolve, 50))
}

// idle TLS clients: up to 200 connections at a time that never start a handshake, or send half
// a ClientHello and stop; each is dropped after 1 to 3 s (the server's handshake timeout is 10 s)
const idle = new Set()
let idleOpened = 0
const idleTimer = setInterval(() => {
  while (idle.size < 200) {
    const socket = connect(tlsPort, '127.0.0.1')
    idleOpened++
    idle.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => idle.delete(socket))
    if (idleOpened % 2 === 0) socket.on('connect', () => socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])))
    setTimeout(() => socket.destroy(), 1000 + Math.random() * 2000)
  }
}, 100)

const rssMiB = (proc) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))[1]) / 1024)
const credentials = { username: 'admin@example.com', password: 'admin' }
const crdb = { name: 'soak', instances: [{ cluster: { name: 'a', url: 'https://a:9443', credentials } }, { cluster: { name: 'b', url: 'https://b:9443', credentials } }] }
const counts = new Map()
const unexpected = []
const known = []
let requests = 0
let errors = 0
const note = (op, res, allowed) => {
  requests++
  const key = `${op} ${res.status}`
  counts.set(key, (counts.get(key) ?? 0) + 1)
  if (res.status === 0) { errors++; if (unexpected.length < 10) unexpected.push(`${op}: ${res.error}`) } else if (!allowed.includes(res.status) || !res.shaped) {
    if (unexpected.length < 10) unexpected.push(`${op}: ${res.status} ${JSON.stringify(res.json)}`)
  }
}
// mostly recent tasks (alive), some old ones (expired by now)
const pick = () => known[Math.max(0, known.length - 1 - Math.floor(Math.random() * (Math.random() < 0.9 ? 500 : known.length)))]

// what each kind of request may answer: a task may end, expire or be canceled meanwhile
const ops = [
  [30, async () => { const id = pick(); if (id !== undefined) note('poll', await call('GET', `/v1/crdb_tasks/${id}`), [200, 404]) }],
  [5, async () => note('list', await call('GET', '/v1/crdb_tasks'), [200])],
  [8, async () => { const id = pick(); if (id !== undefined) note('cancel', await call('POST', `/v1/crdb_tasks/${id}/actions/cancel${Math.random() < 0.3 ? '?force=true' : ''}`), [200, 404, 406]) }],
  [8, async () => { const r = await call('POST', '/v1/crdbs', crdb); note('create crdb', r, [200, 503]); if (r.status === 200) known.push(r.json.id) }],
  [8, async () => { const r = await call('POST', '/__emulator/tasks', { durations: { queued: Math.random() * 5, running: Math.random() * 30, commit: Math.random() * 5 }, outcome: Math.random() < 0.2 ? 'failed' : 'finished' }); note('create task', r, [201, 503]); if (r.status === 201) known.push(r.json.id) }],
  [2, async () => note('advance', await call('POST', '/__emulator/clock/advance', { seconds: Math.random() * 2 }), [200])],
  [3, async () => { const ns = `soak-${Math.floor(Math.random() * 5)}`; note('namespace poll', await call('GET', `/ns/${ns}/v1/crdb_tasks`), [200]) }],
  [2, async () => note('journal', await call('GET', '/__emulator/requests?method=GET'), [200])],
  [1, async () => note('crdbs', await call('GET', '/v1/crdbs'), [200])],
  // the hostile patterns: floods without credentials (a public route under a new namespace,
  // 404s with big queries, wrong passwords), bodies past the limits, text/plain on a mutation
  [4, async () => note('unauth health', await call('GET', `/ns/flood-${Math.floor(Math.random() * 1e9)}/__emulator/health`, undefined, { auth: null }), [200])],
  [4, async () => note('unauth 404', await call('GET', `/nope/${Math.random()}?${'q=' + 'x'.repeat(2000) + '&'.repeat(1)}k=${'y'.repeat(2000)}`, undefined, { auth: null }), [401])],
  [2, async () => note('wrong password', await call('GET', '/v1/crdb_tasks', undefined, { auth: `Basic ${Buffer.from(`admin@example.com:${Math.random()}`).toString('base64')}` }), [401])],
  [1, async () => note('big body', await call('POST', '/v1/crdbs', { ...crdb, default_db_config: { note: 'x'.repeat(70 * 1024) } }), [413])],
  [1, async () => note('text/plain', await call('POST', '/__emulator/reset', 'reset please', { type: 'text/plain' }), [415])],
  [1, async () => note('tls health beside idle TLS clients', await tlsHealth(), [200])]
]
const total = ops.reduce((n, [w]) => n + w, 0)
const choose = () => { let r = Math.random() * total; for (const [w, op] of ops) { r -= w; if (r < 0) return op } return ops[0][1] }

const started = Date.now()
const end = started + SECONDS * 1000
const warm = started + Math.min(60_000, SECONDS * 1000 / 3)
const samples = []
const sampler = setInterval(() => samples.push({ t: Date.now(), rss: rssMiB(child), tlsRss: rssMiB(tlsChild) }), 1000)
await Promise.all(Array.from({ length: WORKERS }, async () => {
  while (Date.now() < end) {
    await choose()()
    if (known.length > 50_000) known.splice(0, 25_000)
  }
}))
clearInterval(sampler)
clearInterval(idleTimer)
for (const socket of idle) socket.destroy()
const after = samples.filter((s) => s.t >= warm)
const firstAfterWarm = after[0]?.rss ?? 0
const peakAfterWarm = Math.max(...after.map((s) => s.rss))
const last = after.at(-1)?.rss ?? 0
const tlsFirst = after[0]?.tlsRss ?? 0
const tlsPeak = Math.max(...after.map((s) => s.tlsRss))
// both exits listened for before either is asked for: a server that exits first must not be missed
const exits = [child, tlsChild].map((proc) => new Promise((resolve) => proc.once('exit', resolve)))
child.kill('SIGTERM')
tlsChild.kill('SIGTERM')
const [code, tlsCode] = await Promise.all(exits)
// what was saved under the load loads: valid JSON of the state file's shape, with the tasks
let saved = 'missing'
try {
  const state = JSON.parse(readFileSync(stateFile, 'utf8'))
  saved = `${Object.keys(state.namespaces).length} namespaces, ${state.namespaces.default.tasks.length} tasks in default`
} catch (err) {
  saved = `NOT LOADABLE: ${err.message}`
}
rmSync(dir, { recursive: true, force: true })

const seconds = (Date.now() - started) / 1000
console.log(`soak: ${SECONDS} s, ${WORKERS} workers, ${requests.toLocaleString('en-US')} requests (${Math.round(requests / seconds).toLocaleString('en-US')}/s)`)
console.log(`  unexpected statuses: ${unexpected.length}, connection errors: ${errors}, exit code after SIGTERM: ${code} (TLS server: ${tlsCode})`)
console.log(`  RSS MiB: after warm-up ${firstAfterWarm}, peak after warm-up ${peakAfterWarm}, at the end ${last}`)
console.log(`  TLS server: ${idleOpened.toLocaleString('en-US')} idle or half-sent connections; RSS MiB after warm-up ${tlsFirst}, peak ${tlsPeak}`)
console.log(`  the state file saved under the load: ${saved}`)
console.log(`  statuses: ${[...counts].sort().map(([k, n]) => `${k} x${n}`).join(', ')}`)
for (const u of unexpected) console.log(`  UNEXPECTED ${u}`)
// flat memory: after warming up, no more than 25 % (and 40 MiB) above where it stood
const grows = (first, peak) => peak > first * 1.25 && peak - first > 40
const grew = grows(firstAfterWarm, peakAfterWarm) || grows(tlsFirst, tlsPeak)
if (grew) console.log('  MEMORY GREW after warm-up')
process.exit(unexpected.length === 0 && errors === 0 && code === 0 && tlsCode === 0 && !grew && !saved.startsWith('NOT') && saved !== 'missing' ? 0 : 1)
