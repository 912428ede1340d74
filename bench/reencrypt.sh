#!/usr/bin/env bash
# Re-encrypting Fernet tokens under a new key: runbook E's Python pipeline (\copy out,
# MultiFernet.rotate in 2 processes, \copy into a temporary table, one UPDATE ... FROM; kept in
# bench/reencrypt/) against `keyturn rotate` of a --strategy reencrypt rule, each on a fresh copy
# of fernet_bench(id bigint primary key, token text not null) WITH (fillfactor = F), at fillfactor
# 45 (updates stay HOT) and 100. Prints both times, Keyturn's sweep (its set step: first read to
# last commit; the test and the final sweep apart, as the pipeline verifies nothing), the ratio,
# the CPU time (user+sys) of each side and of PostgreSQL, and the load; then PostgreSQL's floor:
# the same rows rewritten by PostgreSQL alone (a server-side loop, 10000 rows a commit, the new
# tokens precomputed by the pipeline), which bounds the ratio any sweep can reach here.
#
# PostgreSQL: a scratch cluster of the installed server (initdb, pg_ctl; fsync and
# synchronous_commit on) that demands SCRAM passwords, because Keyturn's database targets refuse a
# server that asks for none (the machine's own server trusts loopback logins).
#
# Usage: bench/reencrypt.sh [ROWS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rows=${1:-1000000}
echo "command: bench/reencrypt.sh $rows"
echo "load before: $(uptime)"

work=$(mktemp -d /tmp/keyturn-reencrypt-bench.XXXXXX)
chmod 755 "$work"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The cluster.
mkdir -p "$work/pg"
python3 -c 'import secrets; print(secrets.token_hex(16))' > "$work/pg/pw"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$work/pg"
chmod 700 "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=scram-sha-256 --pwfile="$work/pg/pw" -E UTF8 >/dev/null
pgport=$(free_port)
as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w -o "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$pgport PGUSER=postgres PGPASSWORD=$(cat "$work/pg/pw")
psql -qAt -d postgres -c "CREATE DATABASE bench" >/dev/null
export PGDATABASE=bench
postmaster=$(head -n 1 "$work/pg/data/postmaster.pid")

# PostgreSQL's CPU ticks so far: the postmaster, its live children, and the children it reaped.
pg_ticks() {
  local total=0 pid
  for pid in $postmaster $(pgrep -P "$postmaster"); do
    read -r -a f < "/proc/$pid/stat" || continue
    total=$((total + f[13] + f[14]))
  done
  read -r -a f < "/proc/$postmaster/stat"
  echo $((total + f[15] + f[16]))
}
proc_ticks() { read -r -a f < "/proc/$1/stat"; echo $((f[13] + f[14])); }
tick=$(getconf CLK_TCK)
secs() { python3 -c "print('%.1f' % ($1 / $tick))"; }

# The tokens, under the old key.
python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > "$work/old.key"
echo "making $rows tokens ..."
python3 bench/reencrypt/make_tokens.py "$rows" "$work/old.key" > "$work/tokens.csv"
psql -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TABLE fernet_src (id bigint, token text);
\copy fernet_src FROM '$work/tokens.csv' CSV
SQL
echo "token length: $(psql -qAt -c 'SELECT round(avg(length(token))) FROM fernet_src')"

fresh() {
  psql -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
DROP TABLE IF EXISTS fernet_bench;
CREATE TABLE fernet_bench (id bigint PRIMARY KEY, token text NOT NULL) WITH (fillfactor = $1);
INSERT INTO fernet_bench SELECT id, token FROM fernet_src ORDER BY id;
VACUUM ANALYZE fernet_bench;
CHECKPOINT;
SQL
}

# Keyturn: the server from this checkout (bin/keyturn builds the jar if the sources changed).
bin/keyturn generate hex:4 >/dev/null
ktport=$(free_port)
mkdir -p "$work/kt"
bin/keyturn server --data "$work/kt/data" --listen "127.0.0.1:$ktport" > "$work/kt/log" 2>&1 &
server_pid=$!
export KEYTURN_ADDR="http://127.0.0.1:$ktport" KEYTURN_TOKEN_FILE="$work/kt/data/root.token"
for _ in $(seq 1 300); do [ -f "$KEYTURN_TOKEN_FILE" ] && bin/keyturn status >/dev/null 2>&1 && break; sleep 0.2; done
# The JVM that serves: bin/keyturn execs java, so its pid is the server's.
printf '{"engine":"postgres","host":"127.0.0.1","port":%s,"dbname":"bench","username":"postgres","password":"%s","sslmode":"disable"}' \
  "$pgport" "$PGPASSWORD" | bin/keyturn put bench/DB_ADMIN --stdin --type json >/dev/null

