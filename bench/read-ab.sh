#!/usr/bin/env bash
# Audited reads of several builds of the server, one after another in one session, then nginx:
# on this shared machine the rate moves with the load, so compare builds run back to back (list
# them twice in opposite orders) and look at the server's CPU time per read, the steadier figure.
# Usage: bench/read-ab.sh JAR... (e.g. a copy of target/bin/keyturn.jar made from main, and one
# from your branch). Each server: the launcher's server flags, a 20 s warm-up, a 10 s measurement
# with wrk -t2 -c64; every read audited durably (SQLite). Needs wrk and nginx (as bench/read.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
. "$repo/.mvn/find-jdk.sh"
keyturn_find_jdk
port=${KT_PORT:-18291}
ng_port=${NG_PORT:-18292}
# As bin/keyturn starts `server`.
. "$repo/.mvn/server-flags.sh"
keyturn_server_flags
. "$repo/bench/nginx.sh"
work=$(mktemp -d)
cleanup() {
  set +e
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

figures() { # figures NAME WRK_OUTPUT
  printf '%-28s %10s req/s   p50 %8s   p99 %8s' "$1" "$(awk '/^Requests\/sec/ {print $2}' "$2")" \
    "$(awk '$1=="50%" {print $2}' "$2")" "$(awk '$1=="99%" {print $2}' "$2")"
}

echo "command: $0 $* (wrk -t2 -c64 -d10s after a 20 s warm-up)"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
i=0
for jar in "$@"; do
  i=$((i + 1))
  data="$work/data$i"
  MALLOC_ARENA_MAX=2 "$JAVA_HOME/bin/java" $server_flags -jar "$jar" server --data "$data" \
    --listen "127.0.0.1:$port" --max-requests-per-client 128 >"$work/server$i.log" 2>&1 &
  pid=$!
  addr="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do curl -s -o /dev/null "$addr/v1/health" && break; sleep 0.5; done
  root="$data/root.token"
  KEYTURN_ADDR=$addr KEYTURN_TOKEN_FILE=$root "$repo/bin/keyturn" put bench/read/API_KEY \
    --generate hex:32 >/dev/null
  token=$(KEYTURN_ADDR=$addr KEYTURN_TOKEN_FILE=$root "$repo/bin/keyturn" token create \
    --allow 'read:bench/read/*' --name bench 2>/dev/null)
  url="$addr/v1/secrets/bench/read/API_KEY"
  [ -f "$work/body.json" ] || curl -s -H "Authorization: Bearer $token" "$url" > "$work/body.json"
  wrk -t2 -c64 -d20s -H "Authorization: Bearer $token" "$url" >/dev/null
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $token" "$url" > "$work/wrk$i.out"
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  reads=$(awk '/requests in/ {print $1}' "$work/wrk$i.out")
  figures "$(basename "$jar")" "$work/wrk$i.out"
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$reads" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { printf "   CPU %4.0f us/read   load %s\n", t * 1e6 / hz / n, l }'
done

nginx_config "$work" "$ng_port"
"$nginx_bin" -c "$work/nginx.conf"
sleep 0.5
wrk -t2 -c64 -d5s "http://127.0.0.1:$ng_port/" >/dev/null
wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$ng_port/" > "$work/nginx.out"
figures nginx "$work/nginx.out"
echo "   load $(cut -d' ' -f1 /proc/loadavg)"
