#!/usr/bin/env bash
# The scheduler's due-secrets query on SQLite with 1,000,000 rules (loaded through the store, with
# row MACs and generations, which the query checks): median time of the query.
# Usage: bench/due.sh [RULES] [RUNS]. Loading a million rules takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
echo "command: bench/due.sh ${1:-1000000} ${2:-15} (dev.keyturn.bench.DueBenchmark); load: $(uptime)"
"$JAVA_HOME/bin/java" -Xmx2g -cp bench/target/benchmarks.jar dev.keyturn.bench.DueBenchmark \
  "${1:-1000000}" "${2:-15}"
echo "load after: $(uptime)"
