#!/usr/bin/env bash
# The image through Testcontainers, as an integration test starts it: runs
# examples/testcontainers/ (node --test) with the built entry crdb-tasks-emulator/testcontainers
# (ES and CommonJS) against the engine's Docker-compatible API. Each container is started, waited
# for until its health check passes, driven (a task to finished, users, a 406) and stopped.
#   ENGINE  podman or docker (default: whichever answers, podman first)
#   IMAGE   the image to start (default crdb-tasks-emulator:test, which test-docker.sh builds)
# Skips (exit 0), saying why, when no engine or no Docker API socket answers. Needs dist/ (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/container-engine.sh
. scripts/container-engine.sh "test:docker testcontainers"
image=${IMAGE:-crdb-tasks-emulator:test}
for built in dist/lib/testcontainers.js dist/cjs/testcontainers.cjs; do
  [ -f "$built" ] || { echo "FAIL: $built is missing: run npm run build first."; exit 1; }
done
"$engine" image inspect "$image" >/dev/null 2>&1 || { echo "FAIL: no image $image for $engine: build it first (scripts/test-docker.sh does)."; exit 1; }

run=tc-$$-$RANDOM
service_pid=""
healthcheck_pid=""
cleanup() {
  [ -n "$healthcheck_pid" ] && kill "$healthcheck_pid" 2>/dev/null || true
  # whatever a failed run left: only this run's containers, by their label
  left=$("$engine" ps -aq --filter "label=crdb-tasks-emulator.test-run=$run" 2>/dev/null || true)
  [ -n "$left" ] && "$engine" rm -f $left >/dev/null 2>&1 || true
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null || true
}
trap cleanup EXIT

# Testcontainers speaks the Docker API: podman serves it on a socket of its own
answers() { curl -fsS --max-time 5 --unix-socket "$1" http://engine/_ping >/dev/null 2>&1; }
if [ -n "${DOCKER_HOST:-}" ]; then
  socket=${DOCKER_HOST#unix://}
elif [ "$engine" = podman ]; then
  socket=/run/podman/podman.sock
  if ! answers "$socket"; then
    mkdir -p "$(dirname "$socket")"
    podman system service --time=0 "unix://$socket" >/tmp/test-docker-testcontainers-service.log 2>&1 &
    service_pid=$!
    for _ in $(seq 1 40); do answers "$socket" && break; sleep 0.25; done
  fi
else
  socket=/var/run/docker.sock
fi
if [[ "${DOCKER_HOST:-unix://}" == unix://* ]] && ! answers "$socket"; then
  echo "SKIP test:docker testcontainers: $engine answers, but its Docker API socket $socket does not."
  exit 0
fi
export DOCKER_HOST=${DOCKER_HOST:-unix://$socket}
# Ryuk, Testcontainers' reaper, is an image from a registry, which may be out of reach: this
# script removes what it starts itself (cleanup above)
export TESTCONTAINERS_RYUK_DISABLED=true
# the published ports are on the host's loopback: reach them there, not at a bridge's address
export TESTCONTAINERS_HOST_OVERRIDE=${TESTCONTAINERS_HOST_OVERRIDE:-127.0.0.1}
export CRDB_TASKS_EMULATOR_IMAGE=$image CRDB_TASKS_EMULATOR_RUN=$run

if [ "$engine" = podman ]; then
  # podman runs health checks from systemd timers, and without systemd never runs them: run
  # this run's containers' checks here, as the timer would (docker runs them itself)
  ( for _ in $(seq 1 600); do
      for id in $(podman ps -q --filter "label=crdb-tasks-emulator.test-run=$run" 2>/dev/null); do
        podman healthcheck run "$id" >/dev/null 2>&1 || true
      done
      sleep 0.5
    done ) &
  healthcheck_pid=$!
fi

echo "== Testcontainers with $engine ($DOCKER_HOST), image $image"
start=$(date +%s%N)
if ! node --test --test-reporter=spec examples/testcontainers/ 2>&1 | tee /tmp/test-docker-testcontainers.log; then
  echo "FAIL: the Testcontainers tests failed (their output: /tmp/test-docker-testcontainers.log)"
  exit 1
fi
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
left=$("$engine" ps -aq --filter "label=crdb-tasks-emulator.test-run=$run")
[ -z "$left" ] || { echo "FAIL: containers left running after the tests: $left"; exit 1; }
echo "PASS test:docker testcontainers: containers started through $engine's Docker API, healthy, driven and stopped, in ${took_ms} ms"
