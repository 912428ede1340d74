# Sourced by ./mvnw, bin/keyturn and .ci/run: sets JAVA_HOME to a JDK 21 or newer.
# Looks at JAVA_HOME, then the java on PATH, then /usr/lib/jvm/*; reads each JDK's
# `release` file instead of starting a JVM, so the check costs a few milliseconds.

keyturn_jdk_major() {
  # Prints the feature version of the JDK at $1 (e.g. 25), or nothing.
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -r "$1/release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1
}

keyturn_find_jdk() {
  _kt_best="" _kt_best_major=0
  if [ -n "${JAVA_HOME-}" ]; then
    _kt_major=$(keyturn_jdk_major "$JAVA_HOME")
    if [ "${_kt_major:-0}" -ge 21 ]; then return 0; fi
  fi
  _kt_java=$(command -v java 2>/dev/null || true)
  if [ -n "$_kt_java" ]; then
    _kt_home=$(dirname "$(dirname "$(readlink -f "$_kt_java")")")
    _kt_major=$(keyturn_jdk_major "$_kt_home")
    if [ "${_kt_major:-0}" -ge 21 ]; then JAVA_HOME=$_kt_home; export JAVA_HOME; return 0; fi
  fi
  for _kt_home in /usr/lib/jvm/*; do
    [ -d "$_kt_home" ] || continue
    _kt_major=$(keyturn_jdk_major "$_kt_home")
    if [ "${_kt_major:-0}" -gt "$_kt_best_major" ]; then _kt_best=$_kt_home; _kt_best_major=$_kt_major; fi
  done
  if [ "$_kt_best_major" -ge 21 ]; then JAVA_HOME=$_kt_best; export JAVA_HOME; return 0; fi
  echo "keyturn: needs a JDK 21 or newer, and found none (looked at JAVA_HOME, PATH and /usr/lib/jvm)." >&2
  echo "keyturn: install one, e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+, or set JAVA_HOME to it." >&2
  return 1
}
