#!/usr/bin/env bash
# The HTTP layer on the full read path: the server's audited secret read (token authentication,
# authorization, read cache, AES-GCM open, an audit record appended to the group commit on SQLite
# with synchronous=FULL and the answer sent only once it is durable, JSON answer) behind each HTTP
# server, driven by wrk as bench/read.sh drives the server, then nginx's fixed answer of the same
# size in the same run.
#   keyturn   the server itself (bin/keyturn server: Jetty 12, the whole ApiHandler, access log)
#   jetty     HttpReadBench: the read path behind a Jetty 12 core handler, as the server runs it
#   jetty-nb  the same handler declared non-blocking (run on the thread that parsed the request)
#   helidon   the read path behind Helidon SE 4 (a virtual thread per request)
#   netty     the read path behind Reactor Netty 1.3 (on the event loop)
#   jetty-fixed, helidon-fixed, netty-fixed: that server answering a fixed body of the same size at
#             once, without the read path (no token, no audit): the HTTP server's own floor
# Each server starts on a fresh copy of one data folder (one secret, one read token) with the
# launcher's server JVM flags, gets a warm-up (WARMUP, default 20 s), then DURATION (default 10 s)
# of wrk -t2 -c64 measured: rate, p50, p99, and the server's CPU time per 1,000 reads (user +
# system, from /proc, over the measured window). ROUNDS rounds (default 2), every other one in
# reverse order, so that the load of the shared machine falls on each server alike; nginx at the end
# of each round. The harness servers print at exit how many answers left after their record was
# durable; the script checks that it covers every answer wrk counted. nginx's CPU time per 1,000
# requests (master and workers) is printed too.
# Usage: bench/http-read.sh [SERVER...]   (default: keyturn jetty jetty-nb helidon netty)
# SKIP_BUILD=1 uses bench/target/benchmarks.jar as it is. Needs wrk and nginx (as bench/read.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
. "$repo/.mvn/find-jdk.sh"
keyturn_find_jdk
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(keyturn jetty jetty-nb helidon netty)
for s in "${servers[@]}"; do
  case $s in
    keyturn | jetty | jetty-nb | helidon | netty | jetty-fixed | helidon-fixed | netty-fixed) ;;
    *) echo "unknown server '$s' (keyturn jetty jetty-nb helidon netty, or jetty, helidon or netty with -fixed)" >&2
       exit 2 ;;
  esac
done
rounds=${ROUNDS:-2}
warmup=${WARMUP:-20s}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
port=${KT_PORT:-18311}
ng_port=${NG_PORT:-18312}
jar="$repo/bench/target/benchmarks.jar"
# As bin/keyturn starts `server`.
. "$repo/.mvn/server-flags.sh"
keyturn_server_flags

for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null && ! [ -x "/usr/sbin/$tool" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
  fi
done
. "$repo/bench/nginx.sh"

work=$(mktemp -d)
cleanup() {
  set +e
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$repo/bin/keyturn" generate hex:1 >/dev/null   # builds the server's jar if needed
if [ "${SKIP_BUILD:-}" != 1 ]; then
  (cd "$repo" && ./mvnw -q -pl bench -am package -DskipTests -Djacoco.skip=true) >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; exit 1; }
fi

# One data folder, made by the server itself: a secret and a token that may read it.
addr="http://127.0.0.1:$port"
"$repo/bin/keyturn" server --data "$work/seed" --listen "127.0.0.1:$port" \
  >"$work/seed.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -s -o /dev/null "$addr/v1/health" && break; sleep 0.5; done
KEYTURN_ADDR=$addr KEYTURN_TOKEN_FILE="$work/seed/root.token" \
  "$repo/bin/keyturn" put bench/read/API_KEY --generate hex:32 >/dev/null
token=$(KEYTURN_ADDR=$addr KEYTURN_TOKEN_FILE="$work/seed/root.token" \
  "$repo/bin/keyturn" token create --allow 'read:bench/read/*' --name bench 2>/dev/null)
url="$addr/v1/secrets/bench/read/API_KEY"
size=$(curl -s -H "Authorization: Bearer $token" "$url" | wc -c)
# nginx answers a body of the same length (the value itself is not copied anywhere).
head -c "$size" /dev/zero | tr '\0' 'x' >"$work/body.json"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

nginx_config "$work" "$ng_port"

load() { cut -d' ' -f1 /proc/loadavg; }
nginx_ticks() { # user + system time of nginx's master and its workers
  local master
  master=$(cat "$work/nginx.pid")
  { cat "/proc/$master/stat"; for p in $(ps -o pid= --ppid "$master"); do cat "/proc/$p/stat"; done; } \
    2>/dev/null | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t }'
}
figures() { # NAME WRK_OUTPUT
  printf '%-9s %9s req/s  p50 %8s  p99 %8s' "$1" "$(awk '/^Requests\/sec/ {print $2}' "$2")" \
    "$(awk '$1=="50%" {print $2}' "$2")" "$(awk '$1=="99%" {print $2}' "$2")"
}

