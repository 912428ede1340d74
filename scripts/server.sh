# Sourced by the scripts that run documented commands against a real server.
# start_server NAME: starts `bin/keyturn server` in the current folder (logging to server.log)
# and waits until it answers; sets server_pid. Fails if 127.0.0.1:8270 is already taken.
start_server() {
  if curl -s -o /dev/null http://127.0.0.1:8270/v1/health; then
    echo "$1: something already listens on 127.0.0.1:8270; stop it first" >&2
    return 1
  fi
  bin/keyturn server > server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 1 180); do
    curl -s -o /dev/null http://127.0.0.1:8270/v1/health && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat server.log >&2; return 1; }
    sleep 1
  done
  echo "$1: the server did not answer within 180 s" >&2
  return 1
}

# start_server_at NAME: as start_server, on the address in KEYTURN_LISTEN and KEYTURN_ADDR (a free
# port the caller chose); fails if something already answers there.
start_server_at() {
  if curl -s -o /dev/null "$KEYTURN_ADDR/v1/health"; then
    echo "$1: something listens on $KEYTURN_ADDR" >&2
    return 1
  fi
  bin/keyturn --version > /dev/null  # builds the jar, if it must, outside the wait below
  bin/keyturn server > server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 1 180); do
    curl -s -o /dev/null "$KEYTURN_ADDR/v1/health" && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 1
  done
  cat server.log >&2
  echo "$1: the server did not start" >&2
  return 1
}

# extract_blocks NAME DOC DIR COUNT: writes the ```sh blocks of DOC to DIR/block1.sh, block2.sh, ...
# and fails unless there are COUNT of them (a runbook script checks each block by its number).
extract_blocks() {
  awk -v dir="$3" '/^```sh$/{n++; inblock=1; next} inblock && /^```$/{inblock=0; next} inblock{print > (dir "/block" n ".sh")}' "$2"
  local found
  found=$(ls "$3"/block*.sh | wc -l)
  [ "$found" = "$4" ] || { echo "$1: expected $4 sh blocks in ${2##*/}, found $found (update the script)" >&2; return 1; }
}
