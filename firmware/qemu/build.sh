#!/usr/bin/env bash
# Build MicroPython's qemu port (MicroPython 1.25, Debian's source tree) with
# umqtt for emulated ARM boards:
#
#   firmware/qemu/build.sh [--variant umqtt|module|module-mqtt5|module-no-aio|
#       module-no-faces|module-no-chunks|module-minimal|plain|simple] [BOARD...]
#
# BOARD: MPS2_AN385 (Cortex-M3, Rust target thumbv7m-none-eabi) and/or
# SABRELITE (Cortex-A9, ARMv7-A, armv7a-none-eabi); default both. The Rust
# target is picked by cmodule/umqtt/micropython.mk from the board's CPU flags.
# Variants (for size comparisons):
#   umqtt   the module built in, with asyncio and umqtt.aio frozen
#           (firmware/qemu/manifest.py)      -> build/qemu-<BOARD>/firmware.elf
#   module  the module alone: no asyncio, umqtt.aio, time or select frozen or
#           added (what make size-arm measures), MQTT 5 left out
#           (UMQTT_MQTT5=0: the C shim and the Rust core without it)
#                                            -> build/qemu-<BOARD>-module/firmware.elf
#   module-mqtt5  the same with MQTT 5 (UMQTT_MQTT5=1, the default of every
#           other build; the module variant has its own cargo dir)
#                                            -> build/qemu-<BOARD>-module-mqtt5/firmware.elf
#   module-no-aio, module-no-faces, module-no-chunks  module-mqtt5 (every
#           switch at its default) with one switch off (UMQTT_AIO=0,
#           UMQTT_FACES=0, UMQTT_CHUNKS=0): what that feature costs
#                                            -> build/qemu-<BOARD>-module-no-aio/firmware.elf, ...
#   module-minimal  every switch off (UMQTT_MINIMAL=1: no MQTT 5, umqtt.aio,
#           umqtt.simple/robust or chunked delivery)
#                                            -> build/qemu-<BOARD>-module-minimal/firmware.elf
#   plain   the same firmware without it     -> build/qemu-<BOARD>-plain/firmware.elf
#   simple  without it, micropython-lib's umqtt.simple frozen as bytecode
#           (UMQTT_SIMPLE_DIR=<folder holding umqtt/simple.py>)
#                                            -> build/qemu-<BOARD>-simple/firmware.elf
# Run one: qemu-system-arm -machine mps2-an385 -nographic -monitor null
#   -semihosting -serial mon:stdio -kernel build/qemu-MPS2_AN385/firmware.elf
# (SABRELITE: -machine sabrelite -m 128M). MICROPY_DIR=<tree> uses another
# MicroPython; JOBS (default 2) sets make's parallelism.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MICROPY_DIR=${MICROPY_DIR:-$ROOT/deps/micropython}
JOBS=${JOBS:-2}
variant=umqtt
boards=()
while [ $# -gt 0 ]; do
    case "$1" in
        --variant) variant=$2; shift 2 ;;
        --variant=*) variant=${1#--variant=}; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) boards+=("$1"); shift ;;
    esac
done
[ ${#boards[@]} -gt 0 ] || boards=(MPS2_AN385 SABRELITE)

if [ ! -f "$MICROPY_DIR/py/mpconfig.h" ]; then
    "$ROOT/tools/fetch-micropython.sh" "$MICROPY_DIR"
fi
for tool in arm-none-eabi-gcc /usr/bin/cargo /usr/bin/rustc; do
    command -v "$tool" >/dev/null || {
        echo "build.sh: $tool missing (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi rustc-web cargo-web rust-web-src)" >&2
        exit 1
    }
done

args=(USER_C_MODULES="$ROOT/firmware/qemu/modules" FROZEN_MANIFEST=)
cargo_dir="$ROOT/build/qemu-cargo"
features_note=
case "$variant" in
    umqtt)
        suffix=
        args+=(FROZEN_MANIFEST="$ROOT/firmware/qemu/manifest.py")
        ;;
    module)
        suffix=-module
        args+=(UMQTT_QEMU_NO_AIO=1 UMQTT_MQTT5=0)
        cargo_dir="$ROOT/build/qemu-cargo-no-mqtt5"
        features_note="UMQTT_MQTT5=0: no MQTT 5 in the shim or the core"
        ;;
    module-mqtt5)
        suffix=-module-mqtt5
        args+=(UMQTT_QEMU_NO_AIO=1 UMQTT_MQTT5=1)
        features_note="UMQTT_MQTT5=1: MQTT 5 in the shim (MICROPY_PY_UMQTT_MQTT5) and the core (cargo feature mqtt5)"
        ;;
    module-no-aio|module-no-faces|module-no-chunks)
        suffix=-$variant
        switch=UMQTT_$(tr a-z A-Z <<<"${variant#module-no-}")
        args+=(UMQTT_QEMU_NO_AIO=1 UMQTT_MQTT5=1 "$switch=0")
        features_note="$switch=0, every other switch at its default (on)"
        ;;
    module-minimal)
        suffix=-module-minimal
        args+=(UMQTT_QEMU_NO_AIO=1 UMQTT_MINIMAL=1)
        cargo_dir="$ROOT/build/qemu-cargo-no-mqtt5"
        features_note="UMQTT_MINIMAL=1: no MQTT 5, umqtt.aio, umqtt.simple/robust or chunked delivery"
        ;;
    plain) suffix=-plain; args+=(UMQTT_QEMU_WITHOUT=1) ;;
    simple)
        suffix=-simple
        : "${UMQTT_SIMPLE_DIR:?UMQTT_SIMPLE_DIR=<folder holding umqtt/simple.py> is needed}"
        [ -f "$UMQTT_SIMPLE_DIR/umqtt/simple.py" ] || { echo "build.sh: no $UMQTT_SIMPLE_DIR/umqtt/simple.py" >&2; exit 1; }
        export UMQTT_SIMPLE_DIR=$(cd "$UMQTT_SIMPLE_DIR" && pwd)
        args+=(UMQTT_QEMU_WITHOUT=1 FROZEN_MANIFEST="$ROOT/firmware/qemu/manifest_simple.py"
               UMQTT_SIMPLE_DIR="$UMQTT_SIMPLE_DIR")
        ;;
    *) echo "build.sh: unknown variant $variant" >&2; exit 2 ;;
esac
args+=(UMQTT_CARGO_DIR="$cargo_dir")
# Freezing needs mpy-cross.
if [ "$variant" != plain ] && [ ! -x "$MICROPY_DIR/mpy-cross/build/mpy-cross" ]; then
    make -C "$MICROPY_DIR/mpy-cross" -j"$JOBS"
fi

for board in "${boards[@]}"; do
    build="$ROOT/build/qemu-$board$suffix"
    # MicroPython remakes frozen_content.c only when a frozen module changes,
    # not when the module's qstrs do: a stale copy then names qstrs that no
    # longer exist (Makefile, fresh_frozen).
    rm -f "$build/frozen_content.c"
    make -C "$MICROPY_DIR/ports/qemu" -j"$JOBS" BOARD="$board" BUILD="$build" "${args[@]}"
    # What the size report says the variant was built with.
    [ -z "$features_note" ] || echo "$features_note" >"$build/umqtt-variant.txt"
    echo "firmware: $build/firmware.elf"
done
