#!/usr/bin/env bash
# Runs every `sh` block of docs/delivery.md, in order, as written: starts `bin/keyturn server`
# on 127.0.0.1:8271 (not the tour's 8270) in a fresh folder, runs the blocks there, and stops
# the server. Fails if any command fails. CI runs it after the tests, so the page stays true.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; wait "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
ln -s "$repo/bin" "$work/bin"
cd "$work"
export KEYTURN_ADDR=http://127.0.0.1:8271

awk '/^```sh$/{inblock=1; next} inblock && /^```$/{inblock=0; next} inblock{print}' \
  "$repo/docs/delivery.md" > steps.sh
[ -s steps.sh ] || { echo "delivery-doc: found no sh blocks in docs/delivery.md" >&2; exit 1; }

if curl -s -o /dev/null "$KEYTURN_ADDR/v1/health"; then
  echo "delivery-doc: something already listens on 127.0.0.1:8271; stop it first" >&2
  exit 1
fi
bin/keyturn server --listen 127.0.0.1:8271 > server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 180); do
  curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && break
  kill -0 "$server_pid" 2>/dev/null || { cat server.log >&2; exit 1; }
  sleep 1
done

echo "delivery-doc: running $(grep -c 'keyturn' steps.sh) keyturn commands from docs/delivery.md"
bash -euo pipefail steps.sh > steps.out 2>&1 || { cat steps.out >&2; echo "delivery-doc: FAILED" >&2; exit 1; }
echo "delivery-doc: ok"
