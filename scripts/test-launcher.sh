#!/usr/bin/env bash
# Tests bin/keyturn without Maven or a JVM: a copy of the launcher in a temporary tree, a fake
# JDK whose `java` records its arguments, and a fake mvnw that "builds" a jar. Checks that a stale
# jar is rebuilt (also after a source was edited during the build) and its AOT cache made again,
# that the cache is passed only on the JDK that made it, and which JVM flags each kind of command
# gets. Exits non-zero on the first failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

mkdir -p "$t/root/bin" "$t/root/.mvn" "$t/root/app/src/main" "$t/root/app/target" "$t/jdk/bin"
cp "$repo/bin/keyturn" "$t/root/bin/keyturn"
cp "$repo/.mvn/find-jdk.sh" "$repo/.mvn/server-flags.sh" "$t/root/.mvn/"
echo '<project/>' > "$t/root/pom.xml"
echo '<project/>' > "$t/root/app/pom.xml"
echo 'class A {}' > "$t/root/app/src/main/A.java"
cat > "$t/root/mvnw" <<'SH'
#!/bin/sh
echo "build $(date +%s%N)" > app/target/keyturn.jar
echo built >> "$BUILDS"
# A source edited while the build runs.
if [ -n "${EDIT_DURING_BUILD-}" ]; then sleep 1.1; touch "$EDIT_DURING_BUILD"; fi
SH
cat > "$t/jdk/bin/java" <<'SH'
#!/bin/sh
# Records the arguments; a training run (AOTCacheOutput) writes the cache file.
for a in "$@"; do
  case $a in -XX:AOTCacheOutput=*) echo cache > "${a#-XX:AOTCacheOutput=}" ;; esac
done
echo "$*" > "$CALLS"
echo "${MALLOC_ARENA_MAX-}" > "$CALLS.malloc"
SH
cp "$t/jdk/bin/java" "$t/jdk/bin/javac"
chmod +x "$t/root/mvnw" "$t/jdk/bin/java" "$t/jdk/bin/javac"
echo 'JAVA_VERSION="25.0.3"' > "$t/jdk/release"
export JAVA_HOME="$t/jdk" BUILDS="$t/builds" CALLS="$t/calls"
unset MALLOC_ARENA_MAX
: > "$BUILDS"
kt() { "$t/root/bin/keyturn" "$@" 2>/dev/null; }
fail() { echo "FAIL: $*" >&2; exit 1; }
builds() { wc -l < "$BUILDS" | tr -d ' '; }
jar="$t/root/target/bin/keyturn.jar"
aot="$t/root/target/bin/keyturn.aot"

kt get app/x
[ "$(builds)" = 1 ] || fail "first run builds the jar"
[ -f "$aot" ] && [ "$(cat "$aot.jdk")" = "$JAVA_HOME" ] || fail "first run makes the AOT cache for this JDK"
grep -q -- "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -XX:AOTCache=$aot" "$CALLS" || fail "get: short flags and the cache: $(cat "$CALLS")"
grep -q -- "-jar $jar get app/x" "$CALLS" || fail "get runs the jar"
[ -z "$(cat "$CALLS.malloc")" ] || fail "get: the malloc setting is the server's alone"

kt ls
[ "$(builds)" = 1 ] || fail "a fresh jar is not rebuilt"

sleep 1.1; touch "$t/root/app/src/main/A.java"
echo old-cache > "$aot"
kt status
[ "$(builds)" = 2 ] || fail "a source newer than the jar rebuilds it"
[ "$(cat "$aot")" = cache ] || fail "a rebuild trains a new AOT cache"

sleep 1.1; touch "$t/root/app/src/main/A.java"
EDIT_DURING_BUILD="$t/root/app/src/main/A.java" kt ls
[ "$(builds)" = 3 ] || fail "a stale jar is rebuilt"
kt ls
[ "$(builds)" = 4 ] || fail "a source edited during the build rebuilds the jar at the next run"
kt ls
[ "$(builds)" = 4 ] || fail "then the jar is fresh"

echo /some/other/jdk > "$aot.jdk"
kt get app/x
grep -q -- "AOTCache" "$CALLS" && fail "a cache made by another JDK is not passed: $(cat "$CALLS")"
printf '%s\n' "$JAVA_HOME" > "$aot.jdk"

KEYTURN_JAVA_OPTS=-Xmx1g kt server --data d
grep -q -- "-XX:+UseSerialGC -Xms8m -Xmx128m" "$CALLS" || fail "server: memory defaults: $(cat "$CALLS")"
grep -q -- "-XX:CompileThresholdScaling=4" "$CALLS" || fail "server: later compilation: $(cat "$CALLS")"
[ "$(cat "$CALLS.malloc")" = 2 ] || fail "server: two malloc arenas"
grep -q -- "TieredStopAtLevel\|AOTCache" "$CALLS" && fail "server: optimizing compiler, no CLI cache"
grep -q -- "-XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=2000 -Xmx1g -jar" "$CALLS" \
  || fail "server: JDK 25 flags, then KEYTURN_JAVA_OPTS last: $(cat "$CALLS")"
echo 'JAVA_VERSION="21.0.5"' > "$t/jdk/release"
kt server
grep -q -- "UseCompactObjectHeaders" "$CALLS" && fail "server on JDK 21: no JDK 25 flags"
echo 'JAVA_VERSION="25.0.3"' > "$t/jdk/release"

for long in agent scan backup operator; do
  kt "$long" x
  grep -q -- "TieredStopAtLevel" "$CALLS" && fail "$long: optimizing compiler"
done
kt run --watch -- true
grep -q -- "TieredStopAtLevel" "$CALLS" && fail "run --watch: optimizing compiler"
kt run --path p --watch=1 -- true
grep -q -- "TieredStopAtLevel" "$CALLS" && fail "run --watch=...: optimizing compiler"
kt run --path p -- sh -c 'x --watch'
grep -q -- "TieredStopAtLevel=1" "$CALLS" || fail "run: --watch after -- is CMD's, short flags"
kt render --path p --format json
grep -q -- "TieredStopAtLevel=1" "$CALLS" || fail "render: short flags"
for short in generate put rotate --help; do
  kt "$short"
  grep -q -- "TieredStopAtLevel=1" "$CALLS" || fail "$short: short flags"
done
echo "launcher: all checks passed"
