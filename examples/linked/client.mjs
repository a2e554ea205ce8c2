// The client of the linked-clusters stack: creates a CRDB through east, polls its task until it
// ends (at most 60 s), then reads the CRDB through west. Exits 0 when west sees the database
// east created. No dependencies: Node's fetch only.
const east = process.env.EAST_URL ?? 'http://east.example.com:8080'
const west = process.env.WEST_URL ?? 'http://west.example.com:8080'
const as = (user, password) => ({ authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64'), 'content-type': 'application/json' })
const eastAuth = as('admin@example.com', 'admin')
const westAuth = as('ops@west.example.com', 'w3st')

const created = await fetch(`${east}/v1/crdbs`, {
  method: 'POST',
  headers: eastAuth,
  body: JSON.stringify({
    name: 'linked-db',
    instances: [
      { cluster: { name: 'east.example.com', url: 'https://east.example.com:9443', credentials: { username: 'admin@example.com', password: 'admin' } } },
      { cluster: { name: 'west.example.com', url: 'https://west.example.com:9443', credentials: { username: 'ops@west.example.com', password: 'w3st' } } }
    ]
  })
})
if (created.status !== 200) {
  console.error(`create through east answered ${created.status}: ${await created.text()}`)
  process.exit(1)
}
const task = await created.json()
console.log(`task ${task.id} ${task.status} (through east)`)

const deadline = Date.now() + 60_000
let done
while (Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 500))
  done = await (await fetch(`${east}/v1/crdb_tasks/${task.id}`, { headers: eastAuth })).json()
  if (done.status === 'finished' || done.status === 'failed') break
}
if (done?.status !== 'finished') {
  console.error(`the task did not finish: ${JSON.stringify(done)}`)
  process.exit(1)
}
const seen = await fetch(`${west}/v1/crdbs/${done.crdb_guid}`, { headers: westAuth })
const crdb = await seen.json()
if (seen.status !== 200 || crdb.guid !== done.crdb_guid) {
  console.error(`west does not see CRDB ${done.crdb_guid}: ${seen.status} ${JSON.stringify(crdb)}`)
  process.exit(1)
}
console.log(`CRDB ${crdb.guid} created through east, seen through west (local instance ${crdb.local_databases[0].id})`)
