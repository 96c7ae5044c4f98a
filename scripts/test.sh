#!/usr/bin/env bash
# Command 2: builds and runs every test twice: an optimised build with -Werror, then an
# ASan + UBSan build; then, under ThreadSanitizer, every test with more than one thread (label
# `threads`); then the deploy tier (label `deploy`: the image, the Kubernetes manifests and the
# compose stack, run with podman), once. All go through CTest; the first failure stops the run.
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
    (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600 -LE deploy \
        ${ctest_label:+-L "$ctest_label"})
    skip_reasons "$dir"
}

# CTest prints "Skipped" but not why: the test programs print each reason as "SKIPPED case: why".
skip_reasons() {
    grep -h '^SKIPPED ' "$1/Testing/Temporary/LastTest.log" >&2 || true
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite test -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite sanitize -DCMAKE_BUILD_TYPE=Debug -DHEARTBEAT_SANITIZE=ON
bash "$root/scripts/fuzz.sh" 30  # libFuzzer targets (clang): 30 s each over a copy of their corpus
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
ctest_label=threads run_suite tsan -DCMAKE_BUILD_TYPE=Debug -DHEARTBEAT_TSAN=ON
echo "== deploy: test" >&2
(cd "$root/build/test" && ctest --output-on-failure -L deploy)
skip_reasons "$root/build/test"
