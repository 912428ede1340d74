#!/usr/bin/env bash
# Envelope encryption (AES-256-GCM with associated data, fresh nonce) of 1 KiB and 16 KiB values
# on one thread (JMH), beside `openssl speed -evp aes-256-gcm` on one core for the same sizes.
# Goal: at least 1.0x openssl at 16 KiB.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
keyturn_find_jdk
./mvnw -B -q -ntp -pl bench -am package -Dmaven.test.skip=true -Dspotless.check.skip=true >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar EnvelopeBenchmark -t 1 -rf json -rff "$out" >/dev/null
echo "command: bench/crypto.sh (JMH EnvelopeBenchmark -t 1; openssl speed -evp aes-256-gcm -seconds 3)"
for size in 1024 16384; do
  ossl=$(openssl speed -evp aes-256-gcm -seconds 3 -bytes "$size" 2>/dev/null | awk '/^AES-256-GCM/ {print $2}')
  python3 - "$out" "$size" "$ossl" <<'PY'
import json, sys
data = json.load(open(sys.argv[1])); size = int(sys.argv[2]); ossl = float(sys.argv[3].rstrip("k")) * 1000
for r in data:
    if r["params"]["size"] == str(size):
        ops = r["primaryMetric"]["score"]; mbs = ops * size / 1e6
        name = r["benchmark"].rsplit(".", 1)[1]
        print(f"{size:6d} B  {name:5s} {mbs:8.0f} MB/s  ({ops:9.0f} ops/s)   openssl {ossl/1e6:8.0f} MB/s   ratio {mbs/(ossl/1e6):.2f}")
PY
done
