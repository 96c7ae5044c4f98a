#!/usr/bin/env bash
# Command 2: builds and runs every test twice: an optimised build with -Werror, then an
# ASan + UBSan build. Both go through CTest; the first failure stops the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
jobs=$(nproc)

run_suite() {
    local name=$1; shift
    local dir="$root/build/$name"
    echo "== $name: configure and build" >&2
    cmake -S "$root" -B "$dir" -DHEARTBEAT_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    echo "== $name: test" >&2
    (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600)
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite test -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite sanitize -DCMAKE_BUILD_TYPE=Debug -DHEARTBEAT_SANITIZE=ON
bash "$root/scripts/fuzz.sh" 30  # libFuzzer targets (clang): 30 s each over a copy of their corpus
