#!/usr/bin/env bash
# The planted-bug check: does driver_model find a real defect?
#
#   tools/fuzz-planted.sh [plant-qos2-dup] [plant-wrong-ack]   (default: both)
#
# For each planted bug, builds driver_model with that umqtt-core feature
# (fuzz-plant-qos2-dup: a re-sent QoS 2 PUBLISH with packet id 7 is
# delivered again before its PUBREL; fuzz-plant-wrong-ack: with three or
# more messages in flight a PUBACK completes the oldest QoS 1 message, not
# the one it names) and fuzzes it from an empty corpus for at most
# PLANTED_SECONDS (default 120). Exits 0 when the fuzzer stopped on the
# planted defect every time, 1 if one was not caught in time or a run failed
# on something else. Prints the detection time and the executions it took.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/rust/fuzz"
SECS="${PLANTED_SECONDS:-120}"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
TARGET_DIR="$(mkdir -p "${FUZZ_TARGET_DIR:-$FUZZ/target}" && cd "${FUZZ_TARGET_DIR:-$FUZZ/target}" && pwd)"

# feature | what the failure must say (an extended regex). A PUBACK that
# completes the wrong message shows in more than one check (the in-flight
# count, the resend list, a ticket, a re-send the driver can no longer
# encode): any failed check of the harness counts, since the same target
# runs clean without the plant.
PLANTS=(
    "plant-qos2-dup|QoS 2 message id 7 delivered again before its PUBREL"
    "plant-wrong-ack|panicked at src/lib.rs"
)
[ $# -gt 0 ] || set -- plant-qos2-dup plant-wrong-ack

check() {
    local feature="$1" expect="$2"
    local t0
    t0=$(date +%s)
    FUZZ_TARGET_DIR="$TARGET_DIR" "$ROOT/tools/fuzz.sh" build "$feature" >/dev/null 2>&1 ||
        FUZZ_TARGET_DIR="$TARGET_DIR" "$ROOT/tools/fuzz.sh" build "$feature"
    # The same target dir as the normal build (libFuzzer is compiled once);
    # the next normal build only relinks. Keep this binary under its own name.
    local bin="$TARGET_DIR/driver_model-$feature"
    cp "$TARGET_DIR/$TRIPLE/release/driver_model" "$bin"
    local work log start secs execs rc=0
    work="$(mktemp -d)"
    mkdir -p "$work/corpus"
    log="$work/log"
    start=$(date +%s.%N)
    "$bin" -max_total_time="$SECS" -print_final_stats=1 -max_len=4096 -timeout=10 \
        -artifact_prefix="$work/" "$work/corpus" >"$log" 2>&1 || rc=$?
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    local said
    said=$(grep -m1 -A1 'panicked at' "$log" | tail -1 || true)
    local ok=1
    if [ "$rc" != 0 ] && grep -A1 'panicked at' "$log" | grep -Eq "$expect"; then
        printf 'planted %-16s CAUGHT after %.1fs, %s executions (limit %ss, build %ss): %s\n' \
            "$feature" "$secs" "${execs:-?}" "$SECS" "$(( $(date +%s) - t0 ))" "$said"
        ok=0
    elif [ "$rc" != 0 ]; then
        echo "planted $feature: the run failed on something else (exit $rc): $said"
        tail -5 "$log"
    else
        printf 'planted %-16s NOT CAUGHT in %ss (%s executions)\n' "$feature" "$SECS" "${execs:-?}"
    fi
    rm -rf "$work"
    return "$ok"
}

rc=0
for f in "$@"; do
    found=""
    for p in "${PLANTS[@]}"; do
        [ "${p%%|*}" = "$f" ] && found="${p#*|}"
    done
    [ -n "$found" ] || { echo "unknown planted bug $f"; exit 2; }
    check "$f" "$found" || rc=1
done
# Leave the normal build in place of the last planted one.
FUZZ_TARGET_DIR="$TARGET_DIR" "$ROOT/tools/fuzz.sh" build >/dev/null 2>&1 || true
exit "$rc"
