#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build/fuzz, replays every saved regression input, then
# fuzzes each target for a bounded time over a copy of its corpus. Fails when any target crashes,
# leaks, hits undefined behaviour, runs out of memory or hangs on an input.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]     (default: 30 s each; config pep routes url push expand expect_json)
#
# The corpus grows in build/fuzz/corpus/TARGET (seeded from tests/fuzz/corpus/TARGET, which is
# never written to); logs go to build/fuzz/logs, crashing inputs to build/fuzz/artifacts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(config pep routes url push expand expect_json)
jobs=$(nproc)
dir="$root/build/fuzz"
src="$root/tests/fuzz"

echo "== fuzz: configure and build" >&2
# As fuzzing builds usually are: light optimisation, line tables for the stacks, assertions kept.
cmake -S "$root" -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DHEARTBEAT_FUZZ=ON -DHEARTBEAT_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" >/dev/null
cmake --build "$dir" -j"$jobs" --target "${targets[@]/#/fuzz_}"

# Our own sanitizer settings, whatever the caller exported: leaks count, UB stops the run. A
# smaller quarantine than ASan's 256 MB still catches a parser's use-after-free, and keeps a run of
# hours from growing into the RSS limit.
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:quarantine_size_mb=64
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# run_target NAME: replays the regressions, then fuzzes; its output goes to logs/NAME.log.
run_target() {
    local t=$1 exe="$dir/tests/fuzz/fuzz_$1" corpus="$dir/corpus/$1" log="$dir/logs/$1.log"
    mkdir -p "$corpus" "$dir/artifacts/$t"
    rm -f "$log.replay"
    cp -n "$src/corpus/$t"/* "$corpus/" 2>/dev/null || true
    local saved=("$src/regressions/$t"/*)
    if [[ -e ${saved[0]} ]]; then
        "$exe" -timeout=30 -rss_limit_mb=2048 "${saved[@]}" >"$log.replay" 2>&1 || return 1
    fi
    "$exe" "$corpus" -dict="$src/dict/$t.dict" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=256 -artifact_prefix="$dir/artifacts/$t/" -print_final_stats=1 \
        >"$log" 2>&1
}

mkdir -p "$dir/logs"
echo "== fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time" >&2
declare -A pids
failed=()
finish() {
    local t=$1
    if wait "${pids[$t]}"; then
        # libFuzzer's last status line: "#RUNS DONE cov: N ft: N corp: N/SIZE ... exec/s: N ..."
        echo "fuzz $t: ok: $(grep -a 'DONE' "$dir/logs/$t.log" | tail -1 | sed 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*//')" >&2
    else
        failed+=("$t")
        echo "fuzz $t: FAILED (log: $dir/logs/$t.log, inputs: $dir/artifacts/$t/)" >&2
        tail -n 60 "$dir/logs/$t.log.replay" "$dir/logs/$t.log" 2>/dev/null >&2 || true
    fi
}
running=()
for t in "${targets[@]}"; do
    run_target "$t" &
    pids[$t]=$!
    running+=("$t")
    if ((${#running[@]} >= jobs)); then
        finish "${running[0]}"
        running=("${running[@]:1}")
    fi
done
for t in "${running[@]}"; do finish "$t"; done

if ((${#failed[@]})); then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: every target ran ${seconds} s without a finding" >&2
