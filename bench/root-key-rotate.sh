#!/usr/bin/env bash
# Root key rotation of 100,000 secrets with SIGKILL at random moments and restarts (issue 17):
#   1. a server holding SECRETS secrets of 64 bytes (put in by restoring a document made here, as
#      bench/backup.sh does) rotates its root key once, undisturbed: wall time, and the server's CPU
#      time (user+sys from /proc) spent on it;
#   2. KILLS times: a rotation started (unless one is running), SIGKILL of the server JVM at a
#      random moment within that wall time, restart (a recorded rotation resumes by itself);
#      then one more `keyturn root-key rotate`, waited for;
#   3. then, once the last rotation has ended: every data key and the metadata key are wrapped by
#      the key in force (read from the SQLite file), `audit verify` passes, the old key files are
#      deleted, the server restarts, `audit verify` passes again and a backup of every secret
#      (which decrypts each value) holds exactly the values put in.
# Servers listen on free ports, never 8270. Usage: bench/root-key-rotate.sh [SECRETS] [KILLS]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
count=${1:-100000}
kills=${2:-5}
work=$(mktemp -d)
pid=""
cleanup() {
  status=$?
  if [ "$status" -ne 0 ] && [ -f "$work/a/server.log" ]; then
    echo "--- server.log (errors, then last lines)" >&2
    grep -E '(Exception|Error)(:| )' "$work/a/server.log" | grep -v '^\s*at ' | head -n 5 >&2 || true
    grep -v ' access ' "$work/a/server.log" | tail -n 8 >&2 || true
  fi
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "root-key-rotate bench: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }
cpu() { # user+sys seconds of process $1
  python3 -c "import os; f=open('/proc/$1/stat').read().rsplit(')',1)[1].split(); t=os.sysconf('SC_CLK_TCK'); print((int(f[11])+int(f[12]))/t)"
}

"$repo/bin/keyturn" --version >/dev/null  # builds the jar once, outside the timings
mkdir -p "$work/a"
port=$(free_port)
addr=http://127.0.0.1:$port
data="$work/a/keyturn-data"
start() { # the server, its JVM's pid in $pid (bin/keyturn execs java)
  (cd "$work/a" && KEYTURN_LISTEN=127.0.0.1:$port exec "$repo/bin/keyturn" server >> server.log 2>&1) &
  pid=$!
  for _ in $(seq 1 240); do curl -s -o /dev/null "$addr/v1/health" && return 0; sleep 0.25; done
  fail "the server did not start"
}
kt() { KEYTURN_ADDR=$addr KEYTURN_TOKEN_FILE="$data/root.token" "$repo/bin/keyturn" "$@"; }
api() { curl -s -X "$1" -H "Authorization: Bearer $(cat "$data/root.token")" "$addr$2"; }
state() { api GET /v1/root-key | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["state"], d["root_key_id"])'; }
await_end() { for _ in $(seq 1 6000); do read -r st key < <(state); [ "$st" = rotating ] || return 0; sleep 0.1; done; }
start

python3 - "$count" "$work/values.json" <<'PY' | kt backup restore - >/dev/null
import hashlib, json, secrets, sys
n = int(sys.argv[1])
out = sys.stdout
digests = {}
out.write('{"format":"keyturn-backup","format_version":1,"created_at":"2026-11-28T00:00:00Z",'
          '"server_id":"bench","root_key_id":"bench","audit_checkpoint":null,"prefix":"","secrets":[')
for i in range(n):
    value = secrets.token_hex(32)
    sha = hashlib.sha256(value.encode()).hexdigest()
    name = f"bench/app{i // 1000:03d}/S{i:06d}"
    digests[name] = sha
    out.write(("," if i else "") + json.dumps({
        "name": name, "rule": None,
        "versions": [{"version": 1, "stage": "current", "type": "string",
                      "created_at": "2026-11-28T00:00:00Z", "created_by": "bench",
                      "accept_until": None, "value": value, "sha256": sha}]},
        separators=(",", ":")))
out.write('],"secret_count":%d}' % n)
json.dump(digests, open(sys.argv[2], "w"))  # SHA-256 of each value, never a value
PY

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# Timed through the API (POST, then GET until it ends), so that no CLI start-up is counted.
c0=$(cpu "$pid"); t0=$(now)
api POST /v1/root-key/rotate >/dev/null
await_end
t1=$(now); c1=$(cpu "$pid")
[ "$st" = idle ] || fail "the timed rotation ended $st"
wall=$(elapsed "$t0" "$t1")
server_cpu=$(elapsed "$c0" "$c1")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

killed_rotating=0
for k in $(seq 1 "$kills"); do
  read -r st _ < <(state)
  if [ "$st" != rotating ]; then api POST /v1/root-key/rotate >/dev/null; fi
  sleep "$(python3 -c "import random; print(random.uniform(0, $wall * 1.1))")"
  read -r st _ < <(state)
  [ "$st" = rotating ] && killed_rotating=$((killed_rotating + 1))
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  start
done

kt root-key rotate --detach >/dev/null  # the CLI resumes a stopped rotation, or starts one more
await_end
[ "$st" = idle ] || fail "the rotation ended $st"
python3 - "$data/keyturn.db" "$key" <<'PY' || fail "a row is not wrapped by $key"
import base64, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
def wrapped_by(blob):
    return bytes(blob[2:2 + blob[1]]).decode()
rows = db.execute("SELECT data_key FROM secrets WHERE data_key IS NOT NULL").fetchall()
bad = [r for r in rows if wrapped_by(r[0]) != sys.argv[2]]
meta = db.execute("SELECT value FROM settings WHERE key = 'metadata-key'").fetchone()[0]
rotation = db.execute("SELECT COUNT(*) FROM settings WHERE key = 'root-key-rotation'").fetchone()[0]
print(f"rows: {len(rows)} data keys, {len(bad)} not wrapped by {sys.argv[2]}", file=sys.stderr)
sys.exit(1 if bad or wrapped_by(base64.b64decode(meta)) != sys.argv[2] or rotation else 0)
PY
kt audit verify >/dev/null || fail "audit verify failed"
rm -f "$data"/root.key.old-*
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
start
kt audit verify >/dev/null || fail "audit verify failed without the old key files"
printf '%s\n' "bench passphrase, not a secret" > "$work/pass"
kt backup create --out "$work/backup.pgp" --passphrase-file "$work/pass" >/dev/null
cat > "$work/same.py" <<'PY'
import hashlib, json, sys
want = json.load(open(sys.argv[1]))
doc = json.load(sys.stdin)
got = {s["name"]: hashlib.sha256(s["versions"][-1]["value"].encode()).hexdigest()
       for s in doc["secrets"] if s["name"].startswith("bench/")}
print(f"backup: {len(got)} secrets, {sum(got.get(n) == d for n, d in want.items())} as put in", file=sys.stderr)
sys.exit(0 if got == want else 1)
PY
# The decrypted document goes through a pipe only, never to disk.
gpg --batch --quiet --pinentry-mode loopback --passphrase-file "$work/pass" --decrypt "$work/backup.pgp" |
  python3 "$work/same.py" "$work/values.json" || fail "a secret does not read back"

echo "root key rotation of $count secrets: ${wall} s wall, ${server_cpu} s server CPU (user+sys)"
echo "then $kills SIGKILLs at random moments ($killed_rotating during a running rotation), restarts resuming:"
echo "  every data key and the metadata key wrapped by $key, audit verify passes (also without the"
echo "  old key files), a backup of every secret holds exactly the values put in"
echo "load before: $load_before; after the timed rotation: $load_after; $(nproc) cores"
echo "command: bench/root-key-rotate.sh $count $kills"
