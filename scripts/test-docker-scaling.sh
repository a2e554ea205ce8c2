#!/usr/bin/env bash
# Part of npm run test:docker: examples/scaling (two emulator replicas behind HAProxy, each
# namespace on one replica by a consistent hash of its name) run with plain engine commands, as
# compose.yaml describes it. It checks, through HAProxy and then on each replica directly, that
# every namespace's tasks are on exactly one replica and that both replicas hold some
# (examples/scaling/client.mjs), then measures polls across many namespaces through HAProxy to
# two replicas against one replica (the same haproxy.cfg without replica-b) and against a replica
# without HAProxy, alternated in one run, and prints a table (docs/scaling.md has the figures).
#
# Settings from the environment:
#   ENGINE         podman or docker (default: whichever answers, podman first)
#   IMAGE          the emulator's image (default crdb-tasks-emulator:test, built by test-docker.sh;
#                  built here when missing)
#   HAPROXY_IMAGE  an HAProxy image (default: haproxy:3.0 when the engine has it; else, on a
#                  machine with the local base of shared/tools/container-base.sh, a stand-in built
#                  from examples/scaling/haproxy-standin.Containerfile; else haproxy:3.0 pulled)
#   NODE_IMAGE     the image the client runs in (default node:22-slim)
#   DURATION, ROUNDS, CONNECTIONS, LOAD_NAMESPACES   the measurement (4 s, 3 rounds, 50, 64)
# Skips (exit 0) with a clear message when no container engine answers.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/container-engine.sh
. scripts/container-engine.sh "test:docker scaling"

