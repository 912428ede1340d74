#!/usr/bin/env python3
"""Stand-in for the two services of runbook B (scripts/shared-hmac-runbook.sh) that verify
revalidation webhooks: POST /api/revalidate/ with the body's HMAC-SHA256 in X-Signature (hex),
checked as the runbook's "dual-secret support" does, against REVALIDATE_SECRET and then every
value of REVALIDATE_SECRET_FALLBACKS (a JSON array, from `keyturn run --keyring`). A refusal is
logged as "Invalid signature" (the runbook's audit grep). Never prints a key."""
import hashlib
import hmac
import http.server
import json
import os
import sys

name, port = sys.argv[1], int(sys.argv[2])
current = os.environ["REVALIDATE_SECRET"]
fallbacks = json.loads(os.environ.get("REVALIDATE_SECRET_FALLBACKS", "[]"))
print(f"{name}: started with the current key and {len(fallbacks)} fallback(s)", file=sys.stderr, flush=True)


def verify(payload, signature):
    for i, secret in enumerate([current] + fallbacks):
        expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
        if hmac.compare_digest(signature.encode(), expected.encode()):
            return "current" if i == 0 else "fallback"
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        which = verify(body, self.headers.get("X-Signature", "")) if self.path == "/api/revalidate/" else None
        if which is None:
            print(f"{name}: Invalid signature from {self.client_address[0]}", file=sys.stderr, flush=True)
            status, answer = 401, {"error": "invalid signature"}
        else:
            status, answer = 200, {"service": name, "revalidated": json.loads(body)["slugs"], "key": which}
        data = json.dumps(answer).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
