// npm run bench:scale [-- --quick]
//
// Scale figures of the engine (in-process, manual clock, so time is the test's): memory per live
// task at 100 000 tasks; resident memory over a 1 000 000-task churn through creation,
// completion and retention (start, peak, end); the cost of settling due events as the number of
// tasks grows (it must grow like log n, never like n); and the built server's start-up time to
// its first answer. Run with --expose-gc (the npm script does).
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createClock } from '../dist/engine/clock.js'
import { createEngine } from '../dist/engine/engine.js'

const QUICK = process.argv.includes('--quick')
const MiB = 2 ** 20
const gc = () => { global.gc(); global.gc() }
const rss = () => process.memoryUsage().rss
const heap = () => process.memoryUsage().heapUsed

const engine = (maxTasks) => createEngine({
  clock: createClock({ mode: 'manual', start: Date.UTC(2026, 0, 1) }),
  clusterName: 'cluster.local',
  durations: { queued: 1, running: 10, commit: 3 },
  resultTtl: 500,
  maxTasks
})

const results = []
const row = (what, value, note = '') => { results.push([what, value, note]); console.error(`${what}: ${value} ${note}`) }

// 1. memory per live task
{
  const n = QUICK ? 10_000 : 100_000
  const e = engine(n)
  gc()
  const before = heap()
  for (let i = 0; i < n; i++) e.create({})
  e.advance(5) // running: started, with a GUID and two history entries
  gc()
  row(`heap per live task (${n.toLocaleString('en-US')} running tasks)`, `${Math.round((heap() - before) / n)} bytes`)
  e.advance(15) // completed: ended, four history entries, waiting for expiry
  gc()
  row(`heap per retained ended task (${n.toLocaleString('en-US')})`, `${Math.round((heap() - before) / n)} bytes`)
  e.advance(500)
  gc()
  row('heap left after every result expired', `${((heap() - before) / MiB).toFixed(1)} MiB`, `(size ${e.size})`)
}

// 2. a 1 000 000-task churn through creation, completion and retention
{
  const total = QUICK ? 100_000 : 1_000_000
  const batch = 10_000
  const e = engine(total)
  gc()
  const start = rss()
  let peak = start
  const t0 = performance.now()
  for (let made = 0; made < total; made += batch) {
    for (let i = 0; i < batch; i++) e.create({ resultTtl: 60 })
    e.advance(20) // the batch completes; earlier batches' results expire 60 s after their end
    peak = Math.max(peak, rss())
  }
  e.advance(120)
  gc()
  const end = rss()
  const seconds = (performance.now() - t0) / 1000
  row(`RSS over a ${total.toLocaleString('en-US')}-task churn: start / peak / end`, `${(start / MiB).toFixed(0)} / ${(peak / MiB).toFixed(0)} / ${(end / MiB).toFixed(0)} MiB`, `(${Math.round(total / seconds).toLocaleString('en-US')} tasks a second through their whole life)`)
}

// 3. the cost of settling due events as the number of tasks grows
for (const n of QUICK ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]) {
  const e = engine(n)
  // due times spread over 1000 s, so each small advance fires a slice of them
  for (let i = 0; i < n; i++) e.create({ durations: { queued: (i % 100_000) / 100, running: 5000, commit: 5000 } })
  gc()
  let events = 0
  const t0 = process.hrtime.bigint()
  for (let s = 0; s < 1000; s++) {
    const before = e.changes
    e.advance(1)
    events += e.changes - before
  }
  const ns = Number(process.hrtime.bigint() - t0)
  row(`settling with ${n.toLocaleString('en-US')} live tasks`, `${(ns / events).toFixed(0)} ns per event`, `(${events.toLocaleString('en-US')} events)`)
}

// 4. start-up time of the built server to its first answer
{
  const port = await new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) }) })
  const t0 = performance.now()
  const child = spawn(process.execPath, [new URL('../dist/cli/entry.js', import.meta.url).pathname, '--port', String(port), '--log-level', 'warn'], { stdio: 'ignore' })
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/__emulator/health`)
      if (res.status === 200) break
    } catch {}
    if (performance.now() - t0 > 15_000) throw new Error('no answer in 15 s')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  row('start-up to the first answer', `${Math.round(performance.now() - t0)} ms`)
  child.kill('SIGTERM')
}

console.log('| figure | value | |\n| --- | --- | --- |')
for (const [what, value, note] of results) console.log(`| ${what} | ${value} | ${note} |`)
