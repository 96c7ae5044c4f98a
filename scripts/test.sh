#!/usr/bin/env bash
# Command 2: builds and runs every test twice: an optimised build with -Werror, then an
# ASan + UBSan build; then, under ThreadSanitizer, every test with more than one thread (label
# `threads`); then the deploy tier (label `deploy`: the image, the Kubernetes manifests and the
# compose stack, run with podman), once. All go through CTest; the first failure stops the run.
#
# Disk: the test programs share one shared library of the core (HEARTBEAT_SHARED_CORE), keep line
# tables only, compressed (enough for sanitizer stacks and gdb backtraces), and a sanitizer tree
# whose tests passed is removed (HEARTBEAT_KEEP_BUILDS=1 keeps it); build/test stays for the
# deploy tier and for `ctest` by hand.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
jobs=$(nproc)

free_mb=$(df -Pm "$root" | awk 'NR == 2 {print $4}')
if ((free_mb < 6000)); then
    echo "warning: ${free_mb} MB free under $root; the test command needs about 6 GB" \
         "(build trees of about 1 GB each, container images)" >&2
fi
# Line tables only, compressed; appended after the build type's own flags, so they win.
lean=(-DCMAKE_CXX_FLAGS=-gz -DCMAKE_EXE_LINKER_FLAGS=-gz -DCMAKE_SHARED_LINKER_FLAGS=-gz
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_DEBUG="-g1")

run_suite() {
    local name=$1; shift
    local dir="$root/build/$name"
    echo "== $name: configure and build" >&2
    cmake -S "$root" -B "$dir" -DHEARTBEAT_WERROR=ON "${lean[@]}" "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    echo "== $name: test" >&2
    (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600 -LE deploy \
        ${ctest_label:+-L "$ctest_label"})
    skip_reasons "$dir"
}

# drop_tree NAME: removes a sanitizer suite's build tree once its tests passed.
drop_tree() {
    [[ ${HEARTBEAT_KEEP_BUILDS:-0} == 1 ]] || rm -rf "$root/build/$1"
}

# CTest prints "Skipped" but not why: the test programs print each reason as "SKIPPED case: why".
skip_reasons() {
    grep -h '^SKIPPED ' "$1/Testing/Temporary/LastTest.log" >&2 || true
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite test -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite sanitize -DCMAKE_BUILD_TYPE=Debug -DHEARTBEAT_SANITIZE=ON
drop_tree sanitize
bash "$root/scripts/fuzz.sh" 30  # libFuzzer targets (clang): 30 s each over a copy of their corpus
drop_tree fuzz
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
ctest_label=threads run_suite tsan -DCMAKE_BUILD_TYPE=Debug -DHEARTBEAT_TSAN=ON
drop_tree tsan
echo "== deploy: test" >&2
(cd "$root/build/test" && ctest --output-on-failure -L deploy)
skip_reasons "$root/build/test"
