"""Writes to standard output a Keyturn backup document (the unencrypted JSON that
`keyturn backup restore -` reads) holding COUNT secrets of 64 random hex characters, each with one
current version and no rule. The benches load their servers with it in one request; the values
never touch the disk.

Usage: python3 bench/backup-document.py COUNT [NAME-FORMAT]
NAME-FORMAT is a Python str.format pattern of i, the secret's number, and group, i // 1000
(default: bench/app{group:03d}/S{i:06d}).
"""
import hashlib
import json
import secrets
import sys

n = int(sys.argv[1])
name_format = sys.argv[2] if len(sys.argv) > 2 else "bench/app{group:03d}/S{i:06d}"
out = sys.stdout
out.write('{"format":"keyturn-backup","format_version":1,"created_at":"2026-11-28T00:00:00Z",'
          '"server_id":"bench","root_key_id":"bench","audit_checkpoint":null,"prefix":"","secrets":[')
for i in range(n):
    value = secrets.token_hex(32)
    sha = hashlib.sha256(value.encode()).hexdigest()
    out.write(("," if i else "") + json.dumps({
        "name": name_format.format(i=i, group=i // 1000), "rule": None,
        "versions": [{"version": 1, "stage": "current", "type": "string",
                      "created_at": "2026-11-28T00:00:00Z", "created_by": "bench",
                      "accept_until": None, "value": value, "sha256": sha}]},
        separators=(",", ":")))
out.write('],"secret_count":%d}' % n)
