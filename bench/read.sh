#!/usr/bin/env bash
# Secret reads over loopback against nginx serving a fixed response of the same size.
# Keyturn: a real server on SQLite (WAL, synchronous=FULL), a scoped read token, every read
# audited durably before its answer. Both measured with the same wrk settings after a warm-up.
# Prints requests/s, p50 and p99 for each, the ratio, and the server's resident memory at idle
# (empty store, 10 s after it first answers, start-up settled) and at its peak during the run (VmHWM). Needs wrk and nginx (installed if
# missing, when run as root).
# With --store postgresql, a second server on PostgreSQL (PG_URL, default the local server's test
# database as postgres, in a schema of its own dropped at the end) is measured the same way in the
# same run, and its rate printed as a ratio of the SQLite server's, with its CPU time per read and
# that of the PostgreSQL backends serving it (visible to root only).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
store=sqlite
while [ $# -gt 0 ]; do
  case $1 in
    --store) store=${2:-}; shift 2 || shift ;;
    --store=*) store=${1#--store=}; shift ;;
    *) echo "usage: $0 [--store sqlite|postgresql]" >&2; exit 2 ;;
  esac
done
case $store in
  sqlite|postgresql) ;;
  *) echo "--store: sqlite or postgresql, not '$store'" >&2; exit 2 ;;
esac
pg_url=${PG_URL:-jdbc:postgresql://127.0.0.1:5432/test?user=postgres}
pg_port=${PG_KT_PORT:-18283}
# The launcher compiles a method only after four times the JDK's invocation counts
# (-XX:CompileThresholdScaling=4): 5 s of reads left C2 still compiling in the measured run
# (90-105 ms of CPU per 1,000 reads against 56-67 after 20 s, bench/read-ab.sh, 2026-11-29).
warmup=${WARMUP:-20}
duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-64}
kt_port=${KT_PORT:-18281}
ng_port=${NG_PORT:-18282}

