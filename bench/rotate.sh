#!/usr/bin/env bash
# Rotations per second for 10,000 secrets with target `none` on SQLite (audited, each step
# persisted), run as the server runs them: every rule is due and the server's scheduler starts and
# steps the rotations with its own workers. Usage: bench/rotate.sh [SECRETS] [WORKERS] [PASSES]
# (WORKERS defaults to the server's). Pass 1 rotates every secret in a fresh JVM (C2 compiling
# beside it); pass 2 moves the clock 100 days on and rotates the same secrets again in the same
# process, as a server that has been running would. Both are printed. The JVM runs with the
# server's flags (.mvn/server-flags.sh: serial GC, 128 MB heap, later compilation), and the store
# with its integrity protection on (a MAC and a generation per row), as in a server.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
. .mvn/server-flags.sh
keyturn_server_flags
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
echo "command: bench/rotate.sh $* (dev.keyturn.server.RotateBench)"
echo "jvm: $server_flags"
MALLOC_ARENA_MAX=2 "$JAVA_HOME/bin/java" $server_flags -cp bench/target/benchmarks.jar dev.keyturn.server.RotateBench "$@"
