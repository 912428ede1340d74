#!/usr/bin/env bash
# Start-up cost of `keyturn run`: median wall time (hyperfine, 20 runs after a warm-up) of
#   bin/keyturn run --path bench/run -- true      (20 secrets, one bundle request)
# beside `bin/keyturn generate hex:32` and a bare `true`, against a server started here on
# 127.0.0.1:8272 in a fresh folder. Goal: run adds at most 100 ms over generate.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
"$repo/bin/keyturn" generate hex:1 >/dev/null   # builds the jar (and the AOT cache) if needed
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; wait "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
export KEYTURN_ADDR=http://127.0.0.1:8272
"$repo/bin/keyturn" server --listen 127.0.0.1:8272 > server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && break; sleep 0.5; done
for i in $(seq -w 1 20); do "$repo/bin/keyturn" put "bench/run/SECRET_$i" --generate hex:32 >/dev/null; done
"$repo/bin/keyturn" run --path bench/run -- sh -c 'test -n "$SECRET_20"'
hyperfine -N --warmup 5 --runs 20 --export-json out.json \
  'true' "$repo/bin/keyturn generate hex:32" "$repo/bin/keyturn run --path bench/run -- true" >/dev/null
python3 - out.json <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
print("command: bench/run-start.sh (hyperfine -N --warmup 5 --runs 20; 20 secrets under bench/run)")
for r in rs:
    print(f"  {r['median']*1000:7.1f} ms median  (min {r['min']*1000:.1f}, max {r['max']*1000:.1f})  {r['command'].split('/')[-1]}")
gen, run = rs[1]["median"], rs[2]["median"]
print(f"run adds {(run-gen)*1000:.1f} ms over generate (goal: at most 100 ms)")
PY
