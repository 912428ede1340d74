#!/usr/bin/env bash
# Runs docs/runbooks/recovery.md (runbook E's losses) as written, block by block, in a fresh
# folder with a gpg home of its own (GNUPGHOME): block 0 starts `bin/keyturn server` there. The
# only change to the doc's commands: the server listens on a free port (KEYTURN_LISTEN,
# KEYTURN_ADDR), never 8270. Blocks run in this shell, so that the server they start stays a job
# of it; between blocks it checks what the runbook promises: backups that verify, that gpg
# opens and that a drill finds identical to the live server, mode 600, one file per secret for
# the offline key; the stored credential lost with its key and back after the one-secret
# restore; everything back in a fresh server with a new root
# key; the offline copies opening without the passphrase; a root key rotation from a key file and
# one from shares (the old shares no longer unsealing after it, the new ones unsealing); and no
# value in any file but the encrypted ones and the store. CI runs it after the tests; VERBOSE=1 shows what each block printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
rb_work=$(mktemp -d)
rb_block=""
rb_cleanup() {
  local rc=$?
  if [ "$rc" != 0 ] && [ -n "$rb_block" ] && [ -f "$rb_work/$rb_block.out" ]; then
    cat "$rb_work/$rb_block.out" >&2
    tail -n 20 "$rb_work/server.log" >&2 2>/dev/null || true
    echo "recovery-runbook: $rb_block FAILED" >&2
  fi
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  for p in $(jobs -p); do wait "$p" 2>/dev/null || true; done
  gpgconf --kill all 2>/dev/null || true
  rm -rf "$rb_work"
}
trap rb_cleanup EXIT
fail() { echo "recovery-runbook: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rb_port=$(free_port)
export KEYTURN_LISTEN=127.0.0.1:$rb_port KEYTURN_ADDR=http://127.0.0.1:$rb_port
export GNUPGHOME="$rb_work/gnupg"
mkdir -m 700 "$GNUPGHOME"

awk -v dir="$rb_work" '/^```sh$/{n++; inblock=1; next} inblock && /^```$/{inblock=0; next} inblock{print > (dir "/block" n ".sh")}' \
  "$repo/docs/runbooks/recovery.md"
rb_blocks=$(ls "$rb_work"/block*.sh | wc -l)
[ "$rb_blocks" = 8 ] || fail "expected 8 sh blocks in the runbook, found $rb_blocks (update this script)"
ln -s "$repo/bin" "$rb_work/bin"
cd "$rb_work"
if curl -s -o /dev/null "$KEYTURN_ADDR/v1/health"; then fail "something listens on $KEYTURN_ADDR"; fi
bin/keyturn --version > /dev/null  # builds the jar outside block 0's wait

value() { bin/keyturn get "$1" --raw; }
rb_values=()
for i in $(seq 1 "$rb_blocks"); do
  rb_block="block$i"
  echo "recovery-runbook: block $i: $(grep -c 'keyturn\|gpg' "$rb_block.sh") commands"
  . "./$rb_block.sh" > "$rb_block.out" 2>&1
  if [ -n "${VERBOSE:-}" ]; then sed 's/^/    /' "$rb_block.out"; fi
  case $i in
    1)
      rb_values+=("$(value payments/production/FERNET_KEY)" "$(value payments/production/JWT_SIGNING_KEY)")
      [ -s credential.token ] || fail "no encrypted credential"
      ;;
    2)
      [ "$(stat -c %a backups/keyturn-latest.pgp)" = 600 ] || fail "the backup is not mode 600"
      [ "$(stat -c %a offsite/payments/production/FERNET_KEY.pgp)" = 600 ] || fail "the offsite copy is not mode 600"
      [ "$(find offsite -name '*.pgp' | wc -l)" = 2 ] || fail "expected one offsite file per secret"
      gpg --batch --list-packets offsite/payments/production/FERNET_KEY.pgp 2>/dev/null | grep -q 'pubkey enc packet: version 3, algo 18' \
        || fail "the offsite copy is not encrypted to the cv25519 key"
      ;;
    3)
      grep -q '^ok: true' "$rb_block.out" || fail "backup verify did not say ok"
      grep -q '^2 secrets$' "$rb_block.out" || fail "gpg did not open the backup"
      grep -q '0 missing, 0 changed, 0 extra: the backup would bring back exactly what is live$' "$rb_block.out" \
        || fail "the drill did not find the backup identical to the live server"
      ;;
    4)
      grep -q 'the credential no longer opens' "$rb_block.out" || fail "the credential still opened without its key"
      grep -q 'deleted since the backup' "$rb_block.out" || fail "the dry run did not report the deleted key"
      grep -q 'dry run, nothing written' "$rb_block.out" || fail "no dry run"
      grep -q '1 made current' "$rb_block.out" || fail "the key was not made current"
      [ "$(tail -n 1 "$rb_block.out")" = sk_live_stored_api_credential ] || fail "the credential does not open after the restore"
      [ "$(value payments/production/FERNET_KEY)" = "${rb_values[0]}" ] || fail "the restored key is not the backed-up one"
      ;;
    5)
      [ -d keyturn-data.lost ] || fail "the old data folder was not moved away"
      [ "$(cat keyturn-data/root.key 2>/dev/null | sha256sum)" != "$(sha256sum < keyturn-data.lost/root.key)" ] \
        || fail "the fresh server uses the old root key"
      grep -q '2 created' "$rb_block.out" || fail "the restore did not create both secrets"
      [ "$(tail -n 1 "$rb_block.out")" = sk_live_stored_api_credential ] || fail "the credential does not open on the fresh server"
      [ "$(value payments/production/JWT_SIGNING_KEY)" = "${rb_values[1]}" ] || fail "the JWT key differs after the restore"
      ;;
    6)
      grep -q '1 unchanged' "$rb_block.out" || fail "the offline copy did not restore as unchanged"
      grep -q '^ok: true' "$rb_block.out" || fail "the offline copy did not verify"
      ;;
    7)
      rb_new=$(sed -n 's/^root key \(rk-[0-9a-f]*\) in force.*/\1/p' "$rb_block.out")
      [ -n "$rb_new" ] || fail "the rotation did not end with a new key in force"
      grep -q '^audit chain intact' "$rb_block.out" || fail "the audit chain did not verify after the rotation"
      [ -z "$(ls keyturn-data/root.key.old-* 2>/dev/null)" ] || fail "the old key file is still there"
      [ "$(bin/keyturn root-key split --shares 2 --threshold 2 2>&1 >/dev/null | grep -o 'rk-[0-9a-f]*')" = "$rb_new" ] \
        || fail "DATA/root.key is not the new key"
      [ "$(tail -n 1 "$rb_block.out")" = sk_live_stored_api_credential ] || fail "the credential does not open after the rotation"
      ;;
    8)
      [ ! -e keyturn-data/root.key ] || fail "a share-held key is in a file"
      [ "$(wc -l < custody/new-shares.txt)" = 5 ] || fail "the rotation did not print 5 new shares"
      grep -q 'in force' "$rb_block.out" || fail "the share-held rotation did not end"
      [ "$(grep -c '^unsealed: the server is open$' "$rb_block.out")" = 2 ] \
        || fail "expected two unseals: with the old shares before the rotation, the new ones after"
      grep -q '^still sealed: 3 share(s) held' "$rb_block.out" || fail "the old shares still unseal after the rotation"
      [ "$(tail -n 1 "$rb_block.out")" = sk_live_stored_api_credential ] || fail "the credential does not open after the share-held rotation"
      for f in server.log keyturn-data/*; do
        while IFS= read -r share; do
          ! grep -qF -- "${share#*-}" "$f" 2>/dev/null || fail "a new share is in $f"
        done < custody/new-shares.txt
      done
      ;;
  esac
done
rb_block=""

# No value anywhere but in the store (the backups are encrypted).
for v in "${rb_values[@]}"; do
  while IFS= read -r f; do
    case "$f" in
      ./keyturn-data/* | ./keyturn-data.lost/*) ;;
      *) fail "a secret value is in $f" ;;
    esac
  done < <(grep -rlF -- "$v" . 2>/dev/null || true)
done
echo "recovery-runbook: ok"
