#!/usr/bin/env bash
# What integrity protection adds to a server's start on SQLite: the store is opened and protected,
# which verifies the whole audit chain (every record's HMAC) to build the generation ledger.
# Prints the time for 100,000 and 1,000,000 audit records (override: SIZES="..."). Filling the
# 1,000,000-record store takes a minute or two before the timed starts.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
echo "command: bench/integrity-start.sh (dev.keyturn.bench.IntegrityStartBench ${SIZES:-100000 1000000})"
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" -cp bench/target/benchmarks.jar dev.keyturn.bench.IntegrityStartBench \
  ${SIZES:-100000 1000000}
