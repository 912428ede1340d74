#!/usr/bin/env bash
# Runs docs/runbooks/jwt-fernet-service.md (runbook E end to end) as written, block by block,
# against a real `bin/keyturn server` in a fresh folder on a free port (KEYTURN_LISTEN,
# KEYTURN_ADDR; never 8270), a throw-away PostgreSQL cluster that demands passwords (initdb
# --auth=scram-sha-256, on a free port; Keyturn's database targets refuse a server that asks for
# none) and scripts/runbooks/arena_app.py as the app. The only change to the doc's commands is their
# ports (5432, 8000 and 8270 become free ones). Blocks run in this shell, so that their variables
# and background jobs carry over; between blocks it checks what the runbook promises, through the
# app and apart from it: the app decrypts every credential before and after the Fernet rotation
# (the same digest, which this script also computes from the table with the key from Keyturn), every
# row opens under the new key alone and under the old one no more, a token issued before the JWT
# rotation verifies during the grace (in the app, through the JWK Set, and with `keyturn jwt
# verify`) and not after it, and no key or credential is in any file or log. Without initdb, psql
# or psycopg2 it is skipped, unless KEYTURN_IT=1 (as in CI), which makes it fail. CI runs it after
# the tests; VERBOSE=1 shows what each block printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
export PATH=/usr/bin:$PATH   # Debian's python3 (cryptography, PyJWT, psycopg2), as for the other runbook scripts
skip() {
  if [ "${KEYTURN_IT:-}" = 1 ]; then echo "jwt-fernet-runbook: $* (KEYTURN_IT=1 requires it)" >&2; exit 1; fi
  echo "jwt-fernet-runbook: skipped: $*" >&2
  exit 0
}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || skip "no PostgreSQL server packages (initdb)"
command -v psql >/dev/null || skip "no psql"
python3 -c 'import psycopg2, jwt, cryptography' 2>/dev/null || skip "python3 lacks psycopg2, PyJWT or cryptography"

