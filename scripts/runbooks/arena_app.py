#!/usr/bin/env python3
"""Stand-in for runbook E's service (scripts/jwt-fernet-runbook.sh): it reads its secrets from the
files `keyturn run --files` names in *_FILE variables, as the runbook's Settings validator does:
SECRET_KEY_FILE (the JWT signing key, a PKCS#8 PEM EC P-256 key), CREDENTIAL_ENCRYPTION_KEY_FILE
(the Fernet key) with CREDENTIAL_ENCRYPTION_KEY_FALLBACKS_FILE (a JSON array of the keyring's other
keys, from `:keyring`), and DATABASE_URL_FILE (its PostgreSQL login).

  GET  /health                the health check: 200 when the database answers
  POST /login                 {"user": U}: an ES256 access token for U (30 minutes), kid = the
                              key's RFC 7638 thumbprint
  POST /admin/credentials     {"provider": P, "value": V} (bearer token): V encrypted with the
                              current Fernet key into api_credentials
  GET  /api/arenas/health     (bearer token): decrypts every row of api_credentials with
                              MultiFernet over the keyring; 500 naming the first row that does
                              not open

Tokens are verified against the JWK Set that Keyturn publishes (PyJWKClient on the URL given as
the second argument), so a token signed with any key in the set verifies: the previous key during
its grace, the pending key before it becomes current. Never prints or returns a key, a token or a
credential; /api/arenas/health returns a SHA-256 digest of "id:value" lines instead."""
import base64
import hashlib
import http.server
import json
import os
import sys
import time

import jwt
import psycopg2
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization

port, jwks_url = int(sys.argv[1]), sys.argv[2]


def read_file(variable, default=None):
    path = os.environ.get(variable + "_FILE")
    if path is None:
        if default is not None:
            return default
        sys.exit(f"arena: {variable}_FILE is not set")
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


signing_key = serialization.load_pem_private_key(read_file("SECRET_KEY").encode(), password=None)
# RFC 7518 6.2.1.2: x and y are the full 32 bytes of a P-256 coordinate. PyJWT before 2.8
# (Debian 12 ships 2.6) drops their leading zero bytes in to_jwk, which gave a kid no JWK Set
# holds for about one key in 128, so the coordinates are encoded here.
public_numbers = signing_key.public_key().public_numbers()


def coordinate(value):
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


thumbprint_input = json.dumps(
    {"crv": "P-256", "kty": "EC", "x": coordinate(public_numbers.x), "y": coordinate(public_numbers.y)},
    separators=(",", ":"), sort_keys=True)
kid = base64.urlsafe_b64encode(hashlib.sha256(thumbprint_input.encode()).digest()).rstrip(b"=").decode()
fernet_keys = [read_file("CREDENTIAL_ENCRYPTION_KEY")] + json.loads(
    read_file("CREDENTIAL_ENCRYPTION_KEY_FALLBACKS", "[]"))
credentials = MultiFernet([Fernet(k) for k in fernet_keys])
database_url = read_file("DATABASE_URL")
jwks = jwt.PyJWKClient(jwks_url, lifespan=10)  # Keyturn's Cache-Control says 60 s; 10 keeps the test short
print(f"arena: started, pid {os.getpid()}, signing kid {kid}, {len(fernet_keys)} Fernet key(s)",
      file=sys.stderr, flush=True)


class Refused(Exception):
    pass


def user_of(headers):
    auth = headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        raise Refused("no bearer token")
    token = auth[len("Bearer "):]
    try:
        key = jwks.get_signing_key_from_jwt(token).key
        claims = jwt.decode(token, key, algorithms=["ES256"], options={"require": ["exp", "sub"]})
    except (jwt.PyJWTError, jwt.PyJWKClientError) as e:
        raise Refused(type(e).__name__) from None
    return claims["sub"], jwt.get_unverified_header(token)["kid"]


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")

    def do_GET(self):
        if self.path == "/health":
            try:
                with psycopg2.connect(database_url) as db, db.cursor() as cur:
                    cur.execute("SELECT 1")
            except psycopg2.Error:
                return self.answer(503, {"status": "database unavailable"})
            return self.answer(200, {"status": "ok", "pid": os.getpid(), "jwt_kid": kid,
                                     "fernet_keys": len(fernet_keys)})
        if self.path == "/api/arenas/health":
            try:
                user, token_kid = user_of(self.headers)
            except Refused as e:
                print(f"arena: refused a token ({e})", file=sys.stderr, flush=True)
                return self.answer(401, {"error": "invalid token"})
            digest = hashlib.sha256()
            with psycopg2.connect(database_url) as db, db.cursor() as cur:
                cur.execute("SELECT id, encrypted_value FROM api_credentials ORDER BY id")
                rows = cur.fetchall()
            for row_id, token in rows:
                try:
                    value = credentials.decrypt(token.encode())
                except InvalidToken:
                    print(f"arena: credential {row_id} does not decrypt", file=sys.stderr, flush=True)
                    return self.answer(500, {"error": f"credential {row_id} does not decrypt"})
                digest.update(f"{row_id}:".encode() + value + b"\n")
            return self.answer(200, {"user": user, "kid": token_kid, "credentials": len(rows),
                                     "decrypted": len(rows), "digest": digest.hexdigest()})
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        if self.path == "/login":
            user = self.body().get("user")
            if not isinstance(user, str) or not user:
                return self.answer(400, {"error": "user must be a non-empty string"})
            now = int(time.time())
            token = jwt.encode({"sub": user, "iat": now, "exp": now + 1800}, signing_key,
                               algorithm="ES256", headers={"kid": kid})
            return self.answer(200, {"access_token": token, "token_type": "bearer"})
        if self.path == "/admin/credentials":
            try:
                user_of(self.headers)
            except Refused as e:
                print(f"arena: refused a token ({e})", file=sys.stderr, flush=True)
                return self.answer(401, {"error": "invalid token"})
            body = self.body()
            provider, value = body.get("provider"), body.get("value")
            if not isinstance(provider, str) or not isinstance(value, str):
                return self.answer(400, {"error": "provider and value must be strings"})
            with psycopg2.connect(database_url) as db, db.cursor() as cur:
                cur.execute("INSERT INTO api_credentials (provider, encrypted_value) VALUES (%s, %s)"
                            " RETURNING id", (provider, credentials.encrypt(value.encode()).decode()))
                row_id = cur.fetchone()[0]
            return self.answer(201, {"id": row_id, "provider": provider})
        self.answer(404, {"error": "not found"})

    def log_message(self, fmt, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
