# nginx as the reference for the read benchmarks (sourced by read.sh, read-ab.sh, http-read.sh):
# a fixed answer from memory, one worker per core, no access log.
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# nginx_config WORK PORT: writes WORK/nginx.conf, answering every request on 127.0.0.1:PORT with
# the bytes of WORK/body.json (pid and error log in WORK). Start it with "$nginx_bin" -c.
nginx_config() {
  local work=$1 port=$2
  cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$port;
    location / { default_type application/json; return 200 '$(cat "$work/body.json")'; }
  }
}
CONF
}
