#!/usr/bin/env bash
# Change-event latency: STREAMS open GET /v1/watch streams on one server (SQLite), then ROUNDS puts
# of one secret, one second apart; for each put, the time from sending the PUT to each stream's
# version event for it. Prints p50, p99 and max over every (put, stream) pair, the machine's load
# (uptime) before and after, and the server's resident memory. A python3 asyncio client (standard
# library only) holds the streams and times them. Goal (issue 14): p99 under 1 s.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
streams=${STREAMS:-1000}
rounds=${ROUNDS:-20}
kt_port=${KT_PORT:-18291}

work=$(mktemp -d)
cleanup() {
  set +e
  [ -n "${kt_pid:-}" ] && kill "$kt_pid" 2>/dev/null && wait "$kt_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$repo/bin/keyturn" generate hex:1 >/dev/null   # builds the jar if needed
# Every stream connects from 127.0.0.1: let them all be in progress while they open.
"$repo/bin/keyturn" server --data "$work/data" --listen "127.0.0.1:$kt_port" \
  --max-requests-per-client $((streams + 64)) --max-streams $((streams + 64)) \
  >"$work/server.log" 2>&1 &
kt_pid=$!
export KEYTURN_ADDR="http://127.0.0.1:$kt_port" KEYTURN_TOKEN_FILE="$work/data/root.token"
for _ in $(seq 1 60); do curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && break; sleep 0.5; done
watch_token=$("$repo/bin/keyturn" token create --allow 'read:bench/watch/*' --name bench 2>/dev/null)
root_token=$(cat "$work/data/root.token")

echo "command: $0 (STREAMS=$streams ROUNDS=$rounds)"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load before: $(uptime)"
KT_PORT=$kt_port WATCH_TOKEN=$watch_token ROOT_TOKEN=$root_token STREAMS=$streams ROUNDS=$rounds \
  python3 - <<'PY'
import asyncio, json, os, resource, statistics, time

port = int(os.environ["KT_PORT"])
streams = int(os.environ["STREAMS"])
rounds = int(os.environ["ROUNDS"])
watch_token = os.environ["WATCH_TOKEN"]
root_token = os.environ["ROOT_TOKEN"]
name = "bench/watch/KEY"
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

ready = 0
all_ready = asyncio.Event()
sent = {}            # version number -> monotonic time the PUT was sent
arrived = {}         # version number -> list of arrival times
answered = []        # milliseconds from sending each PUT to its status line
failures = []

async def stream(i):
    global ready
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write((f"GET /v1/watch?prefix=bench/watch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             f"Accept: text/event-stream\r\nAuthorization: Bearer {watch_token}\r\n\r\n").encode())
    status = await r.readline()
    if b" 200 " not in status:
        failures.append(status.decode().strip())
        ready += 1
        if ready == streams:
            all_ready.set()
        return
    while (await r.readline()) not in (b"\r\n", b""):
        pass
    # Chunked transfer: the chunk-size lines are not SSE lines and never start with "data:".
    while True:
        line = await r.readline()
        if not line:
            return
        if line.startswith(b": ready"):
            ready += 1
            if ready == streams:
                all_ready.set()
        elif line.startswith(b"data: "):
            now = time.monotonic()
            data = json.loads(line[6:])
            if data["name"] == name and data["stage"] == "current":
                arrived.setdefault(data["version"], []).append(now)

async def put(version):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"value": f"v{version}"}).encode()
    sent[version] = time.monotonic()
    w.write((f"PUT /v1/secrets/{name} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
             f"Authorization: Bearer {root_token}\r\nContent-Type: application/json\r\n"
             f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    await w.drain()
    status = await r.readline()
    answered.append((time.monotonic() - sent[version]) * 1000)
    if b" 200 " not in status and b" 201 " not in status:
        raise SystemExit("put failed: " + status.decode())
    await r.read()
    w.close()

async def main():
    tasks = []
    for i in range(streams):
        tasks.append(asyncio.create_task(stream(i)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(all_ready.wait(), 120)
    if failures:
        raise SystemExit(f"{len(failures)} streams refused: {failures[0]}")
    await asyncio.sleep(1)
    for v in range(1, rounds + 1):
        await put(v)
        deadline = time.monotonic() + 10
        while len(arrived.get(v, [])) < streams and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(1)
    lat = []
    missing = 0
    for v in range(1, rounds + 1):
        got = arrived.get(v, [])
        missing += streams - len(got)
        lat += [(t - sent[v]) * 1000 for t in got]
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"{streams} streams, {rounds} puts: {len(lat)} events, {missing} missing after 10 s")
    print(f"put -> event: p50 {p(0.50):.0f} ms   p99 {p(0.99):.0f} ms   max {lat[-1]:.0f} ms"
          f"   (goal: p99 under 1000 ms)")
    print(f"the PUT's own answer: median {statistics.median(answered):.0f} ms"
          f" (the rest is the 50 ms table poll and the fan-out to {streams} streams)")
    for t in tasks:
        t.cancel()

asyncio.run(main())
PY
echo "load after: $(uptime)"
rss=$(awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$kt_pid/status")
echo "server resident memory with $streams streams open: $rss MB"
