#!/usr/bin/env bash
# Command 1: builds heartbeatd (Release) and runs it on the bundled config/heartbeat.yaml.
# Extra arguments go to `heartbeatd serve`, e.g. `--listen 127.0.0.1:9090`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh" --build
cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DHEARTBEAT_TESTS=OFF >/dev/null
cmake --build "$root/build/release" --target heartbeatd -j"$(nproc)"
exec "$root/build/release/heartbeatd" serve --config "$root/config/heartbeat.yaml" "$@"
