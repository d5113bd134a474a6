#!/usr/bin/env bash
# The planted-bug check: does driver_model find a real defect?
#
# Builds driver_model with umqtt-core's `fuzz-plant-qos2-dup` feature (a
# re-sent QoS 2 PUBLISH with packet id 7 is delivered again before its
# PUBREL) and fuzzes it from an empty corpus for at most PLANTED_SECONDS
# (default 120). Exits 0 once the fuzzer stops on exactly that duplicate
# delivery, 1 if it is not caught in time or the run fails on something else.
# Prints the detection time and the executions it took.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/rust/fuzz"
SECS="${PLANTED_SECONDS:-120}"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
TARGET_DIR="$(mkdir -p "${FUZZ_TARGET_DIR:-$FUZZ/target}" && cd "${FUZZ_TARGET_DIR:-$FUZZ/target}" && pwd)"
EXPECT="QoS 2 message id 7 delivered again before its PUBREL"

t0=$(date +%s)
FUZZ_TARGET_DIR="$TARGET_DIR" "$ROOT/tools/fuzz.sh" build plant-qos2-dup
# The same target dir as the normal build (libFuzzer is compiled once); the
# next normal build only relinks. Keep the planted binary under its own name.
bin="$TARGET_DIR/driver_model-planted"
cp "$TARGET_DIR/$TRIPLE/release/driver_model" "$bin"
echo "planted build: $(( $(date +%s) - t0 ))s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
log="$work/log"
start=$(date +%s.%N)
rc=0
"$bin" -max_total_time="$SECS" -print_final_stats=1 -max_len=4096 -timeout=10 \
    -artifact_prefix="$work/" "$work/corpus" >"$log" 2>&1 || rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ "$rc" != 0 ] && grep -q "$EXPECT" "$log"; then
    printf 'planted bug: CAUGHT after %.1fs, %s executions (limit %ss)\n' "$secs" "${execs:-?}" "$SECS"
    grep -m1 -A1 'panicked at' "$log" | tail -1
    exit 0
fi
if [ "$rc" != 0 ]; then
    echo "planted bug: the run failed on something else (exit $rc):"
    grep -m1 -A1 'panicked at' "$log" || tail -20 "$log"
else
    printf 'planted bug: NOT CAUGHT in %ss (%s executions)\n' "$SECS" "${execs:-?}"
fi
exit 1
