#!/usr/bin/env bash
# A QuecPython-style firmware for an emulated board, in two separate builds:
#
#   tools/vendor/build.sh [BOARD...]      (MPS2_AN385, SABRELITE; default both)
#
# 1. The port: MicroPython's qemu port with USER_C_MODULES (umqtt among them)
#    compiles its objects and archives them into firmware.a (archive.mk), as
#    QuecPython's ports/quectel does.
# 2. The vendor SDK: a link of its own startup code, firmware.a and libgcc
#    with its own linker script. This step names no module and passes no
#    module flags: umqtt reaches the image only because MicroPython's module
#    table refers to it, so the linker pulls its objects out of firmware.a.
#
# Output: build/vendor-<BOARD>/firmware.elf (runs like the qemu firmware) and
# firmware.a beside it. Afterwards the script checks what a vendor link needs:
# in firmware.a only umqtt_* symbols of ours are global, every runtime symbol
# (memcpy, __aeabi_*) has one global definition, and the image holds umqtt.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MICROPY_DIR=${MICROPY_DIR:-$ROOT/deps/micropython}
JOBS=${JOBS:-2}
boards=("$@")
[ ${#boards[@]} -gt 0 ] || boards=(MPS2_AN385 SABRELITE)
[ -f "$MICROPY_DIR/py/mpconfig.h" ] || "$ROOT/tools/fetch-micropython.sh" "$MICROPY_DIR"
# asyncio and umqtt.aio are frozen, as in firmware/qemu/build.sh: that needs mpy-cross.
[ -x "$MICROPY_DIR/mpy-cross/build/mpy-cross" ] || make -C "$MICROPY_DIR/mpy-cross" -j"$JOBS"

CC=arm-none-eabi-gcc
NM=arm-none-eabi-nm
AR=arm-none-eabi-ar
PORT="$MICROPY_DIR/ports/qemu"

for board in "${boards[@]}"; do
    case "$board" in
        MPS2_AN385) cpu=(-mthumb -mcpu=cortex-m3 -mfloat-abi=soft); ldscript=mcu/arm/mps2.ld ;;
        SABRELITE) cpu=(-mcpu=cortex-a9 -mno-unaligned-access); ldscript=mcu/arm/imx6.ld ;;
        *) echo "vendor/build.sh: no SDK link recipe for board $board" >&2; exit 2 ;;
    esac
    build="$ROOT/build/vendor-$board"
    out="$build"
    mkdir -p "$out"

    # 1. The port: compile, archive. Same objects as firmware/qemu/build.sh.
    port_args=(-C "$PORT" -f Makefile -f "$ROOT/tools/vendor/archive.mk" BOARD="$board" BUILD="$build/port"
               USER_C_MODULES="$ROOT/firmware/qemu/modules" FROZEN_MANIFEST="$ROOT/firmware/qemu/manifest.py"
               UMQTT_CARGO_DIR="$ROOT/build/qemu-cargo")
    rm -f "$build/port/frozen_content.c"   # stale after a qstr change (firmware/qemu/build.sh)
    make "${port_args[@]}" -j"$JOBS" "$build/port/firmware.a"
    startup=$(make -s "${port_args[@]}" vendor-startup-o | tail -n1)
    cp -p "$build/port/firmware.a" "$out/firmware.a"

    # 2. The vendor SDK's link: its startup code, the archive, libgcc.
    libgcc=$("$CC" "${cpu[@]}" -print-libgcc-file-name)
    echo "SDK LINK $out/firmware.elf"
    "$CC" "${cpu[@]}" -nostdlib -T "$PORT/$ldscript" -Wl,--gc-sections -Wl,-Map="$out/firmware.map" \
        -o "$out/firmware.elf" "$startup" "$out/firmware.a" "$libgcc"
    arm-none-eabi-size "$out/firmware.elf"

    # Checks.
    dups=$("$AR" t "$out/firmware.a" | sort | uniq -d)
    [ -z "$dups" ] || { echo "vendor/build.sh: members with the same name in firmware.a: $dups" >&2; exit 1; }
    ours=$("$NM" -A -g --defined-only "$out/firmware.a" 2>/dev/null |
        awk -F: '$2 ~ /^(umqtt_|modumqtt|qemu_hal)/ { split($3, f, " "); print f[3] }' | sort)
    bad=$(echo "$ours" | grep -Ev '^(umqtt_|mp_type_MQTTException$|mp_hal_(ticks|delay)_(ms|us)$|abort$)' || true)
    [ -z "$bad" ] || { echo "vendor/build.sh: global symbols of ours outside umqtt_*: $bad" >&2; exit 1; }
    rt=$("$NM" -g --defined-only "$out/firmware.elf" | awk '{print $3}' |
        grep -E '^(mem(cpy|move|set|cmp)|str(len|cmp)|__aeabi_[a-z0-9]+)$' | sort | uniq -d)
    [ -z "$rt" ] || { echo "vendor/build.sh: runtime symbols defined twice: $rt" >&2; exit 1; }
    image_syms=$("$NM" "$out/firmware.elf")
    grep -q ' umqtt_user_cmodule$' <<<"$image_syms" ||
        { echo "vendor/build.sh: umqtt did not reach the image" >&2; exit 1; }
    echo "firmware: $out/firmware.elf"
done
