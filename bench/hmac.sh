#!/usr/bin/env bash
# HMAC-SHA256 through the SDK's HmacKeyring (what `keyturn hmac sign` and `hmac verify` compute) over
# 1 KiB and 1 MiB bodies on one thread (JMH), beside `openssl speed -hmac sha256` for the same
# sizes. sign uses the current version; verify checks a signature of the previous version against
# a keyring of three and so computes three MACs (constant time: no early exit); its "per MAC"
# figures are the ones to compare with openssl. Goal: sign at least 1.0x openssl per core at 1 MiB.
#
# Per core: `openssl speed` divides by the CPU time it got, and the benchmark counts the CPU time
# of its thread (ThreadMXBean), so on a shared, loaded machine the per-core ratio compares like
# with like. The wall-clock ratio (JMH's ops/s against `openssl speed -elapsed`, measured one after
# the other) is printed too; it moves with the load. The load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "command: bench/hmac.sh (JMH HmacBenchmark -t 1; openssl speed [-elapsed] -hmac sha256 -seconds 3 -bytes SIZE)"
echo "machine: $(nproc) cores, $(openssl version | cut -d' ' -f1-2), java $("$JAVA_HOME/bin/java" -version 2>&1 | head -1 | cut -d'"' -f2), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar HmacBenchmark -t 1 -rf json -rff "$out" >/dev/null 2>&1
for size in 1024 1048576; do
  cpu=$(openssl speed -hmac sha256 -seconds 3 -bytes "$size" 2>/dev/null | awk '/^hmac\(sha256\)/ {print $2}')
  wall=$(openssl speed -elapsed -hmac sha256 -seconds 3 -bytes "$size" 2>/dev/null | awk '/^hmac\(sha256\)/ {print $2}')
  python3 - "$out" "$size" "$cpu" "$wall" <<'PY'
import json, sys
data = json.load(open(sys.argv[1])); size = int(sys.argv[2])
cpu = float(sys.argv[3].rstrip("k")) * 1000 / 1e6; wall = float(sys.argv[4].rstrip("k")) * 1000 / 1e6
for r in data:
    if r["params"]["size"] != str(size):
        continue
    name = r["benchmark"].rsplit(".", 1)[1]; macs = 3 if name == "verify" else 1
    aux = r["secondaryMetrics"]
    per_core = aux["calls"]["score"] * size * macs / (aux["cpuNanos"]["score"] / 1e9) / 1e6
    per_wall = r["primaryMetric"]["score"] * size * macs / 1e6
    print(f"{size:8d} B  {name:6s} per MAC ({macs} MAC{'s' if macs > 1 else ''}/op): "
          f"per core {per_core:6.0f} MB/s vs openssl {cpu:6.0f} MB/s = {per_core/cpu:.2f}x;   "
          f"wall clock {per_wall:6.0f} MB/s vs openssl -elapsed {wall:6.0f} MB/s = {per_wall/wall:.2f}x")
PY
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
