#!/usr/bin/env bash
# Median wall time of `bin/keyturn generate hex:32` over 20 runs after a warm-up (hyperfine),
# launcher included. Goal: 100 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
bin/keyturn generate hex:1 >/dev/null   # builds the jar (and the AOT cache) if needed
out=$(mktemp)
trap 'rm -f "$out"' EXIT
hyperfine -N --warmup 5 --runs 20 --export-json "$out" 'bin/keyturn generate hex:32' >/dev/null
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("command: bench/cli-start.sh (hyperfine -N --warmup 5 --runs 20 'bin/keyturn generate hex:32')")
print(f"median {r['median']*1000:.1f} ms   mean {r['mean']*1000:.1f} ms   min {r['min']*1000:.1f} ms   max {r['max']*1000:.1f} ms   (goal 100 ms)")
PY
