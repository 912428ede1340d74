#!/usr/bin/env bash
# keyturn scan against ripgrep on the same files and values (issue 16): 1 GiB of generated
# source-like text (1,024 files of 1 MiB, fixed seed, read once so it is in the page cache), 1,000
# managed secrets of 8-64 characters (a tenth of them 8-15), 5 of them planted (one of 8
# characters, one inside a base64 blob at an odd offset). First keyturn scans the files without the
# plants (it must find nothing), then with them: wall time of `rg -j1 -uuu -F -c -f VALUES` (values
# in a temporary 0600 file) against `keyturn scan --threads 1 --no-patterns --encodings raw`, then
# both on 2 threads, each required to report exactly the 5 hits. Each is run 3 times; the best is
# kept. keyturn's time is the whole command: JVM start, the fingerprint request (1,000 versions
# digested and audited) and the scan. Goal: at least 2x ripgrep's rate at 1 thread.
#
# Usage: bench/scan.sh [WORKDIR]   (default: a temporary folder, removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
. .mvn/find-jdk.sh
keyturn_find_jdk
command -v rg >/dev/null || { echo "bench/scan.sh: ripgrep (rg) is needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/scan.sh: GNU time (/usr/bin/time) is needed" >&2; exit 1; }

work=${1:-$(mktemp -d)}
keep=${1:+yes}
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -f "$work/values"
  if [ -z "$keep" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -p "$work"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$repo/bin/keyturn" --version >/dev/null
"$repo/bin/keyturn" server --data "$work/data" --listen "127.0.0.1:$port" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 180); do
  curl -s -o /dev/null "http://127.0.0.1:$port/v1/health" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 1
done
export KEYTURN_ADDR="http://127.0.0.1:$port" KEYTURN_TOKEN_FILE="$work/data/root.token"

# The secrets (stored over HTTP: 1,000 JVM starts would take minutes), the values file for rg
# (0600), and the corpus with and without the plants. Values never reach a command line.
python3 - "$work" "$port" <<'PY'
import base64, json, os, random, sys, urllib.request
work, port = sys.argv[1], sys.argv[2]
token = open(os.path.join(work, "data", "root.token")).read().strip()
rnd = random.Random(20261128)
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.~!@#%^*"
values = []
for i in range(1000):
    n = rnd.randint(8, 15) if i % 10 == 0 else rnd.randint(16, 64)
    values.append("".join(rnd.choice(alphabet) for _ in range(n)))
values[0] = values[0][:8]  # the 8-character plant
for i, v in enumerate(values):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/secrets/bench/S{i:04d}", method="PUT",
        data=json.dumps({"value": v}).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
