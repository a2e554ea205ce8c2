#!/usr/bin/env bash
# npm run test:docker: builds the image, runs it, waits for its health check, drives a task to
# finished through the published port, runs a public-style crdb-cli script inside it with exec,
# then stops it with SIGTERM and checks it exits 0 in time.
# Skips (exit 0) with a clear message when no container engine is found. On a machine without
# a Docker engine, podman works once a local base image exists (shared/tools/container-base.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/container-engine.sh
. scripts/container-engine.sh "test:docker"

image=crdb-tasks-emulator:test
name=crdb-tasks-emulator-test-$$
format=()
[ "$engine" = podman ] && format=(--format docker)   # keeps HEALTHCHECK in the image
# one container per rm: podman 4.3 given a list with a container already gone removes none of them
remove() { for c in "$@"; do "$engine" rm -f "$c" >/dev/null 2>&1 || true; done; }
cleanup() { remove "$name"; }
trap cleanup EXIT

echo "== building $image with $engine"
"$engine" build "${format[@]}" ${NODE_IMAGE:+--build-arg NODE_IMAGE="$NODE_IMAGE"} -t "$image" . >/tmp/test-docker-build.log 2>&1 || { tail -30 /tmp/test-docker-build.log; exit 1; }

echo "== running it"
init=()
[ "$engine" = podman ] && init=(--init)
"$engine" run -d --name "$name" "${init[@]}" -p 127.0.0.1::8080 "$image" --time-scale 10 >/dev/null
port=$("$engine" port "$name" 8080 | head -1 | sed 's/.*://')
url="http://127.0.0.1:$port"
echo "   published at $url"

echo "== waiting for the health check"
healthy=no
for _ in $(seq 1 40); do
  if [ "$engine" = podman ]; then
    podman healthcheck run "$name" >/dev/null 2>&1 && { healthy=yes; break; }
  else
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ] && { healthy=yes; break; }
  fi
  sleep 0.5
done
[ "$healthy" = yes ] || { echo "FAIL: not healthy in 20 s"; "$engine" logs "$name" | tail -20; exit 1; }

echo "== driving a task to finished through $url"
auth=admin@example.com:admin
json='Content-Type: application/json'
curl -fsS -u $auth -X POST "$url/__emulator/tasks" -H "$json" -d '{"id": "docker-task"}' >/dev/null
curl -fsS -u $auth -X POST "$url/__emulator/clock/run" -H "$json" -d '{"task_id": "docker-task", "status": "finished"}' >/dev/null
status=$(curl -fsS -u $auth "$url/v1/crdb_tasks/docker-task" | node -pe 'JSON.parse(require("fs").readFileSync(0)).status')
[ "$status" = finished ] || { echo "FAIL: task status is $status"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -u admin@example.com:wrong "$url/v1/crdb_tasks")
[ "$code" = 401 ] || { echo "FAIL: a wrong password got $code"; exit 1; }

echo "== the compose example's client, in a container beside it"
base=${NODE_IMAGE:-node:22-slim}
"$engine" run --rm --network "container:$name" -e EMULATOR_URL=http://127.0.0.1:8080 \
  -v "$PWD/examples/compose/client.mjs:/client.mjs:ro" "$base" node /client.mjs

echo "== crdb-cli in the container, as scripts run it with exec: a public-style script, then task list"
"$engine" exec -i "$name" sh -s < test/crdb-cli/public-style.sh >/tmp/test-docker-crdb-cli.log 2>&1 \
  || { cat /tmp/test-docker-crdb-cli.log; echo "FAIL: the public-style crdb-cli script failed in the container"; exit 1; }
grep -q '^public-style script done: ' /tmp/test-docker-crdb-cli.log || { cat /tmp/test-docker-crdb-cli.log; echo "FAIL: the script did not finish"; exit 1; }
tasks=$("$engine" exec "$name" crdb-cli task list)
echo "$tasks" | head -1 | grep -q '^TASK-ID  *CRDB-GUID  *OPERATION  *STATUS  *WORKER-NAME  *STARTED  *ENDED' || { echo "$tasks"; echo "FAIL: crdb-cli task list has no header"; exit 1; }
echo "$tasks" | grep -q ' delete_crdb  finished ' || { echo "$tasks"; echo "FAIL: crdb-cli task list shows no finished delete"; exit 1; }
echo "   crdb-cli: create, add-instance, remove-instance, delete finished; task list shows $(( $(echo "$tasks" | wc -l) - 1 )) tasks"

echo "== linked clusters: the linked example's client, east and west as names of one emulator"
linked=$name-linked
"$engine" run -d --name "$linked" "${init[@]}" -v "$PWD/examples/linked/clusters.json:/config/clusters.json:ro" "$image" --time-scale 10 --clusters /config/clusters.json >/dev/null
trap 'remove "$name" "$linked"' EXIT
for _ in $(seq 1 40); do
  if [ "$engine" = podman ]; then podman healthcheck run "$linked" >/dev/null 2>&1 && break
  else [ "$(docker inspect -f '{{.State.Health.Status}}' "$linked")" = healthy ] && break; fi
  sleep 0.5
