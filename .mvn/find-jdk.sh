# Sourced by ./mvnw, bin/keyturn, .ci/run and the bench scripts: sets JAVA_HOME to a JDK 21 or
# newer.
# Looks at JAVA_HOME, then the java on PATH, then /usr/lib/jvm/*; reads each JDK's
# `release` file with shell builtins instead of starting a JVM or helper processes, so the
# check costs about a millisecond (the CLI's start-up time depends on it).

keyturn_jdk_major() {
  # Sets _kt_major to the feature version of the JDK at $1 (e.g. 25), or 0.
  _kt_major=0
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -r "$1/release" ] || return 0
  while IFS= read -r _kt_line || [ -n "$_kt_line" ]; do
    case $_kt_line in
      JAVA_VERSION=*)
        _kt_v=${_kt_line#JAVA_VERSION=\"}
        _kt_v=${_kt_v%%[!0-9]*}
        _kt_major=${_kt_v:-0}
        return 0
        ;;
    esac
  done < "$1/release"
}

keyturn_find_jdk() {
  _kt_best="" _kt_best_major=0
  if [ -n "${JAVA_HOME-}" ]; then
    keyturn_jdk_major "$JAVA_HOME"
    if [ "$_kt_major" -ge 21 ]; then return 0; fi
  fi
  _kt_java=$(command -v java 2>/dev/null || true)
  if [ -n "$_kt_java" ]; then
    _kt_home=$(readlink -f "$_kt_java")
    _kt_home=${_kt_home%/bin/java}
    keyturn_jdk_major "$_kt_home"
    if [ "$_kt_major" -ge 21 ]; then JAVA_HOME=$_kt_home; export JAVA_HOME; return 0; fi
  fi
  for _kt_home in /usr/lib/jvm/*; do
    [ -d "$_kt_home" ] || continue
    keyturn_jdk_major "$_kt_home"
    if [ "$_kt_major" -gt "$_kt_best_major" ]; then _kt_best=$_kt_home; _kt_best_major=$_kt_major; fi
  done
  if [ "$_kt_best_major" -ge 21 ]; then JAVA_HOME=$_kt_best; export JAVA_HOME; return 0; fi
  echo "keyturn: needs a JDK 21 or newer, and found none (looked at JAVA_HOME, PATH and /usr/lib/jvm)." >&2
  echo "keyturn: install one, e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+, or set JAVA_HOME to it." >&2
  return 1
}
