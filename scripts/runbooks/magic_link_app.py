#!/usr/bin/env python3
"""Stand-in for runbook A's web app on PythonAnywhere (scripts/magic-link-runbook.sh).

A Flask-like app reduced to what the runbook touches: it signs session cookies with the
SECRET_KEY it read from DIR/keys/SECRET_KEY, logs people in with magic links kept in the
SQLite file DIR/data.db, and sends mail with SMTP_PASS from the dotenv file
DIR/.lfiweb_secrets. POST /reload re-reads both files, as PythonAnywhere's Reload button
restarts the app. /health answers 500 while the file DIR/BROKEN exists (a broken deploy).
It never prints or logs a secret value.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import secrets
import smtplib
import sqlite3
import time
import urllib.parse

import dotenv

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--smtp", required=True, help="HOST:PORT of the mail provider")
parser.add_argument("--smtp-user", required=True)
args = parser.parse_args()
DB = os.path.join(args.dir, "data.db")
state = {}


def load():
    with open(os.path.join(args.dir, "keys", "SECRET_KEY"), "rb") as f:
        state["key"] = f.read()
    path = os.path.join(args.dir, ".lfiweb_secrets")
    state["smtp_pass"] = dotenv.dotenv_values(path).get("SMTP_PASS") if os.path.exists(path) else None


def sign(email):
    return email + "." + hmac.new(state["key"], email.encode(), hashlib.sha256).hexdigest()


def session_email(cookie_header):
    for part in (cookie_header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "session" and "." in value:
            email = value.rsplit(".", 1)[0]
            if hmac.compare_digest(sign(email), value):
                return email
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/health":
            if os.path.exists(os.path.join(args.dir, "BROKEN")):
                return self.answer(500, {"status": "error"})
            return self.answer(200, {"status": "ok"})
        if url.path == "/reload" and self.command == "POST":
            load()
            return self.answer(200, {"reloaded": True})
        if url.path == "/magic-link" and self.command == "POST":
            token = secrets.token_urlsafe(32)
            with sqlite3.connect(DB) as db:
                db.execute("INSERT INTO magic_links VALUES (?, ?, ?)", (token, query["email"], int(time.time())))
            # The link would be e-mailed; the stand-in hands it back.
            return self.answer(200, {"link": "/login?token=" + token})
        if url.path == "/login":
            with sqlite3.connect(DB) as db:
                row = db.execute("SELECT email FROM magic_links WHERE token = ?", (query.get("token", ""),)).fetchone()
                if row is None:
                    return self.answer(403, {"error": "unknown or used link"})
                db.execute("DELETE FROM magic_links WHERE token = ?", (query["token"],))
            return self.answer(200, {"email": row[0]}, [("Set-Cookie", "session=" + sign(row[0]))])
        if url.path == "/me":
            email = session_email(self.headers.get("Cookie"))
            return self.answer(200, {"email": email}) if email else self.answer(401, {"error": "log in again"})
        if url.path == "/admin/smtp-check" and self.command == "POST":
            host, port = args.smtp.rsplit(":", 1)
            try:
                with smtplib.SMTP(host, int(port), timeout=10) as smtp:
                    smtp.login(args.smtp_user, state["smtp_pass"] or "")
            except (smtplib.SMTPException, OSError) as e:
                return self.answer(502, {"smtp": "login refused", "code": getattr(e, "smtp_code", None)})
            return self.answer(200, {"smtp": "login ok"})
        return self.answer(404, {"error": "not found"})

    do_GET = do_POST = route

    def log_message(self, fmt, *a):  # the query string holds magic-link tokens
        pass


with sqlite3.connect(DB) as db:
    db.execute("CREATE TABLE IF NOT EXISTS magic_links (token TEXT PRIMARY KEY, email TEXT, created_at INTEGER)")
load()
http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
