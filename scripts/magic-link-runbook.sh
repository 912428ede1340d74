#!/usr/bin/env bash
# Runs docs/runbooks/magic-link-app.md (runbook A) as written, block by block, in a fresh folder:
# the doc's first block starts `bin/keyturn server` with its configuration file; stand-ins play
# the web app (scripts/runbooks/magic_link_app.py) and the mail provider (smtp_provider.py, Debian's
# python3-aiosmtpd). The only changes to the doc's commands: /home/alice becomes a folder under
# the work folder, and the ports 8000 (app) and 2525 (SMTP) free ones; the server listens on a
# free port too (KEYTURN_LISTEN, KEYTURN_ADDR), never 8270. Blocks run in this shell, so that
# their variables and background jobs carry over; between blocks it checks what the runbook
# promises: the key installed mode 600 and reloaded, a timestamped backup and no magic links
# left, the old session refused; a failed health check rolled back with the old key current; the
# SMTP password tested by a login, refused when mistyped, rendered mode 600; and no value in any
# other file or log. CI runs it after the tests; VERBOSE=1 shows what each block printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
rb_work=$(mktemp -d)
rb_pids=()
rb_block=""
rb_cleanup() {
  local rc=$?
  if [ "$rc" != 0 ] && [ -n "$rb_block" ] && [ -f "$rb_work/$rb_block.out" ]; then
    cat "$rb_work/$rb_block.out" >&2
    for f in "$rb_work"/*.log; do echo "--- ${f##*/}" >&2; tail -n 20 "$f" >&2; done
    echo "magic-link-runbook: $rb_block FAILED" >&2
  fi
  # What the blocks started (also when a block failed before its pid was noted), then the rest.
  for p in $(jobs -p) "${rb_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in $(jobs -p) "${rb_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$rb_work"
}
trap rb_cleanup EXIT
fail() { echo "magic-link-runbook: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rb_kt_port=$(free_port)
rb_app_port=$(free_port)
rb_smtp_port=$(free_port)
# The stand-ins and the doc's python3 lines use Debian's python3 and its packages (python3-dotenv,
# python3-aiosmtpd), which .ci/run installs.
export PATH=/usr/bin:$PATH
export KEYTURN_LISTEN=127.0.0.1:$rb_kt_port KEYTURN_ADDR=http://127.0.0.1:$rb_kt_port
rb_home="$rb_work/home/alice"
app="$rb_home/lfiweb"

awk -v dir="$rb_work" '/^```sh$/{n++; inblock=1; next} inblock && /^```$/{inblock=0; next} inblock{print > (dir "/block" n ".sh")}' \
  "$repo/docs/runbooks/magic-link-app.md"
sed -i -e "s|/home/alice|$rb_home|g" -e "s|8000|$rb_app_port|g" \
  -e "s|2525|$rb_smtp_port|g" "$rb_work"/block*.sh
rb_blocks=$(ls "$rb_work"/block*.sh | wc -l)
[ "$rb_blocks" = 9 ] || fail "expected 9 sh blocks in the runbook, found $rb_blocks (update this script)"

ln -s "$repo/bin" "$rb_work/bin"
mkdir "$rb_work/standins"
cp "$repo/scripts/runbooks/magic_link_app.py" "$repo/scripts/runbooks/smtp_provider.py" "$rb_work/standins/"
cd "$rb_work"
if curl -s -o /dev/null "$KEYTURN_ADDR/v1/health"; then fail "something listens on $KEYTURN_ADDR"; fi

# The mail provider stand-in, with the app password in use today (mode 600, as the doc says).
(umask 077; python3 standins/smtp_provider.py --passwords provider-passwords --issue > app-password.txt)
python3 standins/smtp_provider.py --port "$rb_smtp_port" --user app@example.com \
  --passwords provider-passwords > smtp.log 2>&1 &
rb_pids+=($!)

value() { bin/keyturn get "$1" --raw; }
digest() { sha256sum | cut -d' ' -f1; }
same_as_file() { cmp -s <(value "$1") "$2"; }
backups() { ls "$app"/data.db.keyturn-*.bak 2>/dev/null | wc -l; }
links() { sqlite3 "$app/data.db" 'SELECT count(*) FROM magic_links'; }
rb_values=()
remember() { rb_values+=("$(value "$1")"); }

for i in $(seq 1 "$rb_blocks"); do
  rb_block="block$i"
  echo "magic-link-runbook: block $i: $(grep -c 'keyturn\|curl\|sqlite3\|python3' "$rb_block.sh") commands"
  before=""
  case $i in 6) before=$(value lfiweb/production/SECRET_KEY | digest) ;; esac
  . "./$rb_block.sh" > "$rb_block.out" 2>&1
  if [ -n "${VERBOSE:-}" ]; then sed 's/^/    /' "$rb_block.out"; fi
  case $i in
    1) # the server the block started
      rb_pids+=($!)
      for _ in $(seq 1 180); do curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && break; kill -0 "$!" 2>/dev/null || break; sleep 1; done
      curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" || { cat keyturn-server.log >&2; fail "the server did not start"; }
      ;;
    2)
      [ "$(stat -c %a "$app/keys") $(stat -c %a "$app/keys/SECRET_KEY")" = "700 600" ] || fail "modes of keys/"
      same_as_file lfiweb/production/SECRET_KEY "$app/keys/SECRET_KEY" || fail "keys/SECRET_KEY is not the value"
      [ "$(value lfiweb/production/SECRET_KEY | wc -c)" = 86 ] || fail "not token_urlsafe(64)'s length (86)"
      remember lfiweb/production/SECRET_KEY
      ;;
    3)
      rb_pids+=($!)
      grep -q '"email": "ada@example.com"' "$rb_block.out" || fail "the login did not work"
      [ "$(links)" = 1 ] || fail "expected one outstanding link"
      ;;
    4)
      grep -q 'after-finish' "$rb_block.out" || fail "rotation show does not list the sql hook"
      ;;
    5)
      grep -q 'finished' "$rb_block.out" || fail "the rotation did not finish"
      same_as_file lfiweb/production/SECRET_KEY "$app/keys/SECRET_KEY" || fail "the new key is not installed"
      [ "$(value lfiweb/production/SECRET_KEY)" != "${rb_values[0]}" ] || fail "the key did not change"
      remember lfiweb/production/SECRET_KEY
      [ "$(stat -c %a "$app/keys/SECRET_KEY")" = 600 ] || fail "keys/SECRET_KEY is not mode 600"
      ls "$app"/data.db.keyturn-* | grep -Eq '/data\.db\.keyturn-[0-9]{8}T[0-9]{6}Z\.bak$' || fail "no timestamped backup"
      [ "$(backups)" = 1 ] || fail "expected one backup"
      [ "$(sqlite3 "$app"/data.db.keyturn-*.bak 'SELECT count(*) FROM magic_links')" = 1 ] || fail "the backup lacks the link"
      [ "$(links)" = 0 ] || fail "magic links are left after the rotation"
      grep -qx 401 "$rb_block.out" || fail "the old session still works"
      [ "$(bin/keyturn keyring lfiweb/production/SECRET_KEY --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["versions"]))')" = 1 ] \
        || fail "--grace 0 left the old key in the keyring"
      ;;
    6)
      grep -q 'failed (HTTP 500)' "$rb_block.out" || fail "the checklist does not show the failed check"
      [ "$(value lfiweb/production/SECRET_KEY | digest)" = "$before" ] || fail "the old key is not current after the roll-back"
      same_as_file lfiweb/production/SECRET_KEY "$app/keys/SECRET_KEY" || fail "the old key is not back in keys/SECRET_KEY"
      [ "$(backups)" = 1 ] || fail "the sql hook ran on a rolled-back rotation"
      [ "$(links)" = 1 ] || fail "links were deleted by a rolled-back rotation"
      grep -q '"email": "ada@example.com"' "$rb_block.out" || fail "the session did not survive the roll-back"
      rb_values+=("$(bin/keyturn get lfiweb/production/SECRET_KEY --version 3 --raw)")
      ;;
    7)
      [ ! -e app-password.txt ] || fail "app-password.txt left behind"
      [ "$(stat -c %a "$app/.lfiweb_secrets")" = 600 ] || fail ".lfiweb_secrets is not mode 600"
      grep -q '"smtp": "login ok"' "$rb_block.out" || fail "the app could not log in to SMTP"
      remember lfiweb/production/SMTP_PASS
      ;;
    8)
      [ ! -e new-app-password.txt ] || fail "new-app-password.txt left behind"
      [ "$(value lfiweb/production/SMTP_PASS)" = "$(tail -n 1 provider-passwords)" ] || fail "the new app password is not current"
      [ "$(value lfiweb/production/SMTP_PASS)" != "${rb_values[3]}" ] || fail "the SMTP password did not change"
      grep -q '"smtp": "login ok"' "$rb_block.out" || fail "the app could not log in with the new password"
      grep -q '535\|refused\|rolled back' "$rb_block.out" || fail "the mistyped password was not refused"
      remember lfiweb/production/SMTP_PASS
      ;;
    9)
      grep -q 'devops' "$rb_block.out" || fail "status does not show the owner"
      grep -q 'rotation.finish' "$rb_block.out" || fail "the audit does not show the rotation"
      ;;
  esac
done
rb_block=""

# No value anywhere but in the mode-600 files the runbook writes (and the server's store).
for v in "${rb_values[@]}"; do
  while IFS= read -r f; do
    case "$f" in
      ./keyturn-data/*) ;;
      "./home/alice/lfiweb/keys/SECRET_KEY" | "./home/alice/lfiweb/.lfiweb_secrets" | ./provider-passwords)
        [ "$(stat -c %a "$f")" = 600 ] || fail "$f holds a value and is not mode 600" ;;
      *) fail "a secret value is in $f" ;;
    esac
  done < <(grep -rlF -- "$v" . 2>/dev/null || true)
done
echo "magic-link-runbook: ok"
