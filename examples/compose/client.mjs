// A client service in the compose stack: it talks to the emulator as it would to a cluster.
// Creates a CRDB, polls its task every 0.5 s until finished or failed (at most 60 s), exits 0 on
// finished. No dependencies: Node's fetch only.
const url = process.env.EMULATOR_URL ?? 'http://127.0.0.1:8080'
const auth = 'Basic ' + Buffer.from(`${process.env.EMULATOR_USER ?? 'admin@example.com'}:${process.env.EMULATOR_PASSWORD ?? 'admin'}`).toString('base64')
const headers = { authorization: auth, 'content-type': 'application/json' }

const created = await fetch(`${url}/v1/crdbs`, {
  method: 'POST',
  headers,
  body: JSON.stringify({
    name: 'compose-db',
    default_db_config: { name: 'compose-db', memory_size: 104857600 },
    // an Active-Active database spans at least two clusters; each instance says how to reach its cluster
    instances: ['east.example.com', 'west.example.com'].map((name) => ({
      cluster: { name, url: `https://${name}:9443`, credentials: { username: 'admin@example.com', password: 'admin' } }
    }))
  })
})
if (created.status !== 200) {
  console.error(`create answered ${created.status}: ${await created.text()}`)
  process.exit(1)
}
const task = await created.json()
console.log(`task ${task.id} ${task.status}`)

const deadline = Date.now() + 60_000
let last = task.status
while (Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 500))
  const res = await fetch(`${url}/v1/crdb_tasks/${task.id}`, { headers })
  const body = await res.json()
  if (body.status !== last) console.log(`task ${task.id} ${body.status}`)
  last = body.status
  if (body.status === 'finished') {
    console.log(`CRDB ${body.crdb_guid} created`)
    process.exit(0)
  }
  if (body.status === 'failed') {
    console.error(`task failed: ${JSON.stringify(body.errors)}`)
    process.exit(1)
  }
}
console.error('gave up after 60 s')
process.exit(1)