image=${IMAGE:-crdb-tasks-emulator:test}
base=${NODE_IMAGE:-node:22-slim}
here=examples/scaling
p=crdb-scaling-$$
net=$p-net
tmp=$(mktemp -d)
format=()
[ "$engine" = podman ] && format=(--format docker)   # keeps HEALTHCHECK in the image
init=()
[ "$engine" = podman ] && init=(--init)
started=()
cleanup() {
  # one at a time: podman 4.3 removes none of a list that names one already gone
  for c in "${started[@]}"; do "$engine" rm -f "$c" >/dev/null 2>&1 || true; done
  "$engine" network rm "$net" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port() { "$engine" port "$1" "$2" | head -1 | sed 's/.*://'; }
fail() { echo "FAIL: $*"; for c in "${started[@]}"; do echo "--- $c"; "$engine" logs "$c" 2>&1 | tail -8; done; exit 1; }

if ! "$engine" image inspect "$image" >/dev/null 2>&1; then
  echo "== building $image with $engine (not there yet)"
  "$engine" build "${format[@]}" ${NODE_IMAGE:+--build-arg NODE_IMAGE="$NODE_IMAGE"} -t "$image" . >"$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; exit 1; }
fi

haproxy_image=${HAPROXY_IMAGE:-}
if [ -z "$haproxy_image" ]; then
  if "$engine" image inspect haproxy:3.0 >/dev/null 2>&1; then haproxy_image=haproxy:3.0
  elif "$engine" image inspect localhost/debian:bookworm-minbase >/dev/null 2>&1; then
    # no registry here: Debian's haproxy package in a local image, standing in for the official one
    haproxy_image=crdb-tasks-emulator-haproxy:test
    echo "== building $haproxy_image, the stand-in for haproxy:3.0 ($here/haproxy-standin.Containerfile)"
    "$engine" build "${format[@]}" --build-arg BASE_IMAGE=localhost/debian:bookworm-minbase -t "$haproxy_image" \
      -f "$here/haproxy-standin.Containerfile" "$here" >"$tmp/haproxy-build.log" 2>&1 || { tail -30 "$tmp/haproxy-build.log"; exit 1; }
  else
    haproxy_image=haproxy:3.0
    "$engine" pull -q "$haproxy_image" >/dev/null
  fi
fi
version=$("$engine" run --rm --entrypoint haproxy "$haproxy_image" -v 2>&1)
echo "   ${version%%$'\n'*}"

echo "== the hash ring alone: haproxy.cfg's backend, HAProxy itself answering for 2, then 3 replicas"
# the servers' addresses become frontends of the same HAProxy that answer with their name
ring_cfg() {
  sed -e 's/ replica-a:8080 / 127.0.0.1:9001 /' -e 's/ replica-b:8080 / 127.0.0.1:9002 /' "$here/haproxy.cfg"
  local i=1
  for r in a b c; do
    printf 'frontend answer-%s\n    bind 127.0.0.1:900%s\n    http-request return status 200 content-type text/plain string replica-%s\n' "$r" "$i" "$r"
    i=$((i + 1))
  done
}
ring_cfg >"$tmp/ring-2.cfg"
ring_cfg | sed '/^ *server replica-b /a\    server replica-c 127.0.0.1:9003 id 3' >"$tmp/ring-3.cfg"
[ "$(grep -c '^ *server replica-[abc] 127\.0\.0\.1:900[123] id [123]$' "$tmp/ring-3.cfg")" = 3 ] || fail "$here/haproxy.cfg's server lines are not 'server replica-X replica-X:8080 id N'"
chmod 644 "$tmp"/ring-*.cfg
for n in 2 3; do
  started+=("$p-ring-$n")
  "$engine" run -d --name "$p-ring-$n" -p 127.0.0.1::8080 -v "$tmp/ring-$n.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" "$haproxy_image" >/dev/null 2>>"$tmp/run.log" \
    || { cat "$tmp/run.log"; fail "the ring's HAProxy did not start"; }
done
RING_2=http://127.0.0.1:$(port "$p-ring-2" 8080) RING_3=http://127.0.0.1:$(port "$p-ring-3" 8080) node --input-type=module - <<'EOF' || fail "the hash ring is not consistent"
const names = Array.from({ length: 1000 }, (_, i) => `suite-${i}`)
async function where (front) {
  for (let attempt = 0; ; attempt++) { // HAProxy is starting
    if (await fetch(`${front}/__emulator/health`).then((r) => r.ok, () => false)) break
    if (attempt === 60) throw new Error(`${front} did not answer in 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  const map = new Map()
  for (const name of names) map.set(name, await (await fetch(`${front}/ns/${name}/v1/crdb_tasks`)).text())
  return map
}
const [two, three] = [await where(process.env.RING_2), await where(process.env.RING_3)]
const count = (map, replica) => names.filter((n) => map.get(n) === replica).length
const moved = names.filter((n) => two.get(n) !== three.get(n))
const astray = moved.filter((n) => three.get(n) !== 'replica-c')
console.log(`   1000 names on 2 replicas: replica-a ${count(two, 'replica-a')}, replica-b ${count(two, 'replica-b')}; on 3: replica-a ${count(three, 'replica-a')}, replica-b ${count(three, 'replica-b')}, replica-c ${count(three, 'replica-c')}`)
console.log(`   adding replica-c moved ${moved.length} of 1000 names (${(moved.length / 10).toFixed(1)} %; a third is 33.3 %), ${astray.length} of them between replica-a and replica-b`)
if (astray.length > 0) throw new Error(`${astray.length} names moved between the replicas that stayed`)
if (moved.length < 200 || moved.length > 450) throw new Error(`adding a third replica moved ${moved.length} of 1000 names, far from a third`)
EOF
for n in 2 3; do "$engine" rm -f "$p-ring-$n" >/dev/null 2>&1; done

# the one-replica configuration: the same file without replica-b's server line
sed '/^ *server replica-b /d' "$here/haproxy.cfg" >"$tmp/haproxy-one.cfg"
[ "$(diff "$here/haproxy.cfg" "$tmp/haproxy-one.cfg" | grep -c '^<')" = 1 ] || fail "$here/haproxy.cfg has no single 'server replica-b' line to take out"
chmod 644 "$tmp/haproxy-one.cfg"

echo "== two replicas and two HAProxies on network $net"
"$engine" network create "$net" >/dev/null
# the replicas as compose.yaml's x-replica runs them (a state file each, inside the container)
for r in replica-a replica-b; do
  started+=("$p-$r")
  "$engine" run -d --name "$p-$r" "${init[@]}" --network "$net" --network-alias "$r" -p 127.0.0.1::8080 \
    --log-opt max-size=16mb \
    -e EMULATOR_CLUSTER_NAME=cluster.example.com \
    -e EMULATOR_USERS=admin@example.com:admin:admin,ci@example.com:ci-secret:db_member \
    -e EMULATOR_STATE_FILE=/data/state.json \
    "$image" --time-scale 10 >/dev/null 2>>"$tmp/run.log" || { cat "$tmp/run.log"; fail "$r did not start"; }
done
started+=("$p-haproxy" "$p-haproxy-one")
"$engine" run -d --name "$p-haproxy" --network "$net" --network-alias haproxy -p 127.0.0.1::8080 -p 127.0.0.1::8404 \
  -v "$PWD/$here/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" "$haproxy_image" >/dev/null 2>>"$tmp/run.log" || { cat "$tmp/run.log"; fail "HAProxy did not start"; }
"$engine" run -d --name "$p-haproxy-one" --network "$net" --network-alias haproxy-one -p 127.0.0.1::8080 -p 127.0.0.1::8404 \
  -v "$tmp/haproxy-one.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" "$haproxy_image" >/dev/null 2>>"$tmp/run.log" || { cat "$tmp/run.log"; fail "the one-replica HAProxy did not start"; }
replica_a=http://127.0.0.1:$(port "$p-replica-a" 8080)
front=http://127.0.0.1:$(port "$p-haproxy" 8080)
front_one=http://127.0.0.1:$(port "$p-haproxy-one" 8080)
stats=http://127.0.0.1:$(port "$p-haproxy" 8404)/stats
stats_one=http://127.0.0.1:$(port "$p-haproxy-one" 8404)/stats

healthy() {
  if [ "$engine" = podman ]; then podman healthcheck run "$1" >/dev/null 2>&1
  else [ "$(docker inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]; fi
}
# the servers HAProxy's statistics show UP in backend replicas, sorted: "replica-a replica-b"
up_servers() {
  curl -fsS "$1;csv" 2>/dev/null | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == "replicas" && $2 != "BACKEND" && $col["status"] == "UP" { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//'
}
for _ in $(seq 1 60); do
  healthy "$p-replica-a" && healthy "$p-replica-b" && [ "$(up_servers "$stats")" = "replica-a replica-b" ] && [ "$(up_servers "$stats_one")" = replica-a ] && break
  sleep 0.5
done
healthy "$p-replica-a" && healthy "$p-replica-b" || fail "the replicas are not healthy in 30 s"
[ "$(up_servers "$stats")" = "replica-a replica-b" ] || fail "HAProxy does not see both replicas UP in 30 s (it sees '$(up_servers "$stats")')"
[ "$(up_servers "$stats_one")" = replica-a ] || fail "the one-replica HAProxy does not see replica-a UP in 30 s"
echo "   replicas healthy; HAProxy sees: $(up_servers "$stats") (and the one-replica HAProxy: $(up_servers "$stats_one"))"

echo "== examples/scaling/client.mjs through HAProxy: where each namespace's tasks are"
"$engine" run --rm --network "$net" -e EMULATOR_URL=http://haproxy:8080 -e REPLICA_URLS=http://replica-a:8080,http://replica-b:8080 \
  -v "$PWD/$here/client.mjs:/client.mjs:ro" "$base" node /client.mjs 2>&1 | sed 's/^/   /' \
  || fail "the scaling example's client failed"

echo "== throughput: polls across many namespaces (this machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
FRONT=$front FRONT_ONE=$front_one REPLICA_A=$replica_a STATS=$stats \
DURATION=${DURATION:-4} ROUNDS=${ROUNDS:-3} CONNECTIONS=${CONNECTIONS:-50} LOAD_NAMESPACES=${LOAD_NAMESPACES:-64} \
node --input-type=module - <<'EOF' || fail "the throughput measurement failed"
import autocannon from 'autocannon'

const env = process.env
const duration = Number(env.DURATION)
const rounds = Number(env.ROUNDS)
const connections = Number(env.CONNECTIONS)
const spread = Number(env.LOAD_NAMESPACES)
const headers = { authorization: 'Basic ' + Buffer.from('admin@example.com:admin').toString('base64'), 'content-type': 'application/json' }
const targets = [
  { key: 'one', label: 'HAProxy -> 1 replica', url: env.FRONT_ONE },
  { key: 'two', label: 'HAProxy -> 2 replicas', url: env.FRONT },
  { key: 'direct', label: '1 replica, no HAProxy', url: env.REPLICA_A }
]

// one task per namespace, held queued so that every poll answers 200 however long the run
for (const t of targets) {
  t.requests = []
  for (let i = 0; i < spread; i++) {
    const ns = `load-${t.key}-${i}`
    const made = await fetch(`${t.url}/ns/${ns}/__emulator/tasks`, { method: 'POST', headers, body: JSON.stringify({ id: 'poll', durations: { queued: null } }) })
    if (made.status !== 201) throw new Error(`creating ${ns}/poll through ${t.label} answered ${made.status}`)
    t.requests.push({ method: 'GET', path: `/ns/${ns}/v1/crdb_tasks/poll` })
  }
  t.runs = []
}

// the 2xx answers each server of backend "replicas" has given, from HAProxy's statistics
async function answered () {
  const [head, ...rows] = (await (await fetch(`${env.STATS};csv`)).text()).trim().split('\n').map((l) => l.replace(/^# /, '').split(','))
  const col = (name) => head.indexOf(name)
  return Object.fromEntries(rows.filter((r) => r[col('pxname')] === 'replicas' && r[col('svname')] !== 'BACKEND').map((r) => [r[col('svname')], Number(r[col('hrsp_2xx')])]))
}

async function load (t, seconds) {
  const result = await autocannon({ url: t.url, connections, duration: seconds, headers, requests: t.requests })
  const bad = result.non2xx + result.errors + result.timeouts
  if (bad > 0) throw new Error(`${t.label}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`)
  return { rps: result.requests.total / seconds, p99: result.latency.p99 }
}

for (const t of targets) await load(t, 2) // warm-up
const before = await answered()
for (let round = 0; round < rounds; round++) {
  for (const t of targets) t.runs.push(await load(t, duration))
}
const after = await answered()

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const one = targets[0]
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const served = Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)])
const total = served.reduce((sum, [, n]) => sum + n, 0)
console.log(`   ${duration} s runs, ${rounds} rounds alternated, ${connections} connections, GET one task in each of ${spread} namespaces in turn`)
console.log('   | target | req/s (median) | p99 ms (median) | x HAProxy -> 1 replica (range) |')
console.log('   | --- | --- | --- | --- |')
for (const t of targets) {
  const ratios = t.runs.map((r, i) => r.rps / one.runs[i].rps)
  const range = t === one ? '1.00' : `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`
  console.log(`   | ${t.label} | ${fmt(median(t.runs.map((r) => r.rps)))} | ${median(t.runs.map((r) => r.p99))} | ${range} |`)
}
console.log(`   through HAProxy -> 2 replicas, the answers came from: ${served.map(([name, n]) => `${name} ${(100 * n / total).toFixed(0)} %`).join(', ')}`)
if (served.some(([, n]) => n === 0)) throw new Error('one replica answered none of the two-replica load')
EOF

echo "PASS test:docker scaling: every namespace on exactly one replica, both replicas hold some, throughput table above"