fd = os.open(os.path.join(work, "values"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    f.write("\n".join(values) + "\n")

words = ("def class return import from self if else elif for while in not and or None True False "
         "function const let var public private static final void int long string new this try "
         "catch throw async await yield lambda map filter reduce config value name id data list "
         "request response error result count index item key user token session handler").split()
def ident():
    return "_".join(rnd.choice(words) for _ in range(rnd.randint(1, 3)))
lines = []
for _ in range(50000):
    kind = rnd.random()
    indent = " " * (4 * rnd.randint(0, 3))
    if kind < 0.3:
        line = f"{indent}{ident()} = {ident()}({ident()}, {rnd.randint(0, 99999)})"
    elif kind < 0.5:
        line = f"{indent}if {ident()} {rnd.choice(['==', '!=', '<', '>='])} {rnd.randint(0, 512)}:"
    elif kind < 0.65:
        line = f'{indent}log.info("{" ".join(rnd.choice(words) for _ in range(rnd.randint(2, 8)))}")'
    elif kind < 0.75:
        line = f"{indent}# {' '.join(rnd.choice(words) for _ in range(rnd.randint(3, 12)))}"
    elif kind < 0.85:
        line = f"{indent}return {ident()}.{ident()}()"
    elif kind < 0.9:
        line = ""
    else:
        line = f"{indent}{ident()} = '{rnd.randbytes(rnd.randint(6, 24)).hex()}'"
    lines.append(line + "\n")
corpus = os.path.join(work, "corpus")
os.makedirs(corpus, exist_ok=True)
size = 1 << 20
plants = {17: 0, 211: 345, 512: 678, 777: 901, 1000: 999}  # file -> value index
for i in range(1024):
    out, n = [], 0
    while n < size:
        s = lines[rnd.randrange(len(lines))]
        out.append(s); n += len(s)
    data = "".join(out).encode()[:size]
    path = os.path.join(corpus, f"d{i % 32:02d}", f"f{i:04d}.py")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(data)
json.dump({str(k): v for k, v in plants.items()}, open(os.path.join(work, "plants.json"), "w"))
PY

corpus="$work/corpus"
plant() {
  python3 - "$work" <<'PY'
import base64, json, os, random, sys
work = sys.argv[1]
values = open(os.path.join(work, "values")).read().split("\n")
plants = json.load(open(os.path.join(work, "plants.json")))
rnd = random.Random(7)
for k, (f, v) in enumerate(sorted(plants.items())):
    f = int(f); value = values[v].encode()
    path = os.path.join(work, "corpus", f"d{f % 32:02d}", f"f{f:04d}.py")
    data = bytearray(open(path, "rb").read())
    at = 4096 * (k + 1) + 2 * k + 1  # odd offsets
    if k == 2:  # inside a base64 blob, at an odd offset in it
        blob = base64.b64encode(rnd.randbytes(300)).decode()
        text = ('CERT = "' + blob[:77] + value.decode() + blob[77:] + '"\n').encode()
    else:
        text = b"API_KEY = '" + value + b"'\n"
    data[at:at + len(text)] = text
    open(path, "wb").write(bytes(data[:1 << 20]))
PY
}

bytes=$((1024 * 1024 * 1024))
warm() { cat "$corpus"/*/* > /dev/null; }
# best_of CMD...: runs it 3 times, prints the best wall time and the least CPU time (user + system,
# every thread of the process: on a busy machine the wall time says more about the neighbours than
# about the command) in seconds; the last run's output is in $work/out
best_of() {
  local best="" cpu="" t0 t1 s c
  for _ in 1 2 3; do
    t0=$(date +%s%N)
    /usr/bin/time -o "$work/time" -f '%U %S' "$@" > "$work/out" 2> "$work/err" || true
    t1=$(date +%s%N)
    s=$(python3 -c "print(($t1 - $t0) / 1e9)")
    c=$(awk '/^[0-9.]+ [0-9.]+$/ {print $1 + $2}' "$work/time")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $s < $best else 1)"; then best=$s; fi
    if [ -z "$cpu" ] || python3 -c "import sys; sys.exit(0 if $c < $cpu else 1)"; then cpu=$c; fi
  done
  echo "$best $cpu"
}
rg_hits() { awk -F: '{n += $NF} END {print n + 0}' "$work/out"; }
kt_hits() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/out"; }
scan() { "$repo/bin/keyturn" scan --threads "$1" --no-patterns --encodings raw --prefix bench --format json "$corpus"; }

echo "command: bench/scan.sh"
echo "machine: $(nproc) cores, $(rg --version 2>/dev/null | sed -n 1p), java $("$JAVA_HOME/bin/java" -version 2>&1 | head -1 | cut -d'"' -f2), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
warm
scan 1 > "$work/out" 2> "$work/err" || true
clean=$(kt_hits)
echo "without plants: keyturn scan reports $clean findings on 1 GiB (must be 0)"
[ "$clean" = 0 ] || { echo "bench/scan.sh: findings without plants" >&2; exit 1; }
plant
warm

declare -A time cpu hits
for threads in 1 2; do
  read -r "time[rg$threads]" "cpu[rg$threads]" < <(best_of rg -j"$threads" -uuu -F -c -f "$work/values" "$corpus"); hits[rg$threads]=$(rg_hits)
  read -r "time[kt$threads]" "cpu[kt$threads]" < <(best_of "$repo/bin/keyturn" scan --threads "$threads" --no-patterns --encodings raw --prefix bench --format json "$corpus"); hits[kt$threads]=$(kt_hits)
done
for k in rg1 kt1 rg2 kt2; do
  if [ "${hits[$k]}" != 5 ]; then
    echo "bench/scan.sh: $k reported ${hits[$k]} hits, not 5" >&2
    cat "$work/err" >&2
    exit 1
  fi
done
python3 - "$bytes" "${time[rg1]}" "${time[kt1]}" "${time[rg2]}" "${time[kt2]}" "${cpu[rg1]}" "${cpu[kt1]}" "${cpu[rg2]}" "${cpu[kt2]}" <<'PY'
import sys
b = int(sys.argv[1]); rg1, kt1, rg2, kt2, crg1, ckt1, crg2, ckt2 = map(float, sys.argv[2:])
gb = lambda t: b / t / 1e9
print(f"1 thread : rg -j1 -uuu -F -c -f VALUES {rg1:6.2f} s {gb(rg1):5.2f} GB/s | keyturn scan --threads 1 {kt1:6.2f} s {gb(kt1):5.2f} GB/s | ratio {rg1 / kt1:4.2f}x (goal 2x)")
print(f"2 threads: rg -j2                    {rg2:6.2f} s {gb(rg2):5.2f} GB/s | keyturn scan --threads 2 {kt2:6.2f} s {gb(kt2):5.2f} GB/s | ratio {rg2 / kt2:4.2f}x")
print(f"CPU time (user + system), 1 thread: rg {crg1:5.2f} s, keyturn {ckt1:5.2f} s, ratio {crg1 / ckt1:4.2f}x; 2 threads: rg {crg2:5.2f} s, keyturn {ckt2:5.2f} s, ratio {crg2 / ckt2:4.2f}x")
print("each reported exactly the 5 plants (1 of 8 characters, 1 inside a base64 blob at an odd offset); best of 3 wall times and least of 3 CPU times, keyturn's including JVM start and the fingerprint request (the server's share of it is not in keyturn's CPU time)")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
