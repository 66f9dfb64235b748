#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 10: CI's smoke
# run; give 3600 for a real campaign), with cargo-fuzz on the stable
# toolchain (RUSTC_BOOTSTRAP lets it pass libFuzzer's -Z flags). A crash
# leaves its input in fuzz/artifacts/<target>/ and fails the script.
# Needs: cargo install cargo-fuzz --locked
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-10}
command -v cargo-fuzz >/dev/null || { echo "fuzz: cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2; exit 3; }
export RUSTC_BOOTSTRAP=1
# No sanitizer: the decoders are safe Rust, so what a fuzzer can find is a
# panic (debug assertions are on: overflow, out-of-bounds slicing), a hang
# or unbounded memory (-rss_limit_mb, -timeout), and the build is minutes faster.
cargo fuzz build --sanitizer none
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target"
    log="target/fuzz-$target.log"
    rc=0
    cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=512 -print_final_stats=1 >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    if [[ $rc -ne 0 ]]; then
        tail -n 40 "$log" >&2
        echo "fuzz: $target failed after ${runs:-?} runs; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    echo "fuzz: $target: ${runs:-?} runs in ${seconds}s, no failure"
done
