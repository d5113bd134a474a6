#!/usr/bin/env bash
# Miri over umqtt-core's tests (unit and integration) and umqtt-ffi's unit
# tests (the C ABI: every pointer the shim hands over is read here), with
# MQTT 5 compiled in (its property functions take pointers too).
#
#   tools/miri.sh
#
# MIRI_ARGS   cargo test selection (default: every test target of both
#             crates; CI passes --lib: the unit tests only)
# MIRI_SKIP   test names to skip (substring match, space separated); by
#             default the loops over all 65,535 packet ids or 20 KB payloads
#             in safe code (minutes each under Miri); MIRI_SKIP= runs all
#
# Needs rustup's nightly toolchain; adds its `miri` and `rust-src`
# components if they are missing (rustup fetches them), builds Miri's
# sysroot (its std's crates come from crates.io), then runs
# `cargo +nightly miri test`. Proptest case counts are cut under cfg(miri)
# (the tests' own configs).
#
# -Zmiri-ignore-leaks: the tests that lend the incoming-QoS 2 map leak it
# on purpose (`Vec::leak` for a `&'static mut [u8]`); the crates themselves
# never allocate (no_std, no allocator), so there is nothing else to leak.
# -Zmiri-disable-isolation: proptest looks up the working directory for its
# regression files.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# rustup's cargo (for +nightly), ahead of a distribution's.
[ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"
DEFAULT_SKIP="packet_ids_wrap_past_65535 decode_of_encode_publish_round_trips"
TC="${MIRI_TOOLCHAIN:-nightly}"

t0=$(date +%s)
if ! rustup run "$TC" rustc --version >/dev/null 2>&1; then
    echo "miri: no $TC toolchain (rustup toolchain list: $(rustup toolchain list | tr '\n' ' '))" >&2
    exit 1
fi
have=$(rustup component list --toolchain "$TC" --installed)
for c in miri rust-src; do
    grep -q "^$c" <<<"$have" || rustup component add --toolchain "$TC" "$c"
done
cargo "+$TC" miri setup
echo "miri setup: $(( $(date +%s) - t0 ))s ($(cargo "+$TC" miri --version))"

skip=()
for s in ${MIRI_SKIP-$DEFAULT_SKIP}; do
    skip+=(--skip "$s")
done
t1=$(date +%s)
rc=0
# shellcheck disable=SC2086 # MIRI_ARGS is a list of words
MIRIFLAGS="${MIRIFLAGS:--Zmiri-ignore-leaks -Zmiri-disable-isolation}" CARGO_TARGET_DIR="$ROOT/target/miri" \
    cargo "+$TC" miri test --locked -p umqtt-core -p umqtt-ffi --features umqtt-ffi/mqtt5 ${MIRI_ARGS:-} -- "${skip[@]}" || rc=$?
echo "miri test: $(( $(date +%s) - t1 ))s, exit $rc"
exit "$rc"
