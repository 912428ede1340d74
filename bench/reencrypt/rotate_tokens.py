"""The pipeline runbook E asks teams to write: MultiFernet([new, old]).rotate on every token of a
CSV id,token file (argv[1]) into another (argv[2]), in 2 processes; keys in files argv[3] (new)
and argv[4] (old). Used by bench/reencrypt.sh."""
import sys
from multiprocessing import Pool
from cryptography.fernet import Fernet, MultiFernet

MF = None


def init(new, old):
    global MF
    MF = MultiFernet([Fernet(new), Fernet(old)])


def rotate(lines):
    out = []
    for line in lines:
        i, t = line.rstrip("\n").split(",", 1)
        out.append("%s,%s\n" % (i, MF.rotate(t.encode()).decode()))
    return "".join(out)


def chunks(f, size=20_000):
    batch = []
    for line in f:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


if __name__ == "__main__":
    new = open(sys.argv[3], "rb").read().strip()
    old = open(sys.argv[4], "rb").read().strip()
    with open(sys.argv[1]) as src, open(sys.argv[2], "w") as dst, Pool(2, init, (new, old)) as p:
        for part in p.imap(rotate, chunks(src)):
            dst.write(part)
