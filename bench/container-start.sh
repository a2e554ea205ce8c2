#!/usr/bin/env bash
# bash bench/container-start.sh [runs]: the container's start to its first answer, next to the
# CLI's start to its first answer (node dist/cli/entry.js), alternated, medians and the ratio
# (goal: <= 1.5x), and the same image running a bare node:http listen (what the engine costs). Needs the image (npm run test:docker builds crdb-tasks-emulator:test) and a
# container engine; skips without one. Run npm run build first.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/container-engine.sh
. scripts/container-engine.sh "bench container start"
image=${IMAGE:-crdb-tasks-emulator:test}
runs=${1:-5}
init=()
[ "$engine" = podman ] && init=(--init)

ms() { date +%s%3N; }
# waits until GET /__emulator/health on port $1 answers 200; at most 30 s
wait_answer() {
  for _ in $(seq 1 3000); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$1/__emulator/health" 2>/dev/null && return 0
    sleep 0.01
  done
  return 1
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

cli=()
container=()
bare=()
for i in $(seq 1 "$runs"); do
  port=$(free_port)
  start=$(ms)
  node dist/cli/entry.js --host 127.0.0.1 --port "$port" --clock manual --log-level warn >/dev/null 2>&1 &
  pid=$!
  wait_answer "$port"
  cli+=($(( $(ms) - start )))
  kill "$pid"; wait "$pid" 2>/dev/null || true

  port=$(free_port)
  name=crdb-start-bench-$$-$i
  start=$(ms)
  "$engine" run -d --rm --name "$name" "${init[@]}" -p "127.0.0.1:$port:8080" "$image" --clock manual --log-level warn >/dev/null
  wait_answer "$port"
  container+=($(( $(ms) - start )))
  "$engine" rm -f "$name" >/dev/null 2>&1 || true

  # the engine's own cost: the same image running a bare node:http listen
  port=$(free_port)
  start=$(ms)
  "$engine" run -d --rm --name "$name-bare" "${init[@]}" -p "127.0.0.1:$port:8080" --entrypoint node "$image" \
    -e 'require("node:http").createServer((q, s) => s.end("{}")).listen(8080, "0.0.0.0")' >/dev/null
  wait_answer "$port"
  bare+=($(( $(ms) - start )))
  "$engine" rm -f "$name-bare" >/dev/null 2>&1 || true
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
c=$(median "${cli[@]}")
k=$(median "${container[@]}")
b=$(median "${bare[@]}")
echo "| start to first answer | ms (median of $runs) | x CLI |"
echo "| --- | --- | --- |"
echo "| node dist/cli/entry.js | $c | 1.00 |"
echo "| $engine run $image | $k | $(awk -v a="$k" -v b="$c" 'BEGIN{printf "%.2f", a/b}') |"
echo "| $engine run, the same image with a bare node:http listen | $b | $(awk -v a="$b" -v b="$c" 'BEGIN{printf "%.2f", a/b}') |"
