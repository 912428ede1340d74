#!/usr/bin/env bash
# Rotations per second for 10,000 secrets with target `none` on SQLite (audited, each step
# persisted). Usage: bench/rotate.sh [SECRETS] [THREADS] [PASSES]
# Pass 1 rotates every secret in a fresh JVM (C2 compiling beside it); pass 2 rotates the same
# secrets again in the same process, as a server that has been running would. Both are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
echo "command: bench/rotate.sh ${1:-10000} ${2:-8} ${3:-2} (dev.keyturn.bench.RotateBenchmark)"
"$JAVA_HOME/bin/java" -cp bench/target/benchmarks.jar dev.keyturn.bench.RotateBenchmark "${1:-10000}" "${2:-8}" "${3:-2}"
