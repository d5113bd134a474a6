#!/usr/bin/env bash
# Builds the fuzz targets of rust/fuzz with cargo alone (no cargo-fuzz, no
# nightly: libFuzzer comes from the libfuzzer-sys crate, the coverage
# instrumentation of umqtt-core from stable rustc's LLVM passes) and runs them.
#
#   tools/fuzz.sh build [FEATURES]          build every target
#   tools/fuzz.sh run SECONDS TARGET...     build, then run each TARGET for
#                                           SECONDS, in parallel (one per core)
#
# Each run starts from the committed seeds (rust/fuzz/corpus/TARGET) plus
# what earlier runs on this machine kept (rust/fuzz/corpus-run/TARGET, not
# committed); a failing input goes to rust/fuzz/artifacts/TARGET/. Prints,
# per target: executions, libFuzzer's coverage (cov: edges, ft: features),
# corpus size and wall time. Exits non-zero if a target found a failure.
#
# FUZZ_TARGET_DIR   cargo target dir (default rust/fuzz/target)
# FUZZ_LOG_DIR      where the libFuzzer logs go (default rust/fuzz/artifacts/logs)
# FUZZ_ARGS         extra libFuzzer arguments
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/rust/fuzz"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
TARGET_DIR="$(mkdir -p "${FUZZ_TARGET_DIR:-$FUZZ/target}" && cd "${FUZZ_TARGET_DIR:-$FUZZ/target}" && pwd)"
LOG_DIR="${FUZZ_LOG_DIR:-$FUZZ/artifacts/logs}"

# What `cargo fuzz build --sanitizer none` passes, minus its nightly-only -Z
# flags: sancov's inline 8-bit counters and PC table feed libFuzzer's
# coverage, trace-compares its value profile. Given (by tools/fuzz-rustc.sh,
# the RUSTC_WRAPPER) to umqtt-core only; FUZZ_INSTRUMENT="umqtt_core
# umqtt_fuzz ..." widens it. --cfg fuzzing (all crates) as cargo-fuzz.
export FUZZ_SANCOV="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares"

build() {
    local features="${1:-}"
    # --target keeps RUSTFLAGS off build scripts and proc-macros.
    (cd "$FUZZ" && RUSTFLAGS="--cfg fuzzing" RUSTC_WRAPPER="$ROOT/tools/fuzz-rustc.sh" \
        CARGO_TARGET_DIR="$TARGET_DIR" \
        cargo build --locked --release --target "$TRIPLE" --bins \
        ${features:+--features "$features"})
}

bin_of() {
    echo "$TARGET_DIR/$TRIPLE/release/$1"
}

# Runs one target; prints its summary line. $1 target, $2 seconds.
run_one() {
    local t="$1" secs="$2"
    local work="$FUZZ/corpus-run/$t" art="$FUZZ/artifacts/$t" log="$LOG_DIR/$t.log"
    mkdir -p "$work" "$art" "$LOG_DIR"
    local start end rc=0
    start=$(date +%s)
    # -max_len: the generator reads at most a few KiB; -timeout: one input
    # never takes a second, so 10 s is a hang.
    "$(bin_of "$t")" -max_total_time="$secs" -print_final_stats=1 -max_len=4096 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art/" ${FUZZ_ARGS:-} \
        "$work" "$FUZZ/corpus/$t" >"$log" 2>&1 || rc=$?
    end=$(date +%s)
    summarize "$t" "$log" "$((end - start))" "$rc"
    return "$rc"
}

# target log seconds rc -> one line
summarize() {
    local t="$1" log="$2" secs="$3" rc="$4"
    local execs rate last cov ft corp
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
    local verdict="ok"
    if [ "$rc" != 0 ]; then
        verdict="FAILED (exit $rc): $(grep -m1 -A1 'panicked at' "$log" | tail -1 || true)"
        verdict="$verdict; input: $(sed -n "s/.*Test unit written to //p" "$log" | head -1)"
    fi
    printf 'fuzz %-13s execs=%s exec/s=%s cov=%s ft=%s corpus=%s time=%ss %s\n' \
        "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$secs" "$verdict"
}

case "${1:-}" in
    build)
        build "${2:-}"
        ;;
    run)
        secs="${2:?seconds}"
        shift 2
        [ $# -gt 0 ] || set -- driver_model split_rx v5_decode v5_driver
        t0=$(date +%s)
        build
        echo "fuzz build: $(( $(date +%s) - t0 ))s"
        pids=()
        for t in "$@"; do
            run_one "$t" "$secs" &
            pids+=($!)
        done
        rc=0
        for p in "${pids[@]}"; do
            wait "$p" || rc=1
        done
        exit "$rc"
        ;;
    *)
        sed -n '2,21p' "$0"
        exit 2
        ;;
esac
