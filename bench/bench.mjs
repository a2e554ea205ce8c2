// npm run bench [-- --quick] [-- --duration 10 --rounds 2] [-- --startup (only the start-up table)] [-- --poll (start-up and GET one task only)]; the full run ends with bench/saves.mjs
//
// Loads the BUILT emulator, started as a user starts it (a separate process, default settings:
// request logs at info and the journal on), and in the same run two references: bare node:http
// and a minimal Fastify route with the same auth and payload. Each workload alternates the
// reference and the target (A B A B ...), after a warm-up, and reports the ratio of each target
// run to the node:http run just before it: the machine's speed drifts, so only pairs compare.
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, totalmem } from 'node:os'
import { AUTH } from './targets/payload.mjs'

const argv = process.argv.slice(2)
const option = (name, fallback) => { const i = argv.indexOf(name); return i >= 0 ? Number(argv[i + 1]) : fallback }
const QUICK = argv.includes('--quick')
const DURATION = QUICK ? 1 : option('--duration', 5)
const WARMUP = QUICK ? 0.5 : 2
const ROUNDS = QUICK ? 1 : option('--rounds', 2)
const CONNECTIONS = 50
const MAIN = new URL('../dist/cli/entry.js', import.meta.url).pathname
const TARGETS = new URL('./targets/', import.meta.url).pathname

async function freePort () {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
  })
}

/** Starts a server process; resolves once it answers HTTP. Its output is discarded, as a service's would be to a log collector. */
async function start (name, script, args = [], env = {}) {
  const port = await freePort()
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env, PORT: String(port) } })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      await fetch(`${url}/v1/crdb_tasks/x`, { headers: { authorization: AUTH } })
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not answer in 15 s`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { name, child, url }
}

async function stop (server) {
  server.child.kill('SIGTERM')
  await new Promise((resolve) => server.child.once('exit', resolve))
}

/** Peak resident memory of a process so far (VmHWM), MiB. */
function peakRss (server) {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8')
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024)
}

async function api (server, method, path, body) {
  const res = await fetch(server.url + path, { method, headers: { authorization: AUTH, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.status === 204 ? undefined : await res.json()
}

/** One autocannon run; `request` gives the method and path of each request. */
async function load (server, request, seconds) {
  const first = request()
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: AUTH },
    requests: [{ method: first.method, path: first.path, setupRequest: (req) => ({ ...req, ...request() }) }]
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }

/**
 * Runs a workload: `ref` and each target in `targets` alternate (ref, t1, ref, t2, ... per round),
 * `prepare(target)` runs before each target run (fresh tasks for cancels).
 */
async function workload (name, ref, targets, request, prepare = async () => {}) {
  for (const server of [ref, ...targets]) { await prepare(server); await load(server, request, WARMUP) }
  const runs = new Map([[ref, []], ...targets.map((t) => [t, []])])
  const ratios = new Map(targets.map((t) => [t, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      await prepare(ref)
      const a = await load(ref, request, DURATION)
      await prepare(target)
      const b = await load(target, request, DURATION)
      runs.get(ref).push(a)
      runs.get(target).push(b)
      ratios.get(target).push(b.rps / a.rps)
    }
  }
  return [ref, ...targets].map((server) => {
    const rs = runs.get(server)
    return {
      workload: name,
      target: server.name,
      rps: median(rs.map((r) => r.rps)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      errors: rs.reduce((n, r) => n + r.errors, 0),
      rss: peakRss(server),
      ratio: server === ref ? 1 : median(ratios.get(server)),
      ratioRange: server === ref ? '' : `${Math.min(...ratios.get(server)).toFixed(2)}-${Math.max(...ratios.get(server)).toFixed(2)}`
    }
  })
}

function finishedTasks (n, prefix) {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, phase: 'completed', started_at: -14, ended_at: -1, result_ttl: 2147483647 }))
}

/**
 * Start-up, what a user waits for before the first request: (a) a process started as a user
 * starts it, from spawn to its first answer, against a bare node:http listen; (b) in this
 * process, `createEmulator()` after the first (the library in a test suite) against building
 * and listening a minimal Fastify app. Alternated A B A B, medians, ratios pair by pair.
 */
async function timeToFirstAnswer (script, args) {
  const port = await freePort()
  const t0 = performance.now()
  const child = spawn(process.execPath, [script, '--port', String(port), ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PORT: String(port) } })
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/__emulator/health`)
      await res.arrayBuffer()
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`${script} did not answer in 15 s`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }
  const ms = performance.now() - t0
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  return ms
}

