#!/usr/bin/env bash
# Runs the README's five-minute tour as written: starts `bin/keyturn server` in a fresh folder,
# runs every command of the tour's second code block there, and stops the server. Fails if any
# command fails. CI runs it after the tests, so the README stays true.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; wait "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
ln -s "$repo/bin" "$work/bin"
cd "$work"

# The tour: the code block that follows "In a second terminal" in the README.
awk '/^In a second terminal/{found=1} found && /^```sh/{inblock=1; next} inblock && /^```/{exit} inblock{print}' \
  "$repo/README.md" > tour.sh
[ -s tour.sh ] || { echo "readme-tour: found no tour in README.md" >&2; exit 1; }

. "$repo/scripts/server.sh"
start_server readme-tour

echo "readme-tour: running $(grep -c 'bin/keyturn\|curl' tour.sh) commands from README.md"
bash -euo pipefail tour.sh > tour.out 2>&1 || { cat tour.out >&2; echo "readme-tour: FAILED" >&2; exit 1; }
grep -q "refused, as it should be" tour.out
echo "readme-tour: ok"
