// A client service in the scaling stack: it uses the emulator through HAProxy only, as test
// suites would, then asks each replica directly what it holds, and exits 0 when every namespace
// lives on exactly one replica and every replica holds some. No dependencies: Node's fetch only.
//   EMULATOR_URL  HAProxy's front (default http://127.0.0.1:8080)
//   REPLICA_URLS  the replicas, comma-separated, to ask directly (default http://replica-a:8080,http://replica-b:8080)
const front = process.env.EMULATOR_URL ?? 'http://127.0.0.1:8080'
const replicas = (process.env.REPLICA_URLS ?? 'http://replica-a:8080,http://replica-b:8080').split(',')
const auth = 'Basic ' + Buffer.from(`${process.env.EMULATOR_USER ?? 'admin@example.com'}:${process.env.EMULATOR_PASSWORD ?? 'admin'}`).toString('base64')
const headers = { authorization: auth, 'content-type': 'application/json' }
const tasksEach = 3
const failures = []

async function call (method, url, body) {
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await response.text()
  return { status: response.status, body: text === '' ? null : JSON.parse(text) }
}

// HAProxy may start before it has seen the replicas pass their health check: wait (at most 30 s)
for (let attempt = 0; ; attempt++) {
  const answer = await fetch(`${front}/__emulator/health`).catch(() => null)
  if (answer?.status === 200) break
  if (attempt === 60) { console.error(`${front} did not answer its health check in 30 s`); process.exit(1) }
  await new Promise((resolve) => setTimeout(resolve, 500))
}

// a run's own names, so that running the client again (with the replicas' state kept) still checks
const run = Math.random().toString(36).slice(2, 8)
// made by name first, as a test's createEmulator({ url, namespace }) does: PUT
// /__emulator/namespaces/{name} has no prefix, and must reach the replica the prefix will
const byName = Array.from({ length: 12 }, (_, i) => `suite-${run}-${i + 1}`)
// made on first use, by a client that only has its base URL .../ns/{name}
const onFirstUse = Array.from({ length: 4 }, (_, i) => `job-${run}-${i + 1}`)
const names = [...byName, ...onFirstUse]

for (const name of byName) {
  const put = await call('PUT', `${front}/__emulator/namespaces/${name}`, { clock: 'manual' })
  if (put.status !== 201) failures.push(`PUT /__emulator/namespaces/${name} answered ${put.status}, not 201`)
}
// tasks held queued (they never end), so they can be polled for as long as the check takes
for (const name of names) {
  for (let i = 1; i <= tasksEach; i++) {
    const made = await call('POST', `${front}/ns/${name}/__emulator/tasks`, { id: `task-${i}`, durations: { queued: null } })
    if (made.status !== 201) failures.push(`creating ${name}/task-${i} answered ${made.status}`)
  }
}
// the default namespace: no prefix
const defaultTasks = async () => await Promise.all(replicas.map(async (url) => (await call('GET', `${url}/__emulator/namespaces`)).body.find((n) => n.name === 'default').tasks))
const defaultBefore = await defaultTasks()
const plain = await call('POST', `${front}/__emulator/tasks`, { durations: { queued: null } })
if (plain.status !== 201) failures.push(`creating a task without a prefix answered ${plain.status}`)
const defaultGrew = (await defaultTasks()).map((n, i) => n - defaultBefore[i])

// every poll through HAProxy finds its task: it would be 404 on any other replica
let polls = 0
for (const name of names) {
  for (let i = 1; i <= tasksEach; i++) {
    for (let k = 0; k < 3; k++) {
      const poll = await call('GET', `${front}/ns/${name}/v1/crdb_tasks/task-${i}`)
      polls++
      if (poll.status !== 200) failures.push(`poll ${name}/task-${i} answered ${poll.status}`)
    }
  }
}

// what each replica holds, asked directly
const held = await Promise.all(replicas.map(async (url) => {
  const list = await call('GET', `${url}/__emulator/namespaces`)
  if (list.status !== 200) throw new Error(`${url}/__emulator/namespaces answered ${list.status}`)
  return new Map(list.body.map((n) => [n.name, n]))
}))
const label = (i) => new URL(replicas[i]).hostname
console.log('namespace'.padEnd(20) + 'made'.padEnd(14) + replicas.map((_, i) => label(i).padEnd(12)).join(''))
for (const name of names) {
  const where = held.map((h) => h.get(name))
  const made = byName.includes(name) ? 'by name' : 'on first use'
  console.log(name.padEnd(20) + made.padEnd(14) + where.map((n) => (n === undefined ? '-' : `${n.tasks} tasks`).padEnd(12)).join(''))
  const on = where.filter((n) => n !== undefined)
  if (on.length !== 1) failures.push(`${name} is on ${on.length} replicas, not 1`)
  else if (on[0].tasks !== tasksEach) failures.push(`${name} has ${on[0].tasks} tasks, not ${tasksEach}`)
  else if (made === 'by name' && on[0].clock.mode !== 'manual') failures.push(`${name} was made with a manual clock, but the replica that holds it has a ${on[0].clock.mode} clock`)
}
console.log('default'.padEnd(20) + 'no prefix'.padEnd(14) + defaultGrew.map((n) => `+${n} task`.padEnd(12)).join(''))
if (defaultGrew.filter((n) => n === 1).length !== 1 || defaultGrew.some((n) => n !== 0 && n !== 1)) failures.push(`the unprefixed task went to ${defaultGrew.join(' / ')} tasks more in the replicas' default namespaces, not to one`)
const share = held.map((h) => names.filter((name) => h.has(name)).length)
share.forEach((n, i) => { if (n === 0) failures.push(`${label(i)} holds none of the ${names.length} namespaces`) })

// removing a namespace by name, as a test's close() does, reaches the replica that holds it
for (const name of byName) {
  const removed = await call('DELETE', `${front}/__emulator/namespaces/${name}`)
  if (removed.status !== 204) failures.push(`DELETE /__emulator/namespaces/${name} answered ${removed.status}, not 204`)
}

if (failures.length > 0) {
  for (const failure of failures) console.error(`FAIL: ${failure}`)
  process.exit(1)
}
console.log(`each of ${names.length} namespaces is on exactly one replica (${share.map((n, i) => `${label(i)} ${n}`).join(', ')}), ` +
  `and so is the default one; ${polls} polls through HAProxy all found their task; ${byName.length} namespaces removed by name`)
