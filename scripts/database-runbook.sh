#!/usr/bin/env bash
# Runs docs/runbooks/database.md as written, block by block, against a real Keyturn server
# (`bin/keyturn server` in a fresh folder) and a throw-away PostgreSQL cluster that demands
# passwords (initdb --auth=scram-sha-256, run as the postgres user, on a free port). The only
# change to the runbook's commands is the port: the doc's 5432 becomes the cluster's. Between
# blocks it checks what the runbook promises: the users switch, both logins work, and an
# emergency rotation shuts the leaked login out. CI runs it after the tests; VERBOSE=1 shows what
# each block printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
work=$(mktemp -d)
pgdir="$work/pg"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  kill "${server_pid:-}" 2>/dev/null || true
  wait "${server_pid:-}" 2>/dev/null || true
  if [ -f "$pgdir/data/postmaster.pid" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/initdb" ] || { echo "database-runbook: no PostgreSQL server packages (initdb)" >&2; exit 1; }
chmod 711 "$work"  # the postgres user must reach its folder
mkdir -p "$pgdir"
printf '%s\n' Vq7-admin-from-vault-Lp3 > "$pgdir/pwfile"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$pgdir"
chmod 700 "$pgdir"
as_postgres "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=scram-sha-256 \
  --pwfile="$pgdir/pwfile" --no-sync -E UTF8 > "$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1" start > /dev/null

# What runbook B starts from: an app user with a password and a table it owns.
PGPASSWORD=Vq7-admin-from-vault-Lp3 psql -qX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
  -c "CREATE ROLE leather_api LOGIN PASSWORD 'Kd2-live-in-env-production-Rw8'" \
  -c "CREATE DATABASE leather_api OWNER leather_api"
PGPASSWORD=Kd2-live-in-env-production-Rw8 psql -qX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U leather_api -d leather_api \
  -c "CREATE TABLE posts (id int PRIMARY KEY, body text)"
if PGPASSWORD=wrong-password psql -qX -h 127.0.0.1 -p "$port" -U leather_api -d leather_api -c 'SELECT 1' >/dev/null 2>&1; then
  echo "database-runbook: the scratch cluster accepted a wrong password" >&2; exit 1
fi

# The runbook's code blocks, one file each, with the cluster's port.
awk -v dir="$work" '/^```sh/{n++; inblock=1; next} inblock && /^```/{inblock=0; next} inblock{print > (dir "/block" n ".sh")}' \
  "$repo/docs/runbooks/database.md"
sed -i "s/\"port\": 5432/\"port\": $port/" "$work"/block*.sh
blocks=$(ls "$work"/block*.sh | wc -l)
[ "$blocks" -ge 5 ] || { echo "database-runbook: found only $blocks blocks in the runbook" >&2; exit 1; }

ln -s "$repo/bin" "$work/bin"
cd "$work"
. "$repo/scripts/server.sh"
start_server database-runbook

url() { bin/keyturn get leather-api/production/DATABASE --format url; }
for i in $(seq 1 "$blocks"); do
  block="block$i.sh"
  echo "database-runbook: block $i: $(grep -c 'bin/keyturn\|psql' "$block") commands"
  if grep -q -- '--emergency' "$block"; then
    leaked=$(url)
  fi
  bash -euo pipefail "$block" > "$block.out" 2>&1 || {
    cat "$block.out" >&2; echo "database-runbook: block $i FAILED" >&2; exit 1; }
  if [ -n "${VERBOSE:-}" ]; then sed 's/^/    /' "$block.out"; fi
  if grep -q '^bin/keyturn rotate leather-api/production/DATABASE$' "$block"; then
    case "$(url)" in
      postgresql://leather_api_b:*) ;;
      *) echo "database-runbook: the rotation did not switch to leather_api_b" >&2; exit 1 ;;
    esac
    grep -q "finished" "$block.out" || { cat "$block.out" >&2; exit 1; }
  fi
done
[ -n "${leaked:-}" ] || { echo "database-runbook: the runbook has no emergency rotation" >&2; exit 1; }
if psql -qX "$leaked" -c 'SELECT 1' >/dev/null 2>&1; then
  echo "database-runbook: the leaked login still works after the emergency rotation" >&2; exit 1
fi
psql -qX -v ON_ERROR_STOP=1 "$(url)" -c 'INSERT INTO posts VALUES (1, $$after the emergency$$)' >/dev/null
if grep -q 'Vq7-admin-from-vault-Lp3\|Kd2-live-in-env-production-Rw8' server.log; then
  echo "database-runbook: a password reached the server log" >&2; exit 1
fi
echo "database-runbook: ok"
