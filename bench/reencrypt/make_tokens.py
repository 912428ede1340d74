"""Writes N Fernet tokens (about 140 characters each) as CSV id,token to stdout, under the key
in the file named by argv[2]; 2 processes. Used by bench/reencrypt.sh."""
import sys
from multiprocessing import Pool
from cryptography.fernet import Fernet

KEY = None


def init(key):
    global KEY
    KEY = Fernet(key)


def chunk(bounds):
    lo, hi = bounds
    # 40 bytes of plaintext: 48 bytes of ciphertext, a 140-character token
    return "".join(
        "%d,%s\n" % (i, KEY.encrypt(b"credential-%029d" % i).decode()) for i in range(lo, hi)
    )


if __name__ == "__main__":
    n = int(sys.argv[1])
    key = open(sys.argv[2], "rb").read().strip()
    step = 50_000
    with Pool(2, init, (key,)) as pool:
        for part in pool.imap(chunk, [(i, min(i + step, n + 1)) for i in range(1, n + 1, step)]):
            sys.stdout.write(part)
