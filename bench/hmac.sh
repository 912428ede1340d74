#!/usr/bin/env bash
# HMAC-SHA256 through the SDK's HmacKeyring (what `keyturn hmac sign` and `hmac verify` compute) over
# 1 KiB and 1 MiB bodies on one thread (JMH), beside `openssl speed -hmac sha256` on one core for
# the same sizes. sign uses the current version; verify checks a signature of the previous version
# against a keyring of three and so computes three MACs (constant time: no early exit), so its
# "per MAC" column is the one to compare with openssl. Goal: sign at least 1.0x openssl at 1 MiB.
# The machine may be shared: the load average is printed before and after; compare figures of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "command: bench/hmac.sh (JMH HmacBenchmark -t 1; openssl speed -hmac sha256 -seconds 3 -bytes SIZE)"
echo "machine: $(nproc) cores, $(openssl version | cut -d' ' -f1-2), java $("$JAVA_HOME/bin/java" -version 2>&1 | head -1 | cut -d'"' -f2), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar HmacBenchmark -t 1 -rf json -rff "$out" >/dev/null
for size in 1024 1048576; do
  ossl=$(openssl speed -hmac sha256 -seconds 3 -bytes "$size" 2>/dev/null | awk '/^hmac\(sha256\)/ {print $2}')
  python3 - "$out" "$size" "$ossl" <<'PY'
import json, sys
data = json.load(open(sys.argv[1])); size = int(sys.argv[2]); ossl = float(sys.argv[3].rstrip("k")) * 1000 / 1e6
for r in data:
    if r["params"]["size"] == str(size):
        ops = r["primaryMetric"]["score"]; name = r["benchmark"].rsplit(".", 1)[1]
        macs = 3 if name == "verify" else 1
        mbs = ops * size / 1e6; per_mac = mbs * macs
        print(f"{size:8d} B  {name:6s} {mbs:7.0f} MB/s of body ({ops:9.0f} ops/s, {macs} MAC{'s' if macs > 1 else ' '})"
              f"  per MAC {per_mac:7.0f} MB/s   openssl {ossl:7.0f} MB/s   ratio per MAC {per_mac/ossl:.2f}")
PY
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
