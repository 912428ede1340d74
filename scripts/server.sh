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