rb_work=$(mktemp -d)
pgdir="$rb_work/pg"
rb_pids=()
rb_block=""
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
rb_cleanup() {
  local rc=$?
  if [ "$rc" != 0 ] && [ -n "$rb_block" ] && [ -f "$rb_work/$rb_block.out" ]; then
    cat "$rb_work/$rb_block.out" >&2
    for f in "$rb_work"/*.err "$rb_work"/server.log; do
      [ -f "$f" ] && { echo "--- ${f##*/}" >&2; tail -n 20 "$f" >&2; }
    done
    echo "jwt-fernet-runbook: $rb_block FAILED" >&2
  fi
  for p in $(jobs -p) "${rb_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in $(jobs -p) "${rb_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -f "$pgdir/data/postmaster.pid" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$rb_work"
}
trap rb_cleanup EXIT
fail() { echo "jwt-fernet-runbook: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The DBA's part: the cluster, the app's login owning its database, the rotator's login.
chmod 711 "$rb_work"  # the postgres user must reach its folder
mkdir -p "$pgdir"
python3 -c 'import secrets; print(secrets.token_hex(16))' > "$pgdir/pwfile"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$pgdir"
chmod 700 "$pgdir"
as_postgres "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=scram-sha-256 \
  --pwfile="$pgdir/pwfile" --no-sync -E UTF8 > "$rb_work/initdb.log" 2>&1 \
  || { cat "$rb_work/initdb.log" >&2; exit 1; }
rb_pg_port=$(free_port)
as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $rb_pg_port -k $pgdir -c listen_addresses=127.0.0.1" start > /dev/null
PGPASSWORD=$(cat "$pgdir/pwfile") psql -qX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$rb_pg_port" -U postgres -d postgres \
  -c "CREATE ROLE arena LOGIN PASSWORD 'Tq4-arena-app-login-Hw2'" \
  -c "CREATE ROLE credential_rotator LOGIN PASSWORD 'Mz8-rotator-login-Kc5'" \
  -c "CREATE DATABASE arena OWNER arena" >/dev/null
rb_db="postgresql://arena:Tq4-arena-app-login-Hw2@127.0.0.1:$rb_pg_port/arena"

rb_kt_port=$(free_port)
rb_app_port=$(free_port)
export KEYTURN_LISTEN=127.0.0.1:$rb_kt_port KEYTURN_ADDR=http://127.0.0.1:$rb_kt_port

. "$repo/scripts/server.sh"
extract_blocks jwt-fernet-runbook "$repo/docs/runbooks/jwt-fernet-service.md" "$rb_work" 9
sed -i -e "s|5432|$rb_pg_port|g" -e "s|8000|$rb_app_port|g" -e "s|8270|$rb_kt_port|g" "$rb_work"/block*.sh
rb_blocks=9

ln -s "$repo/bin" "$rb_work/bin"
mkdir "$rb_work/standins"
cp "$repo/scripts/runbooks/arena_app.py" "$rb_work/standins/"
cd "$rb_work"
start_server_at jwt-fernet-runbook
rb_pids+=("$server_pid")

fernet=arena/production/CREDENTIAL_ENCRYPTION_KEY
jwt_key=arena/production/SECRET_KEY
# What the app's table holds, read apart from the app: "id token" lines in id order.
rb_rows() { psql -qAtX -F ' ' "$rb_db" -c 'SELECT id, encrypted_value FROM api_credentials ORDER BY id'; }
# The digest the app's /api/arenas/health gives, computed from the table with the key on stdin
# alone (not a keyring); fails naming the first row that key does not open.
rb_digest() {
  python3 -c '
import hashlib, subprocess, sys
from cryptography.fernet import Fernet, InvalidToken
f = Fernet(sys.stdin.read().strip())
d = hashlib.sha256()
for line in sys.argv[1].splitlines():
    row_id, token = line.split(" ")
    try:
        d.update(row_id.encode() + b":" + f.decrypt(token.encode()) + b"\n")
    except InvalidToken:
        sys.exit("row %s does not open under this key" % row_id)
print(d.hexdigest())' "$(rb_rows)"
}
rb_json() { python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
rb_health_line() { grep '"decrypted"' "$1" | tail -n 1; }

for i in $(seq 1 "$rb_blocks"); do
  rb_block="block$i"
  echo "jwt-fernet-runbook: block $i: $(grep -c 'keyturn\|curl\|psql\|app ' "$rb_block.sh") commands"
  . "./$rb_block.sh" > "$rb_block.out" 2>&1
  if [ -n "${VERBOSE:-}" ]; then sed 's/^/    /' "$rb_block.out"; fi
  case $i in
    1)
      [ ! -e database.json ] && [ ! -e admin.json ] || fail "the login files were left"
      ;;
    2)
      [ "$(psql -qAtX "$rb_db" -c "SELECT has_table_privilege('credential_rotator', 'api_credentials', 'UPDATE')")" = t ] \
        || fail "the rotator may not update api_credentials"
      ;;
    3)
      grep -q 'primary key' "$rb_block.out" || fail "target setup did not check the id column"
      [ "$(grep -c '^arena/production/[A-Z_]* *platform ' "$rb_block.out")" = 2 ] \
        || fail "the status board does not list both keys with their owner"
      ;;
    4)
      rb_pids+=("$app_pid")
      grep -q '"status": "ok"' "$rb_block.out" || fail "the app's health check did not answer ok"
      grep -q 'arena: started, .* 1 Fernet key(s)' app.err || fail "the app did not start with its key files"
      ;;
    5)
      [ "$(grep -c '"id": [0-9]*, "provider"' "$rb_block.out")" = 5 ] || fail "the app did not store 5 credentials"
      line=$(rb_health_line "$rb_block.out")
      [ "$(echo "$line" | rb_json credentials)" = 5 ] || fail "the app does not decrypt 5 credentials"
      rb_before_digest=$(echo "$line" | rb_json digest)
      [ "$(bin/keyturn get "$fernet" | rb_digest)" = "$rb_before_digest" ] \
        || fail "the app's credentials are not the table's under the key in Keyturn"
      rb_old_rows=$(rb_rows)
      rb_old_key=$(bin/keyturn get "$fernet")
      rb_credentials=$(bin/keyturn get "$fernet" | python3 -c '
import sys
from cryptography.fernet import Fernet
f = Fernet(sys.stdin.read().strip())
for line in sys.argv[1].splitlines():
    print(f.decrypt(line.split(" ")[1].encode()).decode())' "$rb_old_rows")
      rb_old_kid=$(echo "$ALICE" | python3 -c 'import jwt, sys; print(jwt.get_unverified_header(sys.stdin.read().strip())["kid"])')
      ;;
    6)
      [ "$(app /health | rb_json jwt_kid)" != "$rb_old_kid" ] || fail "the app did not restart with the new JWT key"
      [ "$(curl -s "$KEYTURN_ADDR/v1/jwks/$jwt_key" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["keys"]))')" = 2 ] \
        || fail "the JWK Set does not hold the old and the new key"
      grep -q '"user": "alice", "kid": "'"$rb_old_kid"'"' "$rb_block.out" \
        || fail "a token issued before the rotation did not verify in the app during the grace"
      grep '"user": "bob"' "$rb_block.out" | grep -vq "\"kid\": \"$rb_old_kid\"" \
        || fail "a token issued after the rotation was not signed with the new key"
      echo "$ALICE" | bin/keyturn jwt verify "$jwt_key" > verify.out || fail "keyturn jwt verify refused the old token"
      grep -q '"sub": *"alice"' verify.out || fail "keyturn jwt verify did not print the old token's claims"
      ;;
    7)
      grep -q 'finished' "$rb_block.out" || fail "the Fernet rotation did not finish"
      grep -qx '200' "$rb_block.out" || fail "the app's health check did not answer 200 after the rotation"
      grep -q 'arena: started, .* 2 Fernet key(s)' app.err || fail "the app never held the old and the new key"
      [ "$(app /health | rb_json fernet_keys)" = 1 ] || fail "the app did not restart with the new key alone"
      line=$(rb_health_line "$rb_block.out")
      [ "$(echo "$line" | rb_json credentials)" = 5 ] && [ "$(echo "$line" | rb_json digest)" = "$rb_before_digest" ] \
        || fail "the app does not decrypt every credential as before the rotation"
      [ "$(bin/keyturn keyring "$fernet" --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["versions"]))')" = 1 ] \
        || fail "the old Fernet key is still in the keyring"
      rb_new_key=$(bin/keyturn get "$fernet")
      [ "$rb_new_key" != "$rb_old_key" ] || fail "the Fernet key did not change"
      [ "$(echo "$rb_new_key" | rb_digest)" = "$rb_before_digest" ] || fail "a row does not open under the new key alone"
      if echo "$rb_old_key" | rb_digest >/dev/null 2>&1; then fail "rows still open under the old key"; fi
      [ "$(rb_rows | cut -d' ' -f1)" = "$(echo "$rb_old_rows" | cut -d' ' -f1)" ] || fail "the table's rows changed"
      grep -q 'database unavailable\|does not decrypt' app.err && fail "the app failed during the rotation"
      ;;
    8)
      grep -q '"error": "invalid token"' "$rb_block.out" || fail "the old token still verifies after the grace"
      grep -q '"user": "bob"' "$rb_block.out" || fail "the new token is refused after the grace"
      if echo "$ALICE" | bin/keyturn jwt verify "$jwt_key" >/dev/null 2>&1; then fail "keyturn jwt verify accepts the retired key's token"; fi
      ;;
    9) ;;
  esac
done
rb_block=""

# No key and no credential anywhere but in the stores.
while IFS= read -r value; do
  if grep -rlF --exclude-dir=keyturn-data --exclude-dir=pg -- "$value" .; then fail "a credential is in the files above"; fi
done <<< "$rb_credentials"
for value in "$rb_old_key" "$rb_new_key" "$(bin/keyturn get "$jwt_key" | sed -n 2p)"; do
  if grep -rlF --exclude-dir=keyturn-data --exclude-dir=pg -- "$value" .; then fail "a key is in the files above"; fi
done
echo "jwt-fernet-runbook: ok"
