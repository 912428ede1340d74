# Sourced by bin/keyturn and the bench scripts that start a server: the server's JVM flags, in one
# place so that a bench measures the server as the launcher starts it. Call keyturn_find_jdk first.
#
# Sized for a secrets server (docs/performance.md): the serial GC with a small heap that gives
# memory back after a collection, smaller thread stacks and code cache, two malloc arenas, methods
# compiled after four times the JDK's invocation counts (start-up code, run once, then stays
# interpreted; the request path is hot within seconds either way), and on JDK 25 compact object
# headers and a periodic trim of the C heap (about 97 MB resident at idle, under 256 MB under
# load). The launcher puts KEYTURN_JAVA_OPTS after them, so any of them can be changed.

keyturn_server_flags() {
  # Sets server_flags for the JDK at $JAVA_HOME. The server also runs with MALLOC_ARENA_MAX=2
  # (two malloc arenas), which the caller sets on the server's command alone.
  server_flags="-XX:+UseSerialGC -Xms8m -Xmx128m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
  server_flags="$server_flags -Xss512k -XX:ReservedCodeCacheSize=48m -XX:MaxMetaspaceSize=128m"
  server_flags="$server_flags -XX:CompileThresholdScaling=4 -XX:-UsePerfData"
  keyturn_jdk_major "$JAVA_HOME"
  if [ "$_kt_major" -ge 25 ]; then
    server_flags="$server_flags -XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=2000"
  fi
}
