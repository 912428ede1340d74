#!/usr/bin/env bash
# Durable audit appends per second with group commit on the embedded store (SQLite, WAL,
# synchronous=FULL): 64 threads, each appending one record and waiting until it is on disk.
# Goal: at least 20,000 a second.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar AuditAppendBenchmark -rf json -rff "$out" >/dev/null
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))[0]["primaryMetric"]
print("command: bench/audit.sh (JMH AuditAppendBenchmark, 64 threads, 5 x 3 s after 2 x 3 s warm-up)")
print(f"durable audit appends: {r['score']:.0f} /s  (99.9% interval {r['scoreConfidence'][0]:.0f} .. {r['scoreConfidence'][1]:.0f}; goal 20000)")
PY
