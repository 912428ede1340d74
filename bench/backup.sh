#!/usr/bin/env bash
# Backup and restore of 100,000 secrets of 64 bytes (issue 17): the time of `keyturn backup create`
# from a server holding them, and of `keyturn backup restore` of that file into an empty server,
# beside the floor: `sqlite3 .backup` of the same store piped through `gpg --symmetric`.
# Goals: backup at most 2x the floor and under 10 s; restore under 30 s.
#
# The 100,000 secrets are put into the first server by restoring a document made here (values are
# 64 random hex characters, never on disk: python3 writes the document to the CLI's standard input),
# so that populating it takes one request. Servers listen on free ports, never 8270.
# Usage: bench/backup.sh [SECRETS]   (default 100000)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
count=${1:-100000}
work=$(mktemp -d)
pids=()
cleanup() {
  status=$?
  if [ "$status" -ne 0 ]; then
    for log in "$work"/*/server.log; do
      [ -f "$log" ] && {
        echo "--- $log (errors, then last lines)" >&2
        grep -E '(Exception|Error)(:| )' "$log" | grep -v '^\s*at ' | head -n 5 >&2 || true
        grep -v ' access ' "$log" | tail -n 8 >&2 || true
      }
    done
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
tick=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }  # user+sys of a live process
timed() { /usr/bin/time -f '%U %S' -o "$work/time" "$@"; }  # user+sys of a command and its children
cpu_timed() { awk '{printf "%.2f", $1 + $2}' "$work/time"; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

"$repo/bin/keyturn" --version >/dev/null  # builds the jar once, outside the timings
start() { # start NAME: a server in $work/NAME on a free port; sets addr
  local port; port=$(free_port)
  mkdir -p "$work/$1"
  (cd "$work/$1" && KEYTURN_LISTEN=127.0.0.1:$port exec "$repo/bin/keyturn" server > server.log 2>&1) &
  pids+=($!)
  addr=http://127.0.0.1:$port
  for _ in $(seq 1 120); do curl -s -o /dev/null "$addr/v1/health" && return 0; sleep 0.5; done
  cat "$work/$1/server.log" >&2; echo "backup bench: the server $1 did not start" >&2; exit 1
}
kt() { # kt NAME ARGS...: the CLI against server NAME with its root token
  local name=$1; shift
  KEYTURN_ADDR=$(cat "$work/$name/addr") KEYTURN_TOKEN_FILE="$work/$name/keyturn-data/root.token" \
    "$repo/bin/keyturn" "$@"
}
start a; echo "$addr" > "$work/a/addr"; pid_a=${pids[-1]}
start b; echo "$addr" > "$work/b/addr"; pid_b=${pids[-1]}
printf '%s\n' "bench passphrase, not a secret" > "$work/pass"

python3 "$repo/bench/backup-document.py" "$count" | kt a backup restore - >/dev/null

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(now); a0=$(cpu_of "$pid_a")
timed env KEYTURN_ADDR="$(cat "$work/a/addr")" KEYTURN_TOKEN_FILE="$work/a/keyturn-data/root.token" \
  "$repo/bin/keyturn" backup create --out "$work/backup.pgp" --passphrase-file "$work/pass" >/dev/null
t1=$(now); a1=$(cpu_of "$pid_a")
create=$(elapsed "$t0" "$t1")
create_cli=$(cpu_timed); create_server=$(elapsed "$a0" "$a1")

# Phases of a create, each measured on its own: the CLI's JVM start (keyturn --version), the
# server's stream alone (curl to /dev/null: listing, audit records, decrypting each value, HTTP),
# and OpenPGP encryption of the same document alone (the CLI's remaining work is that plus checks).
t0=$(now); "$repo/bin/keyturn" --version >/dev/null; t1=$(now)
jvm=$(elapsed "$t0" "$t1")
t0=$(now)
curl -sf -X POST -H "Authorization: Bearer $(cat "$work/a/keyturn-data/root.token")" \
  "$(cat "$work/a/addr")/v1/backups" -o /dev/null
t1=$(now)
stream=$(elapsed "$t0" "$t1")

t0=$(now)
timed bash -c 'sqlite3 "$1/a/keyturn-data/keyturn.db" ".backup '"'"'$1/floor.db'"'"'" &&
  gpg --batch --quiet --pinentry-mode loopback --passphrase-file "$1/pass" --symmetric \
    --cipher-algo AES256 -o "$1/floor.db.gpg" < "$1/floor.db"' floor "$work"
t1=$(now)
floor=$(elapsed "$t0" "$t1"); floor_cpu=$(cpu_timed)
rm -f "$work/floor.db"

t0=$(now); b0=$(cpu_of "$pid_b")
timed env KEYTURN_ADDR="$(cat "$work/b/addr")" KEYTURN_TOKEN_FILE="$work/b/keyturn-data/root.token" \
  "$repo/bin/keyturn" backup restore "$work/backup.pgp" --passphrase-file "$work/pass" >/dev/null
t1=$(now); b1=$(cpu_of "$pid_b")
restore=$(elapsed "$t0" "$t1")
restore_cli=$(cpu_timed); restore_server=$(elapsed "$b0" "$b1")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

restored=$(kt b backup create --out "$work/check.pgp" --passphrase-file "$work/pass" | grep -o '[0-9]* secrets')
echo "command: bench/backup.sh $count"
echo "secrets: $count of 64 bytes; backup file $(stat -c %s "$work/backup.pgp") bytes; floor file $(stat -c %s "$work/floor.db.gpg") bytes"
echo "backup create: ${create} s   (floor sqlite3 .backup | gpg --symmetric: ${floor} s; ratio $(python3 -c "print(f'{$create / $floor:.1f}')")x; goal <= 2x and < 10 s)"
echo "  phases, each alone: CLI JVM start ${jvm} s; server stream to curl ${stream} s (list, audit, decrypt, HTTP); the rest of create (download, checks, OpenPGP, write) about $(python3 -c "print(f'{$create - $stream - $jvm:.2f}')") s"
echo "  CPU (user+sys): create: CLI ${create_cli} s, server ${create_server} s; floor (sqlite3 and gpg) ${floor_cpu} s"
echo "backup restore into an empty server: ${restore} s   (goal < 30 s); the new server holds ${restored}"
echo "  CPU (user+sys): restore: CLI ${restore_cli} s, server ${restore_server} s"
echo "load average before: $load_before; after: $load_after ($(nproc) cores)"
