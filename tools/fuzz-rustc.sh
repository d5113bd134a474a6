#!/usr/bin/env bash
# RUSTC_WRAPPER of tools/fuzz.sh: adds libFuzzer's coverage instrumentation
# ($FUZZ_SANCOV) to the crates under test only (umqtt_core, by default;
# FUZZ_INSTRUMENT lists crate names). The harness, the oracle (mqttrs) and
# `arbitrary` stay uninstrumented: their branches would only slow each
# execution (libFuzzer scans every counter after every input, and traced
# comparisons in the harness's own loops cost more than the driver's work)
# without telling the fuzzer anything about the driver.
rustc="$1"
shift
prev=""
for a in "$@"; do
    if [ "$prev" = "--crate-name" ]; then
        for c in ${FUZZ_INSTRUMENT:-umqtt_core}; do
            if [ "$a" = "$c" ]; then
                # shellcheck disable=SC2086 # a list of flags
                exec "$rustc" "$@" $FUZZ_SANCOV
            fi
        done
        break
    fi
    prev="$a"
done
exec "$rustc" "$@"
