#!/usr/bin/env bash
# Rotations per second for 10,000 secrets with target `none` on SQLite (audited, each step
# persisted), run as the server runs them: every rule is due and the server's scheduler starts and
# steps the rotations with its own workers. Usage: bench/rotate.sh [SECRETS] [WORKERS] [PASSES]
# (WORKERS defaults to the server's). Pass 1 rotates every secret in a fresh JVM (C2 compiling
# beside it); pass 2 moves the clock 100 days on and rotates the same secrets again in the same
# process, as a server that has been running would. Both are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
echo "command: bench/rotate.sh $* (dev.keyturn.server.RotateBench)"
"$JAVA_HOME/bin/java" -cp bench/target/benchmarks.jar dev.keyturn.server.RotateBench "$@"
