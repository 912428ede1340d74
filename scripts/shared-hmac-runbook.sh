#!/usr/bin/env bash
# Runs docs/runbooks/shared-hmac-secrets.md (runbook B) as written, block by block, against a real
# `bin/keyturn server` in a fresh folder on a free port (KEYTURN_LISTEN, KEYTURN_ADDR; never
# 8270). Two copies of scripts/runbooks/revalidate_verifier.py stand in for the Django API and the
# Next.js app; the only change to the doc's commands is their ports (8001, 8002 become free ones).
# Blocks run in this shell, so that their variables and background jobs carry over; between blocks
# it checks what the runbook promises: the schedule on the status board, openssl and `keyturn hmac
# sign` byte-identical, both services accepting the old and the new key during the grace and only
# the new one after it, the emergency rotation shutting out the leaked key with its reason
# recorded, the audit naming the reads, and no value in any file or log. CI runs it after the
# tests; VERBOSE=1 shows what each block printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
rb_work=$(mktemp -d)
rb_pids=()
rb_block=""
rb_cleanup() {
  local rc=$?
  if [ "$rc" != 0 ] && [ -n "$rb_block" ] && [ -f "$rb_work/$rb_block.out" ]; then
    cat "$rb_work/$rb_block.out" >&2
    for f in "$rb_work"/*.err "$rb_work"/server.log; do
      [ -f "$f" ] && { echo "--- ${f##*/}" >&2; tail -n 20 "$f" >&2; }
    done
    echo "shared-hmac-runbook: $rb_block FAILED" >&2
  fi
  # What the blocks started (also when a block failed before its pid was noted), then the rest.
  for p in $(jobs -p) "${rb_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in $(jobs -p) "${rb_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$rb_work"
}
trap rb_cleanup EXIT
fail() { echo "shared-hmac-runbook: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rb_kt_port=$(free_port)
rb_django_port=$(free_port)
rb_nextjs_port=$(free_port)
export PATH=/usr/bin:$PATH   # Debian's python3, as for the other runbook scripts
export KEYTURN_LISTEN=127.0.0.1:$rb_kt_port KEYTURN_ADDR=http://127.0.0.1:$rb_kt_port

. "$repo/scripts/server.sh"
extract_blocks shared-hmac-runbook "$repo/docs/runbooks/shared-hmac-secrets.md" "$rb_work" 11
sed -i -e "s|8001|$rb_django_port|g" -e "s|8002|$rb_nextjs_port|g" "$rb_work"/block*.sh
rb_blocks=11

ln -s "$repo/bin" "$rb_work/bin"
mkdir "$rb_work/standins"
cp "$repo/scripts/runbooks/revalidate_verifier.py" "$rb_work/standins/"
cd "$rb_work"
start_server_at shared-hmac-runbook
rb_pids+=("$server_pid")

name=api/production/REVALIDATE_SECRET
versions() { bin/keyturn keyring "$name" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["versions"]))'; }
signed_by() { # the HTTP status a service answers to the body signed (by openssl) with version $2
  curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$1/api/revalidate/" \
    -H "X-Signature: $(printf '%s' '{"slugs":["test"]}' | openssl dgst -sha256 -hmac "$(bin/keyturn get "$name" --version "$2" --raw)" | cut -d' ' -f2)" \
    -d '{"slugs":["test"]}'
}

for i in $(seq 1 "$rb_blocks"); do
  rb_block="block$i"
  echo "shared-hmac-runbook: block $i: $(grep -c 'keyturn\|curl\|openssl' "$rb_block.sh") commands"
  . "./$rb_block.sh" > "$rb_block.out" 2>&1
  if [ -n "${VERBOSE:-}" ]; then sed 's/^/    /' "$rb_block.out"; fi
  case $i in
    1)
      [ "$(grep -c '^api/production/[A-Z_]* *DevOps *overlap .* 20[0-9-]*T[0-9:.]*Z .* ok$' "$rb_block.out")" = 3 ] \
        || fail "the status board does not list the three secrets with owner, next due and state"
      ;;
    2) rb_pids+=("$django_pid" "$nextjs_pid") ;;
    3)
      [ "$(grep -c '"revalidated": \["test"\], "key": "current"' "$rb_block.out")" = 2 ] || fail "the curl test did not pass on both"
      [ -z "${NEW_SECRET:-}" ] || fail "NEW_SECRET left set"
      ;;
    4)
      [ "$(wc -l < "$rb_block.out")" = 2 ] && [ "$(sort -u "$rb_block.out" | wc -l)" = 1 ] \
        && grep -Eqx '[0-9a-f]{64}' "$rb_block.out" || fail "openssl and keyturn hmac sign differ"
      ;;
    6)
      grep -q 'finished' "$rb_block.out" || fail "the rotation did not finish"
      [ "$(versions)" = 2 ] || fail "the old key is not in the keyring during the grace"
      grep -q 'REVALIDATE_SECRET .* 20[0-9-]*T[0-9:.]*Z *ok$' "$rb_block.out" || fail "status shows no 'previous until'"
      ;;
    7)
      [ "$(grep -c '"key": "fallback"' "$rb_block.out")" = 2 ] || fail "the old signature is not accepted during the grace"
      [ "$(grep -c '"key": "current"' "$rb_block.out")" = 2 ] || fail "the new signature is not accepted"
      ;;
    8) grep -q 'version 1 (previous)' "$rb_block.out" || fail "hmac verify did not name version 1" ;;
    9)
      [ "$(grep -c '"invalid signature"' "$rb_block.out")" = 2 ] || fail "the old signature is still accepted after the grace"
      [ "$(grep -c '"key": "current"' "$rb_block.out")" = 2 ] || fail "the new signature is refused after the grace"
      [ "$(versions)" = 1 ] || fail "the old key is still in the keyring"
      [ "$(signed_by "$rb_django_port" 2)" = 200 ] && [ "$(signed_by "$rb_nextjs_port" 2)" = 200 ] \
        || fail "the current key is refused"
      ;;
    10)
      [ "$(signed_by "$rb_django_port" 2)" = 401 ] && [ "$(signed_by "$rb_nextjs_port" 2)" = 401 ] \
        || fail "the leaked key is still accepted after the emergency rotation"
      [ "$(signed_by "$rb_django_port" 3)" = 200 ] && [ "$(signed_by "$rb_nextjs_port" 3)" = 200 ] \
        || fail "the new key is refused after the emergency rotation"
      [ "$(grep -c '"invalid signature"' "$rb_block.out")" = 2 ] && [ "$(grep -c '"key": "current"' "$rb_block.out")" = 2 ] \
        || fail "the services did not switch to the emergency key"
      grep -q 'rotation.start .* emergency reason="INC-42' "$rb_block.out" || fail "the audit does not keep the reason"
      grep -q 'secret.read' "$rb_block.out" && grep -q 'keyring.read' "$rb_block.out" \
        || fail "the audit does not show the reads"
      grep -q 'django: Invalid signature' "$rb_block.out" && grep -q 'nextjs: Invalid signature' "$rb_block.out" \
        || fail "the services did not log the refused webhooks"
      ;;
  esac
done
rb_block=""

# No value of the secret anywhere but in the server's store.
for v in 1 2 3; do
  value=$(bin/keyturn get "$name" --version "$v" --raw)
  if grep -rlF --exclude-dir=keyturn-data -- "$value" .; then fail "version $v's value is in the files above"; fi
done
echo "shared-hmac-runbook: ok"
