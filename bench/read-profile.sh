#!/usr/bin/env bash
# Where the time of an audited read goes: the server as bin/keyturn starts it, on SQLite, under
# bench/read.sh's load (wrk -t2 -c64, one scoped read token, every read audited durably), after a
# 20 s warm-up. Four windows, one tool each, so that no tool distorts another's figures:
#   1. 10 s: CPU per thread (from /proc/PID/task/*/stat), grouped by thread name, and the rate;
#   2. 10 s: JFR (settings=profile): hot Java methods, with the thread each sample ran on;
#   3.  5 s: strace -c -f: system calls per read;
#   4. 10 s: perf record -g (with -XX:+PreserveFramePointer): the whole process, kernel included,
#      by shared object.
# Writes its raw files to OUT (default a new folder under /tmp) and prints a summary.
# Needs wrk, strace and perf (linux-perf), and JDK 25 as the launcher finds it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
out=${1:-$(mktemp -d /tmp/read-profile.XXXXXX)}
mkdir -p "$out"
port=${KT_PORT:-18295}
connections=${CONNECTIONS:-64}
. "$repo/.mvn/find-jdk.sh"
keyturn_find_jdk
work=$(mktemp -d)
cleanup() {
  set +e
  [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$repo/bin/keyturn" generate hex:1 >/dev/null   # builds the jar if needed
KEYTURN_JAVA_OPTS="-XX:+PreserveFramePointer ${KEYTURN_JAVA_OPTS-}" \
  "$repo/bin/keyturn" server --data "$work/data" --listen "127.0.0.1:$port" \
  --max-requests-per-client $((connections * 2)) >"$out/server.log" 2>&1 &
pid=$!
addr="http://127.0.0.1:$port"
for _ in $(seq 1 120); do curl -s -o /dev/null "$addr/v1/health" && break; sleep 0.5; done
root="$work/data/root.token"
KEYTURN_ADDR=$addr KEYTURN_TOKEN_FILE=$root "$repo/bin/keyturn" put bench/read/API_KEY \
  --generate hex:32 >/dev/null
token=$(KEYTURN_ADDR=$addr KEYTURN_TOKEN_FILE=$root "$repo/bin/keyturn" token create \
  --allow 'read:bench/read/*' --name bench 2>/dev/null)
url="$addr/v1/secrets/bench/read/API_KEY"
# The server's pid is the launcher's (it execs java).
java_pid=$pid

echo "command: $0 $out (wrk -t2 -c$connections, 20 s warm-up, then the windows below)"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t2 -c"$connections" -d20s -H "Authorization: Bearer $token" "$url" >/dev/null
wrk -t2 -c"$connections" -d75s -H "Authorization: Bearer $token" "$url" >"$out/wrk.out" &
wrk_pid=$!
sleep 1

# The audit head counts every record: reads in a window are its growth.
head_count() {
  KEYTURN_ADDR=$addr KEYTURN_TOKEN_FILE=$root "$repo/bin/keyturn" audit checkpoint | cut -d: -f1
}
threads() { # NAME TICKS for every thread of the server
  for t in /proc/"$java_pid"/task/*; do
    # comm may hold spaces: the fields after the closing parenthesis are counted from it.
    awk -v name="$(cat "$t/comm")" '{ sub(/^.*\) /, ""); print name "\t" ($12 + $13) }' "$t/stat"
  done 2>/dev/null
}

# 1. CPU per thread.
threads >"$work/t0"
r0=$(head_count)
s0=$(date +%s%N)
sleep 10
threads >"$work/t1"
r1=$(head_count)
s1=$(date +%s%N)
reads=$((r1 - r0 - 1))   # the second checkpoint's own record is not a read
hz=$(getconf CLK_TCK)
secs=$(awk -v a="$s0" -v b="$s1" 'BEGIN { print (b - a) / 1e9 }')
awk -v hz="$hz" -v n="$reads" -v s="$secs" -F'\t' '
  # Thread names lose their number, so that a pool counts as one line.
  function group(name) { gsub(/[-_ ]?[0-9]+$/, "", name); gsub(/[0-9]+/, "#", name); return name }
  NR == FNR { before[$1 FS NR] = $2; seen[$1] += 0; first[$1] += $2; next }
  { last[$1] += $2; seen[$1] += 0 }
  END {
    for (name in seen) { g = group(name); cpu[g] += last[name] - first[name] }
    for (g in cpu) total += cpu[g]
    printf "window 1: %d reads in %.1f s (%.0f/s), server CPU %.0f ms/s, %.1f us per read\n",
      n, s, n / s, total * 1000 / hz / s, total * 1e6 / hz / n
    for (g in cpu) if (cpu[g] > 0)
      printf "  %-34s %6.1f %%   %6.1f us/read\n", g, cpu[g] * 100 / total, cpu[g] * 1e6 / hz / n
  }' "$work/t0" "$work/t1" | sort -t% -k1,1 -r >"$out/threads.txt"
cat "$out/threads.txt"

# 2. JFR.
"$JAVA_HOME/bin/jcmd" "$java_pid" JFR.start name=read settings=profile duration=10s \
  filename="$out/read.jfr" >/dev/null
sleep 11
for _ in $(seq 1 20); do [ -s "$out/read.jfr" ] && break; sleep 0.5; done
"$JAVA_HOME/bin/jfr" print --events jdk.ExecutionSample "$out/read.jfr" >"$work/samples.txt"
echo "window 2: JFR execution samples by thread (top 8) and by top frame (top 25)"
awk '/sampledThread = / { t = $0; sub(/.*= "/, "", t); sub(/".*/, "", t); gsub(/[0-9]+/, "#", t) }
     /stackTrace = \[/ { getline; f = $0; sub(/^ +/, "", f); sub(/ +line:.*/, "", f); by[t]++; top[f]++; n++ }
     END { for (t in by) printf "T %5.1f %%  %s\n", by[t] * 100 / n, t
           for (f in top) printf "F %5.1f %%  %s\n", top[f] * 100 / n, f }' "$work/samples.txt" \
  | sort -k2 -n -r >"$work/jfr.txt"
grep '^T' "$work/jfr.txt" | head -8 | tee "$out/jfr-threads.txt"
grep '^F' "$work/jfr.txt" | head -25 | tee "$out/jfr-frames.txt"

# 3. System calls.
r0=$(head_count)
timeout -s INT 5 strace -c -f -p "$java_pid" -o "$out/strace.txt" >/dev/null 2>&1 || true
r1=$(head_count)
reads=$((r1 - r0 - 1))
echo "window 3: system calls per read ($reads reads under strace)"
awk -v n="$reads" '$1 ~ /^[0-9.]+$/ && NF >= 5 { name = $NF; calls = $4; if (NF == 5) calls = $4;
     printf "  %-16s %6.2f per read  (%s %% of syscall time)\n", name, calls / n, $1 }' \
  "$out/strace.txt" | sort -k2 -n -r | head -14

# 4. perf, the whole process, kernel included. The JIT's symbols come from the JVM's perf map
# (jcmd Compiler.perfmap, written while it runs); each sample is charged to its thread and to what
# its innermost frame belongs to.
perf record -F 499 -g -p "$java_pid" -o "$out/perf.data" -- sleep 10 >/dev/null 2>&1 || true
"$JAVA_HOME/bin/jcmd" "$java_pid" Compiler.perfmap >/dev/null 2>&1 || true
perf script -i "$out/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null >"$work/perf.txt" || true
echo "window 4: perf samples by thread, and by what the innermost frame belongs to"
awk '
  function kind(sym, dso) {
    if (dso ~ /kernel/) {
      if (sym ~ /sched|switch|futex|wake|idle|pick_next|enqueue|dequeue|try_to_wake|update_curr|raw_spin/) return "kernel: scheduling, futex"
      if (sym ~ /tcp|ip_|sk_|sock|skb|net|loopback|inet/) return "kernel: TCP loopback"
      return "kernel: other (syscalls, files, memory)"
    }
    if (dso ~ /sqlite/) return "SQLite (native)"
    if (dso ~ /libc/) return "libc"
    if (dso ~ /libjvm/) {
      if (sym ~ /Compile|C2|Phase|Node|Matcher|PhaseIdeal|ConnectionGraph|Parse|LinearScan|IndexSet|Chaitin|Loop/) return "JVM: JIT compiler"
      if (sym ~ /GC|Card|Oop|oop|Mark|Scavenge|Serial|Tenured|DefNew|Weak|ClassLoaderDataGraph|Heap/) return "JVM: GC"
      if (sym ~ /Park|park|Monitor|Mutex/) return "JVM: parking, locks"
      return "JVM: other"
    }
    if (sym ~ /org\.eclipse\.jetty|Lorg\/eclipse\/jetty/) return "Java: Jetty"
    if (sym ~ /dev\.keyturn|Ldev\/keyturn/) return "Java: Keyturn"
    if (sym ~ /tools\.jackson|Ltools\/jackson/) return "Java: Jackson"
    if (sym ~ /ch\.qos|net\.logstash|org\.slf4j/) return "Java: logging"
    if (sym ~ /crypto|security|GHASH|AES|aes|ghash|sha|SHA/) return "Java: crypto, hashing"
    if (sym ~ /io\.micrometer/) return "Java: metrics"
    if (sym ~ /org\.sqlite/) return "Java: sqlite-jdbc"
    if (sym ~ /java\.|jdk\.|sun\./) return "Java: JDK"
    if (dso ~ /JIT|perf-|\[unknown\]/) return "Java: other JIT code, stubs"
    return "other: " dso
  }
  # A sample starts with "comm tid" and its frames follow, innermost first.
  /^[^ \t]/ {
    comm = $0; sub(/[ \t]+[0-9]+[ \t]*$/, "", comm); gsub(/[0-9]+/, "#", comm); fresh = 1; next
  }
  fresh && NF >= 2 {
    dso = $NF; sym = ""; for (i = 2; i < NF; i++) sym = sym $i " "
    k = kind(sym, dso); byk[k]++; byt[comm]++; n++; fresh = 0
  }
  END {
    for (t in byt) printf "T %5.1f %%  %s\n", byt[t] * 100 / n, t
    for (k in byk) printf "K %5.1f %%  %s\n", byk[k] * 100 / n, k
  }' "$work/perf.txt" | sort -k2 -n -r >"$out/perf-summary.txt"
grep '^T' "$out/perf-summary.txt" | head -10
grep '^K' "$out/perf-summary.txt"
echo "window 4: perf, top 30 symbols"
perf report -i "$out/perf.data" --no-children --sort sym --stdio 2>/dev/null \
  | awk '/^ +[0-9.]+%/' | head -30 | cut -c1-150 | tee "$out/perf-symbols.txt"
wait "$wrk_pid" || true
wrk_pid=
echo "wrk over all windows: $(awk '/^Requests\/sec/ {print $2}' "$out/wrk.out") req/s"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); raw files in $out"