run() {
  local ff=$1
  echo
  echo "== fillfactor $ff, $rows rows"
  # The pipeline.
  fresh "$ff"
  python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > "$work/new.key"
  local pg0 t0 t1 pg1
  pg0=$(pg_ticks)
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/cpu.copyout" psql -q -v ON_ERROR_STOP=1 -c "\copy fernet_bench TO '$work/out.csv' CSV"
  /usr/bin/time -f "%U %S" -o "$work/cpu.python" python3 bench/reencrypt/rotate_tokens.py "$work/out.csv" "$work/rot.csv" "$work/new.key" "$work/old.key"
  /usr/bin/time -f "%U %S" -o "$work/cpu.copyin" psql -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
BEGIN;
CREATE TEMPORARY TABLE rotated (id bigint, token text);
\copy rotated FROM '$work/rot.csv' CSV
UPDATE fernet_bench b SET token = r.token FROM rotated r WHERE b.id = r.id;
COMMIT;
SQL
  t1=$(date +%s.%N)
  pg1=$(pg_ticks)
  local pipeline pipeline_cpu pipeline_pg
  pipeline=$(python3 -c "print('%.1f' % ($t1 - $t0))")
  pipeline_cpu=$(cat "$work/cpu.copyout" "$work/cpu.python" "$work/cpu.copyin" | awk '{s+=$1+$2} END {printf "%.1f", s}')
  pipeline_pg=$(secs $((pg1 - pg0)))

  # PostgreSQL's floor: the rows the pipeline just made, rewritten on a fresh copy by PostgreSQL
  # alone in batches of 10000 rows, each an UPDATE ... FROM matching id and old token (as the
  # sweep's) and a commit; no client, no crypto, no reading of pages.
  psql -q -v ON_ERROR_STOP=1 >/dev/null <<SQL

CREATE TEMPORARY TABLE o (id bigint, token text);
CREATE TEMPORARY TABLE r (id bigint, token text);
\copy o FROM '$work/out.csv' CSV
\copy r FROM '$work/rot.csv' CSV
CREATE TABLE fernet_next AS SELECT o.id, o.token AS old, r.token AS new FROM o JOIN r USING (id) ORDER BY id;
CREATE INDEX ON fernet_next (id);
ANALYZE fernet_next;
SQL
  rm -f "$work/out.csv" "$work/rot.csv"
  fresh "$ff"
  pg0=$(pg_ticks)
  t0=$(date +%s.%N)
  psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$
DECLARE lo bigint := 0; hi bigint;
BEGIN
  LOOP
    SELECT max(id) INTO hi FROM (SELECT id FROM fernet_next WHERE id > lo ORDER BY id LIMIT 10000) p;
    EXIT WHEN hi IS NULL;
    UPDATE fernet_bench b SET token = n.new FROM fernet_next n
      WHERE n.id > lo AND n.id <= hi AND b.id = n.id AND b.token = n.old;
    COMMIT;
    lo := hi;
  END LOOP;
END $$;
SQL
  t1=$(date +%s.%N)
  pg1=$(pg_ticks)
  local floor floor_pg
  floor=$(python3 -c "print('%.1f' % ($t1 - $t0))")
  floor_pg=$(secs $((pg1 - pg0)))
  psql -q -c "DROP TABLE fernet_next" >/dev/null

  # Keyturn, on a fresh copy, with its own secret holding the old key.
  fresh "$ff"
  local name=bench/FERNET_KEY_$ff
  bin/keyturn put "$name" --stdin < "$work/old.key" >/dev/null
  bin/keyturn rotation set "$name" --generate fernet --strategy reencrypt --target postgresql \
    --admin bench/DB_ADMIN --table fernet_bench --id-column id --column token --batch-size 10000 >/dev/null
  local jvm0 jvm1
  jvm0=$(proc_ticks "$server_pid")
  pg0=$(pg_ticks)
  t0=$(date +%s.%N)
  bin/keyturn rotate "$name" --json > "$work/rotation.json"
  t1=$(date +%s.%N)
  pg1=$(pg_ticks)
  jvm1=$(proc_ticks "$server_pid")
  local state sweep rotate ratio
  state=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['state'])" "$work/rotation.json")
  sweep=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('%.1f' % ([c['millis'] for c in r['checklist'] if c['name']=='set postgresql'][-1]/1000))" "$work/rotation.json")
  rotate=$(python3 -c "print('%.1f' % ($t1 - $t0))")
  ratio=$(python3 -c "print('%.1f' % ($pipeline / $sweep))")
  echo "python pipeline:  ${pipeline} s  (CPU ${pipeline_cpu} s in psql and python; PostgreSQL ${pipeline_pg} s)"
  echo "keyturn rotate:   ${rotate} s, state $state  (server JVM CPU $(secs $((jvm1 - jvm0))) s; PostgreSQL $(secs $((pg1 - pg0))) s)"
  echo "keyturn sweep:    ${sweep} s  (set step: first read to last commit; test and final sweep apart)"
  echo "ratio:            ${ratio}x  (pipeline / sweep; goal >= 10x and sweep <= 10 s)"
  echo "PostgreSQL floor: ${floor} s  (PostgreSQL CPU ${floor_pg} s; the same rows rewritten by PostgreSQL alone, 10000 a commit, tokens precomputed)"
  echo "floor ratio:      $(python3 -c "print('%.1f' % ($pipeline / $floor))")x  (pipeline / floor; a 10x sweep needs a floor <= $(python3 -c "print('%.1f' % ($pipeline / 10))") s)"
  echo "load:             $(uptime)"
}

run 45
run 100
