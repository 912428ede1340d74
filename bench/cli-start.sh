#!/usr/bin/env bash
# Wall time of the CLI's common commands, launcher included (hyperfine): `generate hex:32` with no
# server, and `get`, `put --stdin`, `ls`, `status`, `keyring`, `hmac sign`, `fernet decrypt`,
# `--help`, `jwt sign` and `jwt verify` (ES256) against a real server on loopback
# (a throwaway data folder, a free port). Median of RUNS (15) runs after WARMUP (2) warm-ups each.
# Goals: 150 ms for the server commands and --help, 100 ms for generate. Prints the load average
# too: the machine is shared, so compare figures from one run. KEYTURN_CLI names another launcher
# to time instead of bin/keyturn (e.g. one running an older jar, for a before/after in one run).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd -P)
runs=${RUNS:-15}
cli=${KEYTURN_CLI:-bin/keyturn}
warmup=${WARMUP:-2}
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
bin/keyturn generate hex:1 >/dev/null   # builds the jar (and the AOT cache) if needed

work=$(mktemp -d)
cleanup() {
  set +e
  [ -n "${kt_pid:-}" ] && kill "$kt_pid" 2>/dev/null && wait "$kt_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bin/keyturn server --data "$work/data" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
kt_pid=$!
export KEYTURN_ADDR="http://127.0.0.1:$port" KEYTURN_TOKEN_FILE="$work/data/root.token"
for _ in $(seq 1 120); do curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && [ -s "$KEYTURN_TOKEN_FILE" ] && break; sleep 0.5; done
bin/keyturn put bench/cli/API_KEY --generate hex:32 >/dev/null
bin/keyturn put bench/cli/JWT_KEY --generate ec:p256 >/dev/null
bin/keyturn rotation set bench/cli/JWT_KEY --generate ec:p256 --grace 1d >/dev/null
printf 'a value\n' > "$work/value"
bin/keyturn put bench/cli/FERNET_KEY --generate fernet >/dev/null
bin/keyturn fernet encrypt bench/cli/FERNET_KEY --file "$work/value" > "$work/token"
bin/keyturn jwt sign bench/cli/JWT_KEY --claims '{}' > "$work/jwt"

echo "command: bench/cli-start.sh (hyperfine -N --warmup $warmup --runs $runs, $cli ..., server on 127.0.0.1)"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bench() { # bench LABEL GOAL-MS HYPERFINE-ARGS...
  local label=$1 goal=$2; shift 2
  hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$work/out.json" "$@" >/dev/null
  python3 - "$work/out.json" "$label" "$goal" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<22} median {r['median']*1000:6.1f} ms   mean {r['mean']*1000:6.1f} ms   "
      f"min {r['min']*1000:6.1f} ms   max {r['max']*1000:6.1f} ms   (goal {sys.argv[3]} ms)")
PY
}
bench "generate hex:32" 100 "$cli generate hex:32"
bench "get" 150 "$cli get bench/cli/API_KEY"
bench "put --stdin" 150 "sh -c '$cli put bench/cli/PUT --stdin < $work/value'"
bench "ls" 150 "$cli ls"
bench "status" 150 "$cli status"
bench "keyring" 150 "$cli keyring bench/cli/API_KEY"
bench "hmac sign --file" 150 "$cli hmac sign bench/cli/API_KEY --file $work/value"
bench "fernet decrypt --file" 150 "$cli fernet decrypt bench/cli/FERNET_KEY --file $work/token"
bench "--help" 150 "$cli --help"
bench "jwt sign (ES256)" 150 "$cli jwt sign bench/cli/JWT_KEY --claims {}"
bench "jwt verify (ES256)" 150 "sh -c '$cli jwt verify bench/cli/JWT_KEY < $work/jwt'"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
