#!/usr/bin/env bash
# Compares how fast the server refuses a token that shares all but its last character with the
# real root token, against random tokens (median over 4,000 tries each, after a warm-up).
# Prints both medians and their ratio; fails if the ratio leaves 0.85-1.15.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "command: $0  (./mvnw -pl server -am test -Dkeyturn.excludedGroups= -Dgroups=timing -Dtest=TokenTimingTest)"
./mvnw -B -q -ntp -pl server -am test -Dspotless.check.skip=true -Dkeyturn.excludedGroups= -Dgroups=timing \
  -Dtest=TokenTimingTest -Dsurefire.failIfNoSpecifiedTests=false 2>&1 | grep -E "token refusal|FAIL|ERROR\]" || true
grep -h "token refusal" server/target/surefire-reports/*TokenTimingTest-output.txt 2>/dev/null || true
