// node bench/saves.mjs [--quick] [--tasks 100000] [--duration 10] [--rounds 2]
// (run by npm run bench after its other tables; npm run build first when run alone)
//
// Do saves of the state file hold up polls? Two emulators hold the same many live tasks: one
// with --fixtures (nothing is saved), one with --state-file (saved within 250 ms of each change).
// While polls load one of them, a writer makes a change every 100 ms (it creates a task), so the
// second saves about four times a second. The runs alternate (no saves, saves, no saves, ...),
// and the table compares the poll latency of each pair; the goal is a p99 with saves within 2x
// of the p99 without. The probe is one poll every 20 ms beside the load (see `probe`).
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AUTH } from './targets/payload.mjs'

const argv = process.argv.slice(2)
const option = (name, fallback) => { const i = argv.indexOf(name); return i >= 0 ? Number(argv[i + 1]) : fallback }
const QUICK = argv.includes('--quick')
const TASKS = option('--tasks', QUICK ? 10_000 : 100_000)
const DURATION = QUICK ? 1 : option('--duration', 10)
const ROUNDS = QUICK ? 1 : option('--rounds', 2)
const CONNECTIONS = 20
const MAIN = new URL('../dist/cli/entry.js', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'bench-saves-'))

async function freePort () {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
  })
}

async function start (name, args) {
  const port = await freePort()
  const child = spawn(process.execPath, [MAIN, '--host', '127.0.0.1', '--port', String(port), '--max-tasks', String(TASKS * 2), ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      const res = await fetch(`${url}/v1/crdb_tasks/t0`, { headers: { authorization: AUTH } })
      if (res.status === 200) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`${name} did not answer in 120 s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { name, child, url }
}

async function stop (server) {
  server.child.kill('SIGTERM')
  await new Promise((resolve) => server.child.once('exit', resolve))
}

/**
 * One poll every 20 ms, each after the last one answered: its latencies are weighted by time, so
 * a stall of the whole process shows in them (a closed-loop load's p99 hides a rare long stall,
 * for only its few requests in flight wait through it).
 */
function probe (server) {
  const latencies = []
  const state = { done: false }
  const running = (async () => {
    while (!state.done) {
      const started = performance.now()
      await fetch(`${server.url}/v1/crdb_tasks/t1`, { headers: { authorization: AUTH } }).then((res) => res.arrayBuffer()).catch(() => {})
      latencies.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  return async () => { state.done = true; await running; return latencies }
}

const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(p * s.length))] }

/** Polls random tasks for `seconds` while a writer makes a change every 100 ms; counts the saves seen. */
async function load (server, seconds, stateFile) {
  const stopProbe = probe(server)
  let saves = 0
  let lastSave = stateFile === undefined ? 0 : statSync(stateFile).mtimeMs
  const writer = setInterval(() => {
    fetch(`${server.url}/__emulator/tasks`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{}' }).catch(() => {})
    if (stateFile !== undefined) {
      const at = statSync(stateFile).mtimeMs
      if (at !== lastSave) { saves++; lastSave = at }
    }
  }, 100)
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: AUTH },
    requests: [{ method: 'GET', path: '/v1/crdb_tasks/t0', setupRequest: (req) => ({ ...req, path: `/v1/crdb_tasks/t${Math.floor(Math.random() * TASKS)}` }) }]
  })
  clearInterval(writer)
  const probed = await stopProbe()
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, errors: result.errors + result.timeouts + result.non2xx, saves, probeP99: percentile(probed, 0.99), probeMax: Math.max(...probed) }
}

// the same tasks for both: running, with no end (a null duration), so polls see them all the run
const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, phase: 'running', durations: { running: null } }))
const fixtures = join(dir, 'fixtures.json')
const stateFile = join(dir, 'state.json')
writeFileSync(fixtures, JSON.stringify({ namespaces: { default: { tasks } } }))
writeFileSync(stateFile, JSON.stringify({ namespaces: { default: { tasks } } }))

const quiet = await start('no saves (--fixtures)', ['--fixtures', fixtures])
const saving = await start('saves (--state-file)', ['--state-file', stateFile])
const runs = { quiet: [], saving: [] }
try {
  await load(quiet, QUICK ? 0.5 : 2)
  await load(saving, QUICK ? 0.5 : 2, stateFile)
  for (let round = 0; round < ROUNDS; round++) {
    runs.quiet.push(await load(quiet, DURATION))
    runs.saving.push(await load(saving, DURATION, stateFile))
  }
} finally {
  await stop(quiet)
  await stop(saving)
  rmSync(dir, { recursive: true, force: true })
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const ms = (x) => x.toFixed(1)
const row = (name, rs, ref) => {
  const p99 = median(rs.map((r) => r.p99))
  const probeP99 = median(rs.map((r) => r.probeP99))
  const ratio = (a, b) => ref === undefined ? '1.00' : (a / Math.max(b, 1)).toFixed(2)
  return `| ${name} | ${Math.round(median(rs.map((r) => r.rps))).toLocaleString('en-US')} | ${median(rs.map((r) => r.p50))} | ${p99} | ${ms(probeP99)} | ${ms(Math.max(...rs.map((r) => r.probeMax)))} | ${rs.reduce((n, r) => n + r.errors, 0)} | ${ref === undefined ? '-' : rs.reduce((n, r) => n + r.saves, 0)} | ${ratio(p99, ref?.p99)} | ${ratio(probeP99, ref?.probeP99)} |`
}
const refP99 = { p99: median(runs.quiet.map((r) => r.p99)), probeP99: median(runs.quiet.map((r) => r.probeP99)) }
console.log(`\nPolls of ${TASKS.toLocaleString('en-US')} live tasks while a change is made every 100 ms: ${CONNECTIONS} connections, ${ROUNDS} x ${DURATION} s each, alternating (goal: p99 with saves <= 2x without)\n`)
console.log('| polls of many tasks | req/s | p50 ms | p99 ms | probe p99 ms | probe max ms | errors | saves | p99 x no saves | probe p99 x no saves |')
console.log('|---|---|---|---|---|---|---|---|---|---|')
console.log(row(`no saves (--fixtures), ${TASKS} tasks`, runs.quiet))
console.log(row(`saves (--state-file), ${TASKS} tasks`, runs.saving, refP99))
