#!/usr/bin/env bash
# Side-by-side measurements on this machine, in one run (ratios, not absolute numbers: machines here
# are shared and noisy):
#  1. bench_answer: a cached probe answer against rendering it afresh;
#  2. wrk on loopback: heartbeatd's readiness answer against nginx serving a static file of the
#     same size, same connections, same duration;
#  3. heartbeatd's resident memory after the load.
# Installs nginx and wrk from Debian when missing. Everything listens on 127.0.0.1 only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
for p in nginx-light wrk; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
build="$root/build/bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target heartbeatd bench_answer -j"$(nproc)" >/dev/null

echo "== 1. answer path"
"$build/bench/bench_answer"

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
hb_port=18080 nginx_port=18081
{
    echo "checks:"
    for i in $(seq 1 20); do echo "  - {name: check-$i, type: file, path: /tmp, interval: 1s, timeout: 500ms}"; done
} > "$work/heartbeat.yaml"
"$build/heartbeatd" serve --config "$work/heartbeat.yaml" --listen "127.0.0.1:$hb_port" --log-level warn &
hb_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$hb_port/.well-known/heartbeat/readiness" -o "$work/body.json" && break; sleep 0.1; done
mkdir -p "$work/www"
cp "$work/body.json" "$work/www/readiness"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location / { default_type application/json; add_header Cache-Control no-store; }
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work" &
sleep 0.5

echo "== 2. wrk, 2 threads, 50 connections, 10 s each (body $(wc -c < "$work/body.json") bytes)"
hb=$(wrk -t2 -c50 -d10s "http://127.0.0.1:$hb_port/.well-known/heartbeat/readiness" | tee "$work/hb.txt" | awk '/Requests\/sec/ {print $2}')
ng=$(wrk -t2 -c50 -d10s "http://127.0.0.1:$nginx_port/readiness" | tee "$work/ng.txt" | awk '/Requests\/sec/ {print $2}')
echo "heartbeatd readiness: $hb req/s   latency: $(awk '/Latency/ {print $2, "avg", $4, "max"}' "$work/hb.txt")"
echo "nginx static file:    $ng req/s   latency: $(awk '/Latency/ {print $2, "avg", $4, "max"}' "$work/ng.txt")"
awk -v a="$hb" -v b="$ng" 'BEGIN { printf "ratio heartbeatd/nginx: %.2f\n", a / b }'

echo "== 3. memory"
echo "heartbeatd VmRSS after the load: $(awk '/VmRSS/ {print $2, $3}' /proc/$hb_pid/status)"
