#!/usr/bin/env bash
# RotatingDataSource against plain HikariCP: primary-key selects on a `pgbench -i -s 10` database
# in a throw-away PostgreSQL cluster that demands SCRAM passwords (initdb --auth=scram-sha-256,
# free port), 8 threads, 60 s each:
#   1. plain HikariCP, the app user's fixed credentials;
#   2. RotatingDataSource reading the secret from a real Keyturn server (read-only token), while
#      the secret is rotated every 10 s (alternating users, through the server's API);
#   3. for reference, `pgbench -S -M prepared -c8 -j2` (pgbench's own select-only script).
# Goal (issue 18): rotating >= 0.9x plain's queries/s, 0 failed queries, p99 at most 2x plain.
# Prints each line, the ratios, the CPU time (user+sys) of each phase and the load average
# (the machine may be shared: read the figures beside the load).
# Plain and rotating runs alternate, PAIRS times (default 2), so that a change of load on a shared
# machine falls on both sides; the ratios compare their means.
# Settings: SECONDS_EACH (60), THREADS (8), ROTATE_EVERY (10), SCALE (10), PAIRS (2), KT_PORT (18291).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
seconds=${SECONDS_EACH:-60}
threads=${THREADS:-8}
rotate_every=${ROTATE_EVERY:-10}
scale=${SCALE:-10}
kt_port=${KT_PORT:-18291}
pairs=${PAIRS:-2}
work=$(mktemp -d)
pgdir="$work/pg"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  set +e
  [ -n "${kt_pid:-}" ] && kill "$kt_pid" 2>/dev/null && wait "$kt_pid" 2>/dev/null
  if [ -f "$pgdir/data/postmaster.pid" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT

cd "$repo"
. .mvn/find-jdk.sh
keyturn_find_jdk
echo "datasource: building" >&2
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
"$repo/bin/keyturn" generate hex:1 >/dev/null   # builds the app jar if needed
java_bin=$JAVA_HOME/bin/java

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/initdb" ] || { echo "datasource: no PostgreSQL server packages (initdb)" >&2; exit 1; }
chmod 711 "$work"
mkdir -p "$pgdir"
admin_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
app_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$admin_pw" > "$pgdir/pwfile"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$pgdir"
chmod 700 "$pgdir"
as_postgres "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=scram-sha-256 \
  --pwfile="$pgdir/pwfile" --no-sync -E UTF8 > "$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $pg_port -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=100" start > /dev/null
PGPASSWORD=$admin_pw psql -qX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
  -c "CREATE ROLE bench_app LOGIN PASSWORD '$app_pw'" -c "CREATE DATABASE bench OWNER bench_app"
echo "datasource: pgbench -i -s $scale" >&2
PGPASSWORD=$app_pw "$pgbin/pgbench" -q -i -s "$scale" -h 127.0.0.1 -p "$pg_port" -U bench_app bench \
  > "$work/pgbench-init.log" 2>&1 || { cat "$work/pgbench-init.log" >&2; exit 1; }

# The Keyturn server, the secrets, the alternating-users rule and its second user.
"$repo/bin/keyturn" server --data "$work/data" --listen "127.0.0.1:$kt_port" >"$work/server.log" 2>&1 &
kt_pid=$!
export KEYTURN_ADDR="http://127.0.0.1:$kt_port" KEYTURN_TOKEN_FILE="$work/data/root.token"
for _ in $(seq 1 120); do curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && break; sleep 0.5; done
secret() { printf '{"engine":"postgresql","host":"127.0.0.1","port":%s,"dbname":"%s","username":"%s","password":"%s","sslmode":"disable"}' "$pg_port" "$1" "$2" "$3"; }
( umask 077
  secret postgres postgres "$admin_pw" > "$work/admin.json"
  secret bench bench_app "$app_pw" > "$work/db.json" )
kt() { "$repo/bin/keyturn" "$@"; }
kt put bench/DATABASE_ADMIN --type json --file "$work/admin.json" >/dev/null
kt put bench/DATABASE --type json --file "$work/db.json" >/dev/null
rm -f "$work/admin.json" "$work/db.json"
kt rotation set bench/DATABASE --target postgresql --admin bench/DATABASE_ADMIN \
  --strategy alternating-users --generate base64url:24 --every 30d >/dev/null
kt target setup bench/DATABASE >/dev/null
read_token=$(kt token create --allow 'read:bench/DATABASE' --name datasource-bench 2>/dev/null)
rotate_token=$(kt token create --allow 'rotate:bench/DATABASE' --allow 'read:bench/*' --name rotator 2>/dev/null)
unset KEYTURN_TOKEN_FILE

cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }          # user+sys ticks of a process
pg_ticks() {  # the cluster's postmaster and its ended children (a backend ends when its client leaves)
  local pm; pm=$(head -n 1 "$pgdir/data/postmaster.pid")
  awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
}
hz=$(getconf CLK_TCK)
phase() {  # phase NAME COMMAND...: runs it, prints its output, CPU (its own + the cluster's) and load
  local name=$1; shift
  local before_pg; before_pg=$(pg_ticks)
  local kt_before; kt_before=$(cpu_of "$kt_pid")
  local start=$SECONDS
  /usr/bin/env time -f "%U %S" -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err" \
    || { cat "$work/$name.err" >&2; exit 1; }
  grep -v '^$' "$work/$name.out" | tail -n 1
  grep -i 'first failure\|rotation [0-9]' "$work/$name.err" >&2 || true
  local t; t=$(cat "$work/$name.time" | tail -n 1)
  printf '  %s: %d s wall; cpu: client %.1f s (user %s s, sys %s s), postgres %.1f s, keyturn %.1f s; load after: %s\n' \
    "$name" $((SECONDS - start)) "$(echo "$t" | awk '{print $1 + $2}')" "${t% *}" "${t#* }" \
    "$(echo "$(pg_ticks) $before_pg $hz" | awk '{print ($1 - $2) / $3}')" \
    "$(echo "$(cpu_of "$kt_pid") $kt_before $hz" | awk '{print ($1 - $2) / $3}')" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "load before: $(uptime)"
echo "commands: bench/datasource.sh (SECONDS_EACH=$seconds THREADS=$threads ROTATE_EVERY=$rotate_every SCALE=$scale PAIRS=$pairs)"
echo "  $java_bin -cp bench/target/benchmarks.jar dev.keyturn.bench.DataSourceBench plain|rotating $seconds $threads $rotate_every $scale"
echo "  pgbench -S -M prepared -c8 -j2 -T $seconds bench"
export KEYTURN_ADDR
# The user and password of the current version (rotations change them): for plain HikariCP and
# pgbench, which take fixed credentials.
current_login() {
  local url; url=$(KEYTURN_TOKEN=$read_token kt get bench/DATABASE --format url)
  cur_user=$(printf '%s' "$url" | sed -E 's#^[^:]+://([^:]+):.*#\1#')
  cur_pw=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' \
    "$(printf '%s' "$url" | sed -E 's#^[^:]+://[^:]+:([^@]+)@.*#\1#')")
}
for pair in $(seq 1 "$pairs"); do
  current_login
  BENCH_JDBC_URL="jdbc:postgresql://127.0.0.1:$pg_port/bench?sslmode=disable" BENCH_DB_USER=$cur_user \
  BENCH_DB_PASSWORD=$cur_pw \
    phase "plain-$pair" "$java_bin" -cp bench/target/benchmarks.jar dev.keyturn.bench.DataSourceBench \
      plain "$seconds" "$threads" "$rotate_every" "$scale" | tee -a "$work/plain.lines"
  BENCH_READ_TOKEN=$read_token BENCH_ROTATE_TOKEN=$rotate_token BENCH_SECRET=bench/DATABASE \
    phase "rotating-$pair" "$java_bin" -cp bench/target/benchmarks.jar dev.keyturn.bench.DataSourceBench \
      rotating "$seconds" "$threads" "$rotate_every" "$scale" | tee -a "$work/rotating.lines"
done
current_login
PGPASSWORD=$cur_pw \
  phase pgbench "$pgbin/pgbench" -n -S -M prepared -c 8 -j 2 -T "$seconds" -h 127.0.0.1 -p "$pg_port" \
    -U "$cur_user" bench | sed 's/^/  /'
grep -E '^tps|latency average' "$work/pgbench.out" | sed 's/^/  pgbench: /'

# Each side's figures are the mean over its runs (plain and rotating alternate, so a load change
# on the shared machine touches both sides alike).
mean() { grep -o "$1 *[0-9.]*" "$2" | awk '{s += $2; n++} END {print s / n}'; }
plain_qps=$(awk '/queries\/s/ {s += $2; n++} END {print s / n}' "$work/plain.lines")
rot_qps=$(awk '/queries\/s/ {s += $2; n++} END {print s / n}' "$work/rotating.lines")
failed=$(grep -o 'failed [0-9]*' "$work/rotating.lines" | awk '{s += $2} END {print s}')
awk -v a="$rot_qps" -v b="$plain_qps" -v c="$(mean p99 "$work/rotating.lines")" \
  -v d="$(mean p99 "$work/plain.lines")" -v f="$failed" -v n="$pairs" 'BEGIN {
  printf "rotating/plain over %d runs each: throughput %.0f / %.0f = %.3fx (goal >= 0.9), p99 %.3f / %.3f ms = %.2fx (goal <= 2), failed queries %d (goal 0)\n", n, a, b, a / b, c, d, c / d, f }'
echo "load after: $(uptime)"
