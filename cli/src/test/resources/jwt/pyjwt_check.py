"""PyJWT's side of JwtCommandTest: verify Keyturn's token, sign tokens for Keyturn to verify.

Reads one job (JSON) on stdin: alg, token, and either hmac_key, or private_pem and jwks_url.
Keyturn's token is verified with PyJWT (asymmetric keys found by kid through PyJWKClient on the
JWKS URL, HMAC keys by value). The kid is computed here from the key alone (RFC 7638), so Keyturn's
thumbprints are checked independently. Prints JSON: the verified claims, the kid, a fresh token and
an expired one (exp two minutes ago) signed by PyJWT with that kid.
"""
import base64
import hashlib
import json
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, size=None):
    size = size or max(1, (n.bit_length() + 7) // 8)
    return b64(n.to_bytes(size, "big"))


def thumbprint(members):
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64(hashlib.sha256(canonical).digest())


def public_members(pub):
    if isinstance(pub, rsa.RSAPublicKey):
        n = pub.public_numbers()
        return {"e": uint(n.e), "kty": "RSA", "n": uint(n.n)}
    if isinstance(pub, ec.EllipticCurvePublicKey):
        n = pub.public_numbers()
        size = (pub.curve.key_size + 7) // 8
        crv = {256: "P-256", 384: "P-384"}[pub.curve.key_size]
        return {"crv": crv, "kty": "EC", "x": uint(n.x, size), "y": uint(n.y, size)}
    if isinstance(pub, ed25519.Ed25519PublicKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"crv": "Ed25519", "kty": "OKP", "x": b64(raw)}
    raise SystemExit("unexpected key type")


job = json.load(sys.stdin)
alg = job["alg"]
if "hmac_key" in job:
    key = job["hmac_key"]
    verify_key, sign_key = key, key
    kid = thumbprint({"k": b64(key.encode()), "kty": "oct"})
else:
    private = serialization.load_pem_private_key(job["private_pem"].encode(), password=None)
    kid = thumbprint(public_members(private.public_key()))
    verify_key = jwt.PyJWKClient(job["jwks_url"]).get_signing_key_from_jwt(job["token"]).key
    sign_key = private

claims = jwt.decode(
    job["token"], verify_key, algorithms=[alg], options={"require": ["exp", "iat"]}
)
now = int(time.time())
fresh = jwt.encode({"sub": "from-pyjwt", "exp": now + 300}, sign_key, algorithm=alg, headers={"kid": kid})
expired = jwt.encode({"sub": "old", "exp": now - 120}, sign_key, algorithm=alg, headers={"kid": kid})
print(json.dumps({"claims": claims, "kid": kid, "token": fresh, "expired": expired}))