done
# the compose file's network aliases, as host names of the container's own loopback
"$engine" run --rm --network "container:$linked" \
  -v "$PWD/examples/linked/client.mjs:/client.mjs:ro" "$base" \
  sh -c 'echo "127.0.0.1 east.example.com west.example.com" >> /etc/hosts && node /client.mjs' \
  || { "$engine" logs "$linked" | tail -20; echo "FAIL: the linked clusters' client failed"; exit 1; }

# waits for the container's own health check to pass (podman runs it; docker reports it)
wait_healthy() {
  for _ in $(seq 1 40); do
    if [ "$engine" = podman ]; then podman healthcheck run "$1" >/dev/null 2>&1 && return 0
    else [ "$("$engine" inspect -f '{{.State.Health.Status}}' "$1")" = healthy ] && return 0; fi
    sleep 0.5
  done
  return 1
}

echo "== the health check follows the server wherever it listens: --port 9000, then --tls"
for variant in port tls; do
  probed=$name-$variant
  trap 'remove "$name" "$linked" "$name-port" "$name-tls"' EXIT
  if [ "$variant" = port ]; then args=(--port 9000); else args=(--tls); fi
  "$engine" run -d --name "$probed" "${init[@]}" "$image" "${args[@]}" >/dev/null
  wait_healthy "$probed" || { "$engine" logs "$probed" | tail -20; echo "FAIL: not healthy in 20 s with ${args[*]}"; exit 1; }
  written=$("$engine" exec "$probed" cat /tmp/crdb-tasks-emulator.url)
  echo "   healthy with ${args[*]} (the server wrote $written)"
  "$engine" rm -f "$probed" >/dev/null
done

echo "== the image's labels and --version name this package's version and the Redis Software versions"
want_version=$(node -p 'require("./package.json").version')
want_rs=$(node --input-type=module -e 'const v = await import("./dist/emulator/versions.js"); console.log(v.RS_VERSION_NAMES.join(" ") + "|" + v.LATEST_RS_VERSION)')
labels=$("$engine" inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}|{{index .Config.Labels "crdb-tasks-emulator.redis-software.versions"}}|{{index .Config.Labels "crdb-tasks-emulator.redis-software.default"}}' "$image")
[ "$labels" = "$want_version|$want_rs" ] || { echo "FAIL: the image's labels say '$labels', the code '$want_version|$want_rs' (update the Dockerfile's ARGs)"; exit 1; }
shown=$("$engine" run --rm "$image" --version 2>/dev/null)
[ "$shown" = "$want_version" ] || { echo "$shown"; echo "FAIL: --version prints '$shown' on stdout, not $want_version"; exit 1; }
shown=$("$engine" run --rm "$image" --version 2>&1 >/dev/null)
echo "$shown" | grep -q "^crdb-tasks-emulator $want_version (Redis Software $(echo "${want_rs%|*}" | sed 's/ /, /g'), default ${want_rs#*|})$" || { echo "$shown"; echo "FAIL: --version does not name the Redis Software versions"; exit 1; }
echo "   version $want_version, Redis Software ${want_rs%|*} (default ${want_rs#*|})"

echo "== Testcontainers: the crdb-tasks-emulator/testcontainers module starts the image through the engine's Docker API"
ENGINE="$engine" IMAGE="$image" bash scripts/test-docker-testcontainers.sh || { echo "FAIL: the Testcontainers module (scripts/test-docker-testcontainers.sh)"; exit 1; }

echo "== two replicas behind HAProxy, each namespace on one (examples/scaling)"
ENGINE=$engine IMAGE=$image DURATION=3 ROUNDS=2 bash scripts/test-docker-scaling.sh || { echo "FAIL: the scaling example (scripts/test-docker-scaling.sh)"; exit 1; }

echo "== stopping it with SIGTERM"
start=$(date +%s%N)
"$engine" stop -t 10 "$name" >/dev/null
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
exit_code=$("$engine" inspect -f '{{.State.ExitCode}}' "$name")
user=$("$engine" inspect -f '{{.Config.User}}' "$image")
[ "$exit_code" = 0 ] || { echo "FAIL: exit code $exit_code after SIGTERM"; exit 1; }
[ "$took_ms" -lt 10000 ] || { echo "FAIL: took ${took_ms} ms to stop"; exit 1; }
[ "$user" = node ] || { echo "FAIL: the image runs as '$user', not node"; exit 1; }
echo "PASS test:docker: healthy (also with --port 9000 and --tls), labels and --version right, task finished, 401 for a wrong password, compose client done, crdb-cli script done, linked clusters' client done, Testcontainers module done, namespaces kept on one replica behind HAProxy, stopped with exit 0 in ${took_ms} ms, runs as $user"
