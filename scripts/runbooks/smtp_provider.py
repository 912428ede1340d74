#!/usr/bin/env python3
"""Stand-in for the mail provider of runbook A (scripts/magic-link-runbook.sh): an SMTP server
(Debian's python3-aiosmtpd) that demands AUTH and accepts the app passwords listed, one a line,
in a mode-600 file. `--issue FILE` adds a new random app password to FILE and prints it once,
as a provider's dashboard shows a new app password. Plain SMTP on loopback (security=none)."""
import argparse
import os
import secrets
import time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int)
parser.add_argument("--user")
parser.add_argument("--passwords", required=True)
parser.add_argument("--issue", action="store_true")
args = parser.parse_args()

if args.issue:
    new = "-".join(secrets.token_hex(2) for _ in range(4))
    fd = os.open(args.passwords, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, (new + "\n").encode())
    os.close(fd)
    print(new, end="")
    raise SystemExit(0)

import warnings

warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword) or auth_data.login.decode() != args.user:
        return AuthResult(success=False, handled=False)
    with open(args.passwords) as f:
        accepted = f.read().split("\n")
    ok = auth_data.password.decode() in [p for p in accepted if p]
    return AuthResult(success=ok, handled=False)


class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


controller = Controller(Sink(), hostname="127.0.0.1", port=args.port,
                        authenticator=authenticator, auth_require_tls=False, auth_required=True)
controller.start()
print(f"smtp provider stand-in on 127.0.0.1:{args.port}", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