for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null && ! [ -x "/usr/sbin/$tool" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
  fi
done
. "$repo/bench/nginx.sh"

work=$(mktemp -d)
cleanup() {
  set +e
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  [ -n "${kt_pid:-}" ] && kill "$kt_pid" 2>/dev/null && wait "$kt_pid" 2>/dev/null
  [ -n "${pg_pid:-}" ] && kill "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null
  [ -n "${pg_schema:-}" ] && PGOPTIONS="-c client_min_messages=warning" psql_run "DROP SCHEMA $pg_schema CASCADE" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# psql_run SQL: on the database PG_URL names (its host, port, database and user).
psql_run() {
  local rest=${pg_url#jdbc:postgresql://}
  local hostport=${rest%%/*} db=${rest#*/}
  db=${db%%\?*}
  local user=postgres
  case $pg_url in *user=*) user=${pg_url#*user=}; user=${user%%&*} ;; esac
  psql -X -q -v ON_ERROR_STOP=1 -h "${hostport%:*}" -p "${hostport##*:}" -U "$user" -d "$db" -c "$1"
}

"$repo/bin/keyturn" generate hex:1 >/dev/null   # builds the jar if needed
# Every wrk connection comes from 127.0.0.1: let them all be in progress at once (the default
# per-client limit, 32, would answer half of them 429 and measure the limiter).
"$repo/bin/keyturn" server --data "$work/data" --listen "127.0.0.1:$kt_port" \
  --max-requests-per-client $((connections * 2)) >"$work/server.log" 2>&1 &
kt_pid=$!
export KEYTURN_ADDR="http://127.0.0.1:$kt_port" KEYTURN_TOKEN_FILE="$work/data/root.token"
for _ in $(seq 1 60); do curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && break; sleep 0.5; done
sleep 10
rss_idle=$(awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$kt_pid/status")
"$repo/bin/keyturn" put bench/read/API_KEY --generate hex:32 >/dev/null
token=$("$repo/bin/keyturn" token create --allow 'read:bench/read/*' --name bench 2>/dev/null)
unset KEYTURN_TOKEN_FILE

if [ "$store" = postgresql ]; then
  pg_schema="kt_bench_$$_$(date +%s)"
  psql_run "CREATE SCHEMA $pg_schema" >/dev/null
  case $pg_url in *\?*) pg_store="$pg_url&currentSchema=$pg_schema" ;; *) pg_store="$pg_url?currentSchema=$pg_schema" ;; esac
  "$repo/bin/keyturn" server --data "$work/pgdata" --listen "127.0.0.1:$pg_port" --store "$pg_store" \
    --max-requests-per-client $((connections * 2)) >"$work/server-pg.log" 2>&1 &
  pg_pid=$!
  pg_addr="http://127.0.0.1:$pg_port"
  for _ in $(seq 1 60); do curl -s -o /dev/null "$pg_addr/v1/health" && break; sleep 0.5; done
  KEYTURN_ADDR=$pg_addr KEYTURN_TOKEN_FILE="$work/pgdata/root.token" \
    "$repo/bin/keyturn" put bench/read/API_KEY --generate hex:32 >/dev/null
  pg_token=$(KEYTURN_ADDR=$pg_addr KEYTURN_TOKEN_FILE="$work/pgdata/root.token" \
    "$repo/bin/keyturn" token create --allow 'read:bench/read/*' --name bench 2>/dev/null)
fi
body=$(curl -s -H "Authorization: Bearer $token" "$KEYTURN_ADDR/v1/secrets/bench/read/API_KEY")
size=${#body}

# nginx: the same number of bytes, from memory, one worker per core.
printf '%s' "$body" > "$work/body.json"
nginx_config "$work" "$ng_port"
"$nginx_bin" -c "$work/nginx.conf"
sleep 0.5

run() { # run NAME URL [header]
  local name=$1 url=$2; shift 2
  wrk -t"$threads" -c"$connections" -d"${warmup}s" "$@" "$url" >/dev/null
  [ "$name" = keyturn ] && ticks_before=$(cpu_ticks "$kt_pid")
  if [ "$name" = kt-pg ]; then
    backends=$(pg_backends "$pg_pid")
    pg_ticks_before=$(cpu_ticks "$pg_pid") backend_ticks_before=$(cpu_ticks $backends)
  fi
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@" "$url" > "$work/$name.out"
  [ "$name" = keyturn ] && ticks_after=$(cpu_ticks "$kt_pid")
  if [ "$name" = kt-pg ]; then
    pg_ticks_after=$(cpu_ticks "$pg_pid") backend_ticks_after=$(cpu_ticks $backends)
  fi
  local rps p50 p99
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/$name.out")
  p50=$(awk '$1=="50%" {print $2}' "$work/$name.out")
  p99=$(awk '$1=="99%" {print $2}' "$work/$name.out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$work/$name.out")
  printf '%-8s %10s req/s   p50 %8s   p99 %8s  %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
  eval "${name//-/_}_rps=$rps"
}

cpu_ticks() { # user + system ticks of the processes PID...
  local pid sum=0
  for pid in "$@"; do
    sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$sum"
}
# pg_backends PID: the PostgreSQL backends serving PID's connections (ss shows other users'
# processes to root only; empty otherwise).
pg_backends() {
  local rest=${pg_url#jdbc:postgresql://} port
  rest=${rest%%/*}
  local pg_port=${rest##*:}
  for port in $(ss -tnpH state established "( dport = :$pg_port )" 2>/dev/null | grep "pid=$1," |
    awk '{n = split($3, a, ":"); print a[n]}'); do
    ss -tnpH state established "( sport = :$pg_port and dport = :$port )" | grep -o 'pid=[0-9]*' |
      cut -d= -f2
  done
}
ticks_before=0 ticks_after=0
echo "command: $0 (wrk -t$threads -c$connections -d$duration after a $warmup s warm-up; response $size bytes)"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run keyturn "$KEYTURN_ADDR/v1/secrets/bench/read/API_KEY" -H "Authorization: Bearer $token"
if [ "$store" = postgresql ]; then
  run kt-pg "$pg_addr/v1/secrets/bench/read/API_KEY" -H "Authorization: Bearer $pg_token"
fi
run nginx "http://127.0.0.1:$ng_port/"
awk -v k="$keyturn_rps" -v n="$nginx_rps" 'BEGIN { printf "ratio    %.2f x nginx\n", k / n }'
if [ "$store" = postgresql ]; then
  awk -v p="$kt_pg_rps" -v k="$keyturn_rps" \
    'BEGIN { printf "postgresql %.2f x sqlite (goal 0.8)\n", p / k }'
fi
# The server's CPU time per read during the measured run: less sensitive to a busy machine than
# the rate.
reads=$(awk '/requests in/ {print $1}' "$work/keyturn.out")
awk -v t=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" -v n="$reads" \
  'BEGIN { printf "server CPU: %.0f ms per 1,000 reads (%d reads)\n", t * 1000 / hz / n * 1000, n }'
if [ "$store" = postgresql ]; then
  pg_reads=$(awk '/requests in/ {print $1}' "$work/kt-pg.out")
  awk -v t=$((pg_ticks_after - pg_ticks_before)) -v b=$((backend_ticks_after - backend_ticks_before)) \
    -v nb="$(echo $backends | wc -w)" -v hz="$(getconf CLK_TCK)" -v n="$pg_reads" \
    'BEGIN { printf "postgresql server CPU: %.0f ms per 1,000 reads, and %.0f ms in its %d PostgreSQL backends (%d reads)\n", t * 1e6 / hz / n, b * 1e6 / hz / n, nb, n }'
fi
rss_peak=$(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$kt_pid/status")
echo "server resident memory: ${rss_idle} MB at idle (empty store), ${rss_peak} MB peak during the run (goal 100 / 256 MB; KEYTURN_JAVA_OPTS=${KEYTURN_JAVA_OPTS-})"
audited=$(KEYTURN_TOKEN_FILE="$work/data/root.token" "$repo/bin/keyturn" audit checkpoint)
echo "audit head after the run: ${audited%%:*} records (every read audited)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