/** Times `fn` `n` times after `warm` calls; the median, ms. */
async function medianMs (fn, n, warm = Math.min(n, 50)) {
  for (let i = 0; i < warm; i++) await fn()
  const times = []
  for (let i = 0; i < n; i++) { const t = performance.now(); await fn(); times.push(performance.now() - t) }
  return median(times)
}

const startup = { rows: [], goals: [] }
async function startupRows () {
  const n = QUICK ? 2 : 10
  const out = startup.rows
  const pairs = async (name, refName, ref, target, first) => {
    const a = []
    const b = []
    for (let i = 0; i < n; i++) { a.push(await ref()); b.push(await target()) }
    const ratios = b.map((t, i) => t / a[i])
    const range = `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`
    out.push({ what: name, target: refName, ms: median(a), ratio: '1.00' })
    if (first !== undefined) out.push({ what: name, target: first.name, ms: first.ms, ratio: (first.ms / median(a)).toFixed(2) })
    out.push({ what: name, target: first === undefined ? 'node dist/cli/entry.js --clock manual' : 'createEmulator(), each later one', ms: median(b), ratio: `${median(ratios).toFixed(2)} (${range})` })
    return { ref: median(a), target: median(b), ratio: median(ratios), range }
  }
  await timeToFirstAnswer(`${TARGETS}http-listen.mjs`, []) // warm the file cache
  await timeToFirstAnswer(MAIN, ['--clock', 'manual'])
  const cli = await pairs('CLI start to first answer', 'bare node:http listen', () => timeToFirstAnswer(`${TARGETS}http-listen.mjs`, []), () => timeToFirstAnswer(MAIN, ['--clock', 'manual']))
  startup.goals.push({ what: 'CLI start to first answer', target: 'node dist/cli/entry.js --clock manual', value: `${Math.round(cli.target)} ms`, reference: `bare node:http listen, ${Math.round(cli.ref)} ms`, ratio: `${cli.ratio.toFixed(2)}x (${cli.range})`, goal: '<= 3x' })

  const t0 = performance.now()
  const { createEmulator } = await import('../dist/lib/index.js')
  await (await createEmulator()).close()
  const first = performance.now() - t0
  const { startFastifyApp } = await import('./targets/fastify-app.mjs')
  await (await startFastifyApp()).close()
  const timed = (fn) => async () => { const t = performance.now(); await (await fn()).close(); return performance.now() - t }
  const lib = await pairs('in-process start to listening', 'bare Fastify app, build + listen', timed(startFastifyApp), timed(() => createEmulator()), { name: 'createEmulator(), the first (with its imports)', ms: first })
  startup.goals.push({ what: 'createEmulator(), each later one', target: 'createEmulator() + close()', value: `${lib.target.toFixed(1)} ms`, reference: `bare Fastify app build + listen + close, ${lib.ref.toFixed(1)} ms`, ratio: `${lib.ratio.toFixed(2)}x (${lib.range})`, goal: '<= 5x' })

  // reset: the reset itself (what POST /__emulator/reset does, in this process, to a namespace
  // with 10 tasks, a fault rule and 10 journal entries), and the handle's reset(), which goes
  // over loopback HTTP like every handle call, against the same fetch to the bare Fastify route
  const k = QUICK ? 50 : 2000
  const { resetCluster } = await import('../dist/emulator/cluster.js')
  const { loadConfig } = await import('../dist/cli/config.js')
  const { assemble } = await import('../dist/cli/assemble.js')
  const { registry } = await assemble(loadConfig(['--clock', 'manual', '--seed', 'bench'], {}).config)
  const cluster = registry.find('default')
  const fill = () => {
    for (let i = 0; i < 10; i++) cluster.engine.create({ id: `r-${i}` })
    cluster.faults.add({ match: { method: 'GET', path: '/v1/crdb_tasks/*' }, action: { status: 500, error_code: 'x', description: 'x' } })
    for (let i = 0; i < 10; i++) cluster.journal.record({ method: 'GET', path: '/v1/crdb_tasks', query: {}, status: 200, user: null, cluster: 'c', at: 0, duration_ms: 0 })
  }
  const times = []
  for (let i = 0; i < k; i++) { fill(); const t = performance.now(); resetCluster(cluster); times.push(performance.now() - t) }
  const itself = median(times.slice(Math.min(50, k >> 1)))
  const emulator = await createEmulator()
  const viaHandle = await medianMs(() => emulator.reset(), k)
  const viaHttp = await medianMs(async () => {
    const res = await fetch(`${emulator.url}/__emulator/reset`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{"keep":[]}' })
    await res.arrayBuffer()
  }, k)
  const app = await startFastifyApp()
  const { port } = app.server.address()
  const bare = await medianMs(async () => { const res = await fetch(`http://127.0.0.1:${port}/v1/crdb_tasks/x`, { headers: { authorization: AUTH } }); await res.arrayBuffer() }, k)
  await app.close()
  await emulator.close()
  out.push({ what: 'reset()', target: 'bare Fastify route, one fetch round trip', ms: bare, ratio: '1.00', digits: 3 })
  out.push({ what: 'reset()', target: 'the reset itself (resetCluster, 10 tasks, in process)', ms: itself, ratio: (itself / bare).toFixed(2), digits: 3 })
  out.push({ what: 'reset()', target: 'emulator.reset(), in-process handle', ms: viaHandle, ratio: (viaHandle / bare).toFixed(2), digits: 3 })
  out.push({ what: 'reset()', target: 'POST /__emulator/reset over loopback (fetch)', ms: viaHttp, ratio: (viaHttp / bare).toFixed(2), digits: 3 })
  startup.goals.push({ what: 'reset()', target: 'emulator.reset() in process; POST /__emulator/reset over HTTP', value: `${viaHandle.toFixed(3)} ms; ${viaHttp.toFixed(3)} ms`, reference: `one fetch round trip to the bare Fastify route, ${bare.toFixed(3)} ms`, ratio: `${(viaHandle / bare).toFixed(2)}x; ${(viaHttp / bare).toFixed(2)}x`, goal: '<= 0.5 ms' })
}

await startupRows()
const printStartup = () => {
  const startupHeader = ['start-up', 'target', 'ms (median)', 'x reference (range)']
  console.log(`\n${[startupHeader, startupHeader.map(() => '---'), ...startup.rows.map((r) => [r.what, r.target, r.digits === undefined ? Math.round(r.ms) : r.ms.toFixed(r.digits), r.ratio])].map((cells) => `| ${cells.join(' | ')} |`).join('\n')}`)
}
/** The issue's goals, each with its reference from this run. */
const printGoals = (more = []) => {
  const header = ['goal', 'target', 'measured', 'reference (same run)', 'ratio', 'goal is']
  const goals = [...startup.goals, ...more]
  console.log(`\n${[header, header.map(() => '---'), ...goals.map((g) => [g.what, g.target, g.value, g.reference, g.ratio, g.goal])].map((cells) => `| ${cells.join(' | ')} |`).join('\n')}`)
}
if (argv.includes('--startup')) {
  printStartup()
  printGoals()
  process.exit(0)
}

const rows = []
const emulatorArgs = ['--port', '0', '--max-tasks', '1000000']
const startEmulator = (name, args) => start(name, MAIN, [...emulatorArgs.filter((a) => a !== '0' && a !== '--port'), ...args])

console.error(`bench: ${QUICK ? 'quick smoke run' : `${DURATION} s runs, ${ROUNDS} rounds`}, ${CONNECTIONS} connections, on ${cpus().length} x ${cpus()[0].model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`)

// 1. GET one task: default settings, --log-level warn, and the Fastify ceiling
{
  const ref = await start('node:http', `${TARGETS}node-http.mjs`)
  const fastify = await start('fastify minimal', `${TARGETS}fastify-min.mjs`)
  const info = await startEmulator('emulator (defaults)', ['--clock', 'manual'])
  const warn = await startEmulator('emulator --log-level warn', ['--clock', 'manual', '--log-level', 'warn'])
  for (const e of [info, warn]) await api(e, 'PUT', '/__emulator/state', { namespaces: { default: { tasks: finishedTasks(1, 'task-') } } })
  rows.push(...await workload('GET one task', ref, [info, warn, fastify], () => ({ method: 'GET', path: '/v1/crdb_tasks/task-0' })))
  for (const s of [ref, fastify, info, warn]) await stop(s)
}

const ALL = !argv.includes('--poll')
// 2. the list, with 10, 1 000 and 10 000 live tasks (QUICK: 10 only)
for (const size of !ALL ? [] : QUICK ? [10] : [10, 1000, 10_000]) {
  const ref = await start('node:http', `${TARGETS}node-http.mjs`, [], { LIST_SIZE: String(size) })
  const emu = await startEmulator('emulator (defaults)', ['--clock', 'manual'])
  await api(emu, 'PUT', '/__emulator/state', { namespaces: { default: { tasks: finishedTasks(size, 'task-') } } })
  rows.push(...await workload(`list of ${size}`, ref, [emu], () => ({ method: 'GET', path: '/v1/crdb_tasks' })))
  await stop(ref); await stop(emu)
}

// 3. cancel: a fresh queued task each call
if (ALL) {
  const ref = await start('node:http', `${TARGETS}node-http.mjs`)
  const emu = await startEmulator('emulator (defaults)', ['--clock', 'manual'])
  const perRun = Math.ceil(30_000 * (Math.max(DURATION, WARMUP) + 1))
  let next = 0
  const prepare = async (server) => {
    if (server !== emu) return
    next = 0
    const tasks = Array.from({ length: perRun }, (_, i) => ({ id: `c-${i}`, phase: 'queued', durations: { queued: null }, result_ttl: 1 }))
    await api(emu, 'PUT', '/__emulator/state', { namespaces: { default: { tasks } } })
  }
  rows.push(...await workload('cancel (fresh queued task)', ref, [emu], () => ({ method: 'POST', path: `/v1/crdb_tasks/c-${next++}/actions/cancel` }), prepare))
  await stop(ref); await stop(emu)
}

// 4. mixed polls: 10 000 tasks advancing under a real clock x100 (QUICK: 1 000)
if (ALL) {
  const n = QUICK ? 1000 : 10_000
  const ref = await start('node:http', `${TARGETS}node-http.mjs`)
  const emu = await startEmulator('emulator (defaults)', ['--clock', 'real', '--time-scale', '100'])
  // phases of 1 to 10 minutes of emulated time: each task moves on every 0.6 to 6 s of the run
  const tasks = Array.from({ length: n }, (_, i) => ({ id: `m-${i}`, durations: { queued: 60 + (i % 7) * 60, running: 120 + (i % 11) * 30, commit: 60 }, result_ttl: 2147483647 }))
  await api(emu, 'PUT', '/__emulator/state', { namespaces: { default: { tasks } } })
  let i = 0
  rows.push(...await workload(`mixed polls, ${n} advancing tasks`, ref, [emu], () => ({ method: 'GET', path: `/v1/crdb_tasks/m-${(i = (i * 7919 + 1) % n)}` })))
  await stop(ref); await stop(emu)
}

// 5. namespaces: 100 namespaces x 100 tasks, polls spread over all of them (QUICK: 10 x 10)
if (ALL) {
  const ns = QUICK ? 10 : 100
  const per = QUICK ? 10 : 100
  const ref = await start('node:http', `${TARGETS}node-http.mjs`)
  const emu = await startEmulator('emulator (defaults)', ['--clock', 'manual'])
  for (let k = 0; k < ns; k++) await api(emu, 'PUT', `/ns/n${k}/__emulator/state`, { namespaces: { [`n${k}`]: { tasks: finishedTasks(per, 't') } } })
  let i = 0
  rows.push(...await workload(`GET in ${ns} namespaces x ${per} tasks`, ref, [emu], () => { i = (i * 7919 + 1) % (ns * per); return { method: 'GET', path: `/ns/n${Math.floor(i / per)}/v1/crdb_tasks/t${i % per}` } }))
  await stop(ref); await stop(emu)
}

const header = ['workload', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'peak RSS MiB', 'x node:http (range)']
const table = [header, header.map(() => '---'), ...rows.map((r) => [r.workload, r.target, Math.round(r.rps).toLocaleString('en-US'), r.p50, r.p99, r.errors, r.rss, r.ratio === 1 ? '1.00' : `${r.ratio.toFixed(2)} (${r.ratioRange})`])]
console.log(table.map((cells) => `| ${cells.join(' | ')} |`).join('\n'))
printStartup()
const fastifyRow = rows.find((r) => r.target === 'fastify minimal')
const pollGoals = [['emulator (defaults)', 'GET one task, default settings (request log on)'], ['emulator --log-level warn', 'GET one task, --log-level warn']].map(([target, what]) => {
  const row = rows.find((r) => r.workload === 'GET one task' && r.target === target)
  return { what, target, value: `${Math.round(row.rps).toLocaleString('en-US')} req/s`, reference: `fastify minimal (basic auth, response schema, logger off), ${Math.round(fastifyRow.rps).toLocaleString('en-US')} req/s`, ratio: `${(row.ratio / fastifyRow.ratio).toFixed(2)}x`, goal: '>= 1.0x' }
})
printGoals(pollGoals)

// 6. saves of the state file under polls of many tasks (bench/saves.mjs, its own table)
if (ALL) {
  const saves = spawn(process.execPath, [new URL('./saves.mjs', import.meta.url).pathname, ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' })
  const code = await new Promise((resolve) => saves.once('exit', resolve))
  if (code !== 0) process.exitCode = 1
}