measure() { # SERVER ROUND
  local name=$1 round=$2 data="$work/data-$1-$2"
  cp -a "$work/seed" "$data"
  rm -f "$data/keyturn.db.lock"
  local l0
  l0=$(load)
  if [ "$name" = keyturn ]; then
    "$repo/bin/keyturn" server --data "$data" --listen "127.0.0.1:$port" \
      --max-requests-per-client $((connections * 2)) >"$work/$name-$round.log" 2>&1 &
  else
    MALLOC_ARENA_MAX=2 "$JAVA_HOME/bin/java" $server_flags -cp "$jar" dev.keyturn.server.HttpReadBench \
      "$name" "$data" "$port" >"$work/$name-$round.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 1 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url")" = 200 ] \
      && break
    sleep 0.5
  done
  wrk -t2 -c"$connections" -d"$warmup" -H "Authorization: Bearer $token" "$url" >/dev/null
  local before after
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" "$url" \
    >"$work/$name-$round.out"
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  local reads
  reads=$(awk '/requests in/ {print $1}' "$work/$name-$round.out")
  figures "$name" "$work/$name-$round.out"
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$reads" \
    'BEGIN { printf "  CPU %5.1f ms/1,000 reads", t * 1e3 / hz / n * 1e3 }'
  printf '  load %s -> %s' "$l0" "$(load)"
  awk '/Non-2xx|Socket errors/ {printf "  %s", $0}' "$work/$name-$round.out"
  if [ "$name" != keyturn ] && [ "${name%-fixed}" = "$name" ]; then
    local durable
    durable=$(awk -F': ' '/^durable reads answered/ {print $2}' "$work/$name-$round.log")
    if [ -z "$durable" ] || [ "$durable" -lt "$reads" ]; then
      printf '\nFAILED: %s answered %s reads after their record was durable, wrk counted %s\n' \
        "$name" "${durable:-no count}" "$reads"
      exit 1
    fi
    printf '  (%s answers after a durable record)' "$durable"
  fi
  echo
  rm -rf "$data"
}

echo "command: $0 ${servers[*]} (ROUNDS=$rounds; wrk -t2 -c$connections -d$duration after a $warmup warm-up; response $size bytes)"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  echo "round $round ($(date -u +%H:%M:%SZ))"
  order=("${servers[@]}")
  if [ $((round % 2)) = 0 ]; then
    order=()
    for ((i = ${#servers[@]} - 1; i >= 0; i--)); do order+=("${servers[$i]}"); done
  fi
  for s in "${order[@]}"; do measure "$s" "$round"; done
  "$nginx_bin" -c "$work/nginx.conf"
  sleep 0.5
  wrk -t2 -c"$connections" -d5s "http://127.0.0.1:$ng_port/" >/dev/null
  ng_before=$(nginx_ticks)
  wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$ng_port/" >"$work/nginx.out"
  ng_after=$(nginx_ticks)
  figures nginx "$work/nginx.out"
  awk -v t=$((ng_after - ng_before)) -v hz="$(getconf CLK_TCK)" \
    -v n="$(awk '/requests in/ {print $1}' "$work/nginx.out")" \
    'BEGIN { printf "  CPU %5.1f ms/1,000 requests", t * 1e3 / hz / n * 1e3 }'
  echo "  load $(load)"
  kill "$(cat "$work/nginx.pid")"; sleep 0.5
done
echo "done $(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
