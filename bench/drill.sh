#!/usr/bin/env bash
# The time of `keyturn backup drill` (issue 17 item 3) of a backup of N secrets of 64 bytes
# (default 10,000): decrypt and check, restore into a throwaway SQLite store, fetch the live
# server's keyed digests, compare. Beside it, the time of `backup create` of the same secrets.
#
# The secrets are put into the server by restoring a document made here (values are 64 random hex
# characters, never on disk: python3 writes the document to the CLI's standard input). The server
# listens on a free port, never 8270. No goal is set; the figures show what a drill costs.
# Usage: bench/drill.sh [SECRETS]   (default 10000)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
count=${1:-10000}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

"$repo/bin/keyturn" --version >/dev/null  # builds the jar once, outside the timings
port=$(free_port)
mkdir -p "$work/a"
(cd "$work/a" && KEYTURN_LISTEN=127.0.0.1:$port exec "$repo/bin/keyturn" server > server.log 2>&1) &
pids+=($!)
export KEYTURN_ADDR=http://127.0.0.1:$port
for _ in $(seq 1 120); do curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && break; sleep 0.5; done
export KEYTURN_TOKEN_FILE="$work/a/keyturn-data/root.token"
export TMPDIR="$work"
printf '%s\n' "bench passphrase, not a secret" > "$work/pass"

python3 "$repo/bench/backup-document.py" "$count" | "$repo/bin/keyturn" backup restore - >/dev/null

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(now)
"$repo/bin/keyturn" backup create --out "$work/backup.pgp" --passphrase-file "$work/pass" >/dev/null
t1=$(now)
create=$(elapsed "$t0" "$t1")

t0=$(now)
"$repo/bin/keyturn" backup drill "$work/backup.pgp" --passphrase-file "$work/pass" > "$work/drill.out"
t1=$(now)
drill=$(elapsed "$t0" "$t1")
tail -n 1 "$work/drill.out" | grep -q 'exactly what is live' || { cat "$work/drill.out" >&2; exit 1; }
[ -z "$(find "$work" -maxdepth 1 -name 'keyturn-drill-*')" ] || { echo "drill bench: the drill left its folder" >&2; exit 1; }

echo "secrets: $count (64-byte values)"
echo "backup create: ${create} s"
echo "backup drill: ${drill} s"
echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: bench/drill.sh $count"
