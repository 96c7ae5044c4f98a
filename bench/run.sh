#!/usr/bin/env bash
# Side-by-side measurements on this machine, each printed as a ratio to its reference measured in
# the same run (machines here are shared and noisy: the ratios are what to compare):
#  1. the answer path inside the daemon (bench_answer): a cached answer against rendering it afresh;
#  2. wrk on loopback, keep-alive and a new connection per request, heartbeatd's readiness of 20
#     checks against nginx (one worker) answering the very same body from `return 200`;
#  3. the same over 1, 4, 16, 64 and 256 connections, plotted (bench/throughput.png);
#  4. resident memory: idle with 100 checks, after the load, with 1000 checks after a probe;
#  5. fan-out: a probe over 1000 `interval: 0` tcp checks; 200 exec checks of `true` against a
#     plain posix_spawn + waitpid loop (bench_spawn);
#  6. no stall: probes every 20 ms while 1000 checks against a silent listener time out together;
#  7. a probe storm on `interval: 0` checks: connections counted at the target, p99;
#  8. start-up: exec to the first 200 on readiness.
#
#   bash bench/run.sh            builds a Release tree (build/bench) and runs everything
#   bash bench/run.sh --smoke    a second or two of each, on the binaries given (CTest runs this)
#       [--binary PATH --spawn PATH --answer PATH]
# Installs nginx, wrk and gnuplot from Debian when missing. Everything listens on 127.0.0.1 only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
smoke=0 binary="" spawn="" answer=""
while (($#)); do
    case $1 in
        --smoke) smoke=1 ;;
        --binary) binary=$2; shift ;;
        --spawn) spawn=$2; shift ;;
        --answer) answer=$2; shift ;;
        *) echo "usage: $0 [--smoke] [--binary PATH --spawn PATH --answer PATH]" >&2; exit 2 ;;
    esac
    shift
done
need=()
for p in nginx-light wrk gnuplot-nox; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [[ -z $binary ]]; then
    bash "$root/scripts/setup.sh" --build
    build="$root/build/bench"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" --target heartbeatd bench_answer bench_spawn -j"$(nproc)" >/dev/null
    binary="$build/heartbeatd" spawn="$build/bench/bench_spawn" answer="$build/bench/bench_answer"
fi
if ((smoke)); then
    secs=1 sweep=(1 16) many=100 execs=20 stall_secs=1
else
    secs=3 sweep=(1 4 16 64 256) many=1000 execs=200 stall_secs=5
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
helpers=(python3 "$root/bench/helpers.py")
ready=/.well-known/heartbeat/readiness
summary="$work/summary.md"
echo "| measure | heartbeatd | reference | ratio | target |" > "$summary"
echo "|---|---|---|---|---|" >> "$summary"
row() { echo "| $1 | $2 | $3 | $4 | $5 |" >> "$summary"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_port PORT: until something answers HTTP there (at most 10 s).
wait_http() {
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done
    echo "nothing answers on 127.0.0.1:$1" >&2; return 1
}
# start NAME CONFIG: heartbeatd on CONFIG at a free port; sets port and pid.
start() {
    port=$(free_port)
    "$binary" serve --config "$2" --listen "127.0.0.1:$port" --log-level warn 2>"$work/$1.log" &
    pid=$!
    wait_http "$port"
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# wrk_run URL CONNECTIONS [close]: prints "req/s p99_us".
wrk_run() {
    local extra=()
    [[ ${3:-} == close ]] && extra=(-H "Connection: close")
    wrk -t1 -c"$2" -d"${secs}s" --latency "${extra[@]}" "$1" | awk '
        /Requests\/sec/ {rps = $2}
        /^ +99%/ {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                  p99 = (u == "ms") ? v * 1000 : (u == "s") ? v * 1000000 : v}
        END {print rps, p99}'
}

echo "== 1. answer path"
"$answer"

echo "== 2-3. wrk against nginx return 200 (one worker), the same body"
{ echo "checks:"; for i in $(seq 1 20); do
      echo "  - {name: check-$i, type: file, path: /tmp, interval: 1s, timeout: 500ms}"; done
} > "$work/twenty.yaml"
start twenty "$work/twenty.yaml"
hb_port=$port hb_pid=$pid
curl -sf "http://127.0.0.1:$hb_port$ready" -o "$work/body.json"
nginx_port=$(free_port)
python3 - "$work" "$nginx_port" <<'PY'
import sys
work, port = sys.argv[1], sys.argv[2]
body = open(f"{work}/body.json").read().replace("\\", "\\\\").replace("'", "\\'")
open(f"{work}/nginx.conf", "w").write(f"""worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; add_header Cache-Control no-store;
                 return 200 '{body}'; }}
  }}
}}
""")
PY
nginx -c "$work/nginx.conf" -p "$work" &
wait_http "$nginx_port"
cmp -s <(curl -s "http://127.0.0.1:$nginx_port$ready") "$work/body.json" ||
    { echo "nginx does not answer the same body" >&2; exit 1; }
echo "body: $(wc -c < "$work/body.json") bytes"
: > "$work/sweep.dat"
for mode in keep close; do
    for c in "${sweep[@]}"; do
        read -r hb_rps hb_p99 < <(wrk_run "http://127.0.0.1:$hb_port$ready" "$c" "$mode")
        read -r ng_rps ng_p99 < <(wrk_run "http://127.0.0.1:$nginx_port$ready" "$c" "$mode")
        echo "$mode $c $hb_rps $hb_p99 $ng_rps $ng_p99" >> "$work/sweep.dat"
        printf '%-5s %3s conn: heartbeatd %9s req/s p99 %6s us | nginx %9s req/s p99 %6s us | %s\n' \
            "$mode" "$c" "$hb_rps" "$hb_p99" "$ng_rps" "$ng_p99" "$(ratio "$hb_rps" "$ng_rps")"
        if ((c == 16)); then
            if [[ $mode == keep ]]; then
                row "keep-alive req/s, 16 connections" "$hb_rps" "$ng_rps" "$(ratio "$hb_rps" "$ng_rps")" "≥ 0.9"
                row "keep-alive p99 (µs), 16 connections" "$hb_p99" "$ng_p99" "$(ratio "$hb_p99" "$ng_p99")" "≤ 1.5"
            else
                row "new connection req/s, 16 connections" "$hb_rps" "$ng_rps" "$(ratio "$hb_rps" "$ng_rps")" "≥ 1.0"
            fi
        fi
    done
done
after_load=$(rss_kib "$hb_pid")
kill "$hb_pid"; wait "$hb_pid" 2>/dev/null || true
plot="$root/bench/throughput.png"
((smoke)) && plot="$work/throughput.png"
gnuplot <<GP
set terminal pngcairo size 1200,480 font ",10"
set output "$plot"
set multiplot layout 1,2 title "heartbeatd readiness (20 checks) against nginx return 200, same body, wrk -t1 ${secs}s"
set logscale x 2
set xlabel "connections"
set key center right
set ylabel "requests/s"
plot "< grep ^keep $work/sweep.dat" using 2:3 with linespoints title "heartbeatd keep-alive", \
     "< grep ^keep $work/sweep.dat" using 2:5 with linespoints title "nginx keep-alive", \
     "< grep ^close $work/sweep.dat" using 2:3 with linespoints title "heartbeatd new connection", \
     "< grep ^close $work/sweep.dat" using 2:5 with linespoints title "nginx new connection"
set ylabel "p99 latency (µs)"
set logscale y
plot "< grep ^keep $work/sweep.dat" using 2:4 with linespoints title "heartbeatd keep-alive", \
     "< grep ^keep $work/sweep.dat" using 2:6 with linespoints title "nginx keep-alive", \
     "< grep ^close $work/sweep.dat" using 2:4 with linespoints title "heartbeatd new connection", \
     "< grep ^close $work/sweep.dat" using 2:6 with linespoints title "nginx new connection"
unset multiplot
GP
[[ -s $plot ]] || { echo "no plot made" >&2; exit 1; }
echo "plot: $plot"

echo "== 4. memory"
{ echo "checks:"; for i in $(seq 1 100); do
      echo "  - {name: check-$i, type: file, path: /tmp, interval: 10s}"; done
} > "$work/hundred.yaml"
start hundred "$work/hundred.yaml"
curl -sf -o /dev/null "http://127.0.0.1:$port$ready"
sleep 1
idle=$(rss_kib "$pid")
nginx_rss=$(rss_kib "$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)")
stop
echo "idle, 100 checks: $idle KiB; after the load (20 checks): $after_load KiB; nginx worker: $nginx_rss KiB"
row "VmRSS idle, 100 checks (KiB)" "$idle" "$nginx_rss (nginx worker)" "$(ratio "$idle" "$nginx_rss")" "≤ 6144 KiB"
row "VmRSS after the load (KiB)" "$after_load" "" "" "≤ 12288 KiB"

echo "== 5. fan-out"
{ echo "checks:"; for i in $(seq 1 "$many"); do
      echo "  - {name: tcp-$i, type: tcp, host: 127.0.0.1, port: $nginx_port, interval: 0}"; done
} > "$work/fanout.yaml"
start fanout "$work/fanout.yaml"
best=""
for _ in 1 2 3; do
    sleep 1.1  # past the reuse window: every check runs for the next probe
    t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$ready")
    best=$(awk -v a="$t" -v b="${best:-1e9}" 'BEGIN { print (a * 1000 < b) ? a * 1000 : b }')
done
fan_rss=$(rss_kib "$pid")
stop
echo "one probe over $many tcp checks: $best ms (best of 3); VmRSS after it: $fan_rss KiB"
row "probe over $many interval: 0 tcp checks (ms)" "$best" "" "" "≤ 100"
row "VmRSS with $many checks after a probe (KiB)" "$fan_rss" "" "" "≤ 24576 KiB"
{ echo "checks:"; for i in $(seq 1 "$execs"); do
      echo "  - {name: exec-$i, type: exec, command: [/bin/true], interval: 0, timeout: 5s}"; done
} > "$work/exec.yaml"
start exec "$work/exec.yaml"
hb_exec=""
for _ in 1 2 3; do
    sleep 1.1
    t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$ready")
    hb_exec=$(awk -v a="$t" -v b="${hb_exec:-1e9}" 'BEGIN { print (a * 1000 < b) ? a * 1000 : b }')
done
stop
ref_exec=$("$spawn" "$execs" /bin/true)
echo "$execs exec checks of true: $hb_exec ms; posix_spawn + waitpid loop: $ref_exec ms"
row "$execs exec checks of true (ms)" "$hb_exec" "$ref_exec (spawn loop)" "$(ratio "$hb_exec" "$ref_exec")" "≤ 2"

echo "== 6. no stall while $many results land together"
"${helpers[@]}" listener "$work/silent.port" silent &
for _ in $(seq 50); do [[ -s $work/silent.port ]] && break; sleep 0.1; done
{ echo "checks:"; for i in $(seq 1 "$many"); do
      echo "  - {name: hang-$i, type: tcp, host: 127.0.0.1, port: $(cat "$work/silent.port"), interval: 1s, timeout: 800ms}"; done
} > "$work/stall.yaml"
port=$(free_port)
"$binary" serve --config "$work/stall.yaml" --listen "127.0.0.1:$port" --log-level error &
pid=$!
read -r first median p99 worst < <("${helpers[@]}" latency "$port" "$ready" "$stall_secs")
stop
echo "probes every 20 ms: the first (waits for first results) $first ms; then median $median, p99 $p99, worst $worst ms"
row "worst probe while $many results land (ms)" "$worst" "" "" "≤ 50"

echo "== 7. probe storm on interval: 0 checks"
"${helpers[@]}" listener "$work/count.port" accept "$work/count" &
for _ in $(seq 50); do [[ -s $work/count.port ]] && break; sleep 0.1; done
{ echo "checks:"; for i in $(seq 1 5); do
      echo "  - {name: dep-$i, type: tcp, host: 127.0.0.1, port: $(cat "$work/count.port"), interval: 0}"; done
} > "$work/storm.yaml"
start storm "$work/storm.yaml"
sleep 0.5
before=$(cat "$work/count" 2>/dev/null || echo 0)
read -r storm_rps storm_p99 < <(wrk_run "http://127.0.0.1:$port$ready" 4)
sleep 0.5
after=$(cat "$work/count")
stop
runs=$((after - before))
allowed=$((5 * (secs + 2)))
echo "$storm_rps req/s for ${secs}s, p99 $storm_p99 us; connections at the target: $runs (at most $allowed: 5 checks, one run per 1 s window)"
row "storm: req/s, p99 (µs)" "$storm_rps, $storm_p99" "" "" "≥ 5000 req/s, p99 ≤ 5000 µs"
row "storm: runs at the target in ${secs}s" "$runs" "$allowed allowed" "" "one per check per window"
((runs <= allowed)) || { echo "the storm ran checks more often than the reuse window allows" >&2; exit 1; }

echo "== 8. start-up"
start_ms=$("${helpers[@]}" startup "$binary" "$work/twenty.yaml" "$(free_port)")
echo "exec to the first 200 on readiness: $start_ms ms"
row "start-up to the first 200 (ms)" "$start_ms" "" "" "≤ 20"

echo "== summary"
cat "$summary"
