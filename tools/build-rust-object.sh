#!/usr/bin/env bash
# The one recipe that brings umqtt's Rust core into a MicroPython firmware.
# cmodule/umqtt/micropython.mk (make ports) and cmodule/umqtt/micropython.cmake
# (cmake ports) both call it; nothing else builds the core for a firmware.
#
#   tools/build-rust-object.sh --out OBJ --cargo-dir DIR
#       cargo builds the umqtt-ffi staticlib (cargo decides what is stale), then,
#       only when the library is newer than OBJ, `ld -r --unique --whole-archive`
#       merges it into one relocatable object and `objcopy` keeps only umqtt_*
#       global (Rust's memcpy and __aeabi_* become local: no clash with the
#       port's libc or libgcc) and drops the sections a firmware link rejects.
#   tools/build-rust-object.sh --print-target
#       prints the Rust target it would build for ("host" for the host).
#
# The port is described by the environment (every variable optional):
#   UMQTT_CC            the port's C compiler (the first word that is not ccache
#                       counts), default cc
#   UMQTT_CPU_FLAGS     the port's CPU flags (-mcpu= -march= -mfloat-abi= ...);
#                       other flags are ignored
#   UMQTT_PLATFORM      a cmake port's chip: IDF_TARGET (esp32c3, esp32s3, ...)
#                       or PICO_PLATFORM (rp2040, rp2350-arm-s, rp2350-riscv)
#   UMQTT_RUST_TARGET   a Rust target triple, overriding the table ("host": the host)
#   UMQTT_LD, UMQTT_OBJCOPY   default: the compiler's binutils (<prefix>ld, <prefix>objcopy)
#   UMQTT_CARGO         cargo for host builds, default cargo (rustup's stable)
#   UMQTT_CROSS_CARGO, UMQTT_CROSS_RUSTC   cargo and rustc for other targets,
#                       default /usr/bin/cargo and /usr/bin/rustc (Debian's
#                       rustc-web: core is built with -Z build-std, RUSTC_BOOTSTRAP=1)
#   UMQTT_RUST_OPT_LEVEL   opt-level for other targets, default z (size first;
#                       empty keeps the workspace profile's "s")
#   UMQTT_RUST_INLINE_THRESHOLD   LLVM's inline threshold for other targets,
#                       default 0 (added to RUSTFLAGS; with opt-level z it
#                       inlines less: 198 bytes less Rust on Cortex-M3 than
#                       LLVM's own; empty keeps LLVM's)
#   UMQTT_CARGO_FEATURES   features added to those in cmodule/umqtt/umqtt_cargo_features.txt
#   UMQTT_MQTT5         1 (default): MQTT 5 (feature mqtt5); 0: MQTT 3.1/3.1.1 only.
#                       The glue passes the same value to the C shim
#                       (MICROPY_PY_UMQTT_MQTT5).
#
# Which Rust target (the table; README "Building for a device"):
#   - the compiler is the host's own, or a hosted compiler for this machine's
#     architecture: the host, with rustup's stable cargo, no build-std
#   - a hosted cross compiler (a unix port built with arm-linux-gnueabihf-gcc,
#     aarch64-linux-gnu-gcc, ...): that Linux target (armv7-unknown-linux-gnueabihf,
#     aarch64-unknown-linux-gnu, ...), never a bare-metal one
#   - a bare-metal compiler (*-none-eabi, *-elf): from the CPU flags
#       -mcpu=cortex-m0/m0plus/m1, -march=armv6-m        thumbv6m-none-eabi
#       -mcpu=cortex-m3, -march=armv7-m                  thumbv7m-none-eabi
#       -mcpu=cortex-m4/m7, -march=armv7e-m              thumbv7em-none-eabi(hf)
#       -mcpu=cortex-m33/m35p/m55/m85, -march=armv8-m.main   thumbv8m.main-none-eabi(hf)
#       -mcpu=cortex-m23, -march=armv8-m.base            thumbv8m.base-none-eabi
#       -mcpu=cortex-a*, -march=armv7-a                  armv7a-none-eabi(hf)
#       -mcpu=cortex-r*, -march=armv7-r                  armv7r-none-eabi(hf)
#       -march=rv32imc*, rv32imac*, rv32imafc*           riscv32imc/imac/imafc-unknown-none-elf
#     "hf" under -mfloat-abi=hard (softfp and soft pass floats in integer
#     registers, as the non-hf targets do); without CPU flags, UMQTT_PLATFORM:
#       rp2040 thumbv6m-none-eabi, rp2350(-arm-s) thumbv8m.main-none-eabi (the
#       Pico SDK compiles with -mfloat-abi=softfp), rp2350-riscv
#       riscv32imac-unknown-none-elf, esp32c2/c3 riscv32imc-unknown-none-elf,
#       esp32c5/c6/h2 riscv32imac-unknown-none-elf, esp32p4 riscv32imafc-unknown-none-elf
#   - Xtensa (esp32, esp32s2, esp32s3): needs Espressif's Rust toolchain; see
#     the error text below.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
FEATURES_FILE="$ROOT/cmodule/umqtt/umqtt_cargo_features.txt"

out= cargo_dir= print_target=0
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --cargo-dir) cargo_dir=$2; shift 2 ;;
        --print-target) print_target=1; shift ;;
        -h|--help) sed -n '2,63p' "$0"; exit 0 ;;
        *) echo "build-rust-object.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

die() { echo "umqtt: $*" >&2; exit 1; }

# The compiler: the first word of UMQTT_CC that is not a launcher.
cc=
for w in ${UMQTT_CC:-cc}; do
    case "$(basename "$w")" in ccache|sccache|distcc) continue ;; esac
    cc=$w; break
done
cc=${cc:-cc}
cc_name=$(basename "$cc")
# Its target triple: asked when it runs here, else read from its name.
triple=$("$cc" -dumpmachine 2>/dev/null || true)
if [ -z "$triple" ]; then
    triple=$(sed -E 's/-(gcc|cc|clang|c\+\+|g\+\+)(-[0-9.]+)?$//' <<<"$cc_name")
    [ "$triple" != "$cc_name" ] || triple=
fi
prefix=
case "$cc_name" in *-gcc|*-gcc-[0-9]*|*-cc|*-clang) prefix=${cc_name%-*}- ;; esac
case "$prefix" in *-gcc-) prefix=${prefix%gcc-} ;; esac
[ "$(dirname "$cc")" = . ] || prefix="$(dirname "$cc")/$prefix"

# The last -mcpu=/-march=/-mfloat-abi= wins, as with the compiler.
cpu= march= float_abi=
for f in ${UMQTT_CPU_FLAGS:-}; do
    case "$f" in
        -mcpu=*) cpu=${f#-mcpu=}; cpu=${cpu%%+*} ;;
        -march=*) march=${f#-march=}; march=${march%%+*} ;;
        -mfloat-abi=*) float_abi=${f#-mfloat-abi=} ;;
    esac
done
hf=; [ "$float_abi" != hard ] || hf=hf
platform=${UMQTT_PLATFORM:-}

xtensa_help() {
    die "no Rust target for the Xtensa chip ${1:-} in this toolchain: Debian's rustc knows
  xtensa-esp32-none-elf (and -esp32s2, -esp32s3) but its LLVM has no Xtensa code
  generator. Install Espressif's Rust fork (espup install), then build with
  UMQTT_RUST_TARGET=xtensa-${1:-esp32}-none-elf UMQTT_CROSS_CARGO=\$HOME/.rustup/toolchains/esp/bin/cargo
  UMQTT_CROSS_RUSTC=\$HOME/.rustup/toolchains/esp/bin/rustc (README, \"Building for a device\")."
}

bare_metal_target() {
    local c=${cpu:-$march}
    case "$c" in
        cortex-m0|cortex-m0plus|cortex-m1|armv6-m|armv6s-m) echo thumbv6m-none-eabi ;;
        cortex-m3|armv7-m) echo thumbv7m-none-eabi ;;
        cortex-m4|cortex-m7|armv7e-m) echo "thumbv7em-none-eabi$hf" ;;
        cortex-m33|cortex-m35p|cortex-m55|cortex-m85|armv8-m.main|armv8.1-m.main) echo "thumbv8m.main-none-eabi$hf" ;;
        cortex-m23|armv8-m.base) echo thumbv8m.base-none-eabi ;;
        cortex-a*|armv7-a|armv7ve) echo "armv7a-none-eabi$hf" ;;
        cortex-r*|armv7-r) echo "armv7r-none-eabi$hf" ;;
        rv32imafc*|rv32imafdc*|rv32gc*) echo riscv32imafc-unknown-none-elf ;;
        rv32imac*) echo riscv32imac-unknown-none-elf ;;
        rv32imc*) echo riscv32imc-unknown-none-elf ;;
        "")
            case "$platform" in
                rp2040) echo thumbv6m-none-eabi ;;
                rp2350|rp2350-arm-s|rp2350-arm-ns) echo thumbv8m.main-none-eabi ;;
                rp2350-riscv) echo riscv32imac-unknown-none-elf ;;
                esp32c2|esp32c3) echo riscv32imc-unknown-none-elf ;;
                esp32c5|esp32c6|esp32c61|esp32h2) echo riscv32imac-unknown-none-elf ;;
                esp32p4) echo riscv32imafc-unknown-none-elf ;;
                esp32|esp32s2|esp32s3) xtensa_help "$platform" ;;
                *) return 1 ;;
            esac ;;
        *) return 1 ;;
    esac
}

hosted_target() {
    # A hosted compiler for another architecture: the matching Linux target.
    case "$triple" in
        armv7*-linux-gnueabihf|arm-linux-gnueabihf|arm-*-linux-gnueabihf) echo armv7-unknown-linux-gnueabihf ;;
        armv7*-linux-gnueabi|arm-linux-gnueabi|arm-*-linux-gnueabi) echo arm-unknown-linux-gnueabi ;;
        aarch64-linux-gnu|aarch64-*-linux-gnu) echo aarch64-unknown-linux-gnu ;;
        i?86-linux-gnu|i?86-*-linux-gnu) echo i686-unknown-linux-gnu ;;
        riscv64-linux-gnu|riscv64-*-linux-gnu) echo riscv64gc-unknown-linux-gnu ;;
        x86_64-linux-gnu|x86_64-*-linux-gnu) echo x86_64-unknown-linux-gnu ;;
        *) return 1 ;;
    esac
}

pick_target() {
    if [ -n "${UMQTT_RUST_TARGET:-}" ]; then
        echo "$UMQTT_RUST_TARGET"; return
    fi
    case "$triple" in
        xtensa-*) xtensa_help "${platform:-$(sed -E 's/^xtensa-([a-z0-9]+)-.*/\1/' <<<"$triple")}" ;;
        *-none-eabi|*-none-eabihf|*-elf|*-elf-*|*-none|*-eabi|*-eabihf)
            # Bare metal: the CPU decides (arm-none-eabi, riscv32-esp-elf, ...).
            bare_metal_target || die "no Rust target known for compiler $cc_name with CPU flags '${UMQTT_CPU_FLAGS:-}'${platform:+ on $platform}; set UMQTT_RUST_TARGET=<triple>"
            ;;
        ""|*-linux-*|*-linux|*-darwin*|*-apple-*|*-freebsd*|*-netbsd*|*-openbsd*|*-cygwin|*-mingw*)
            local host_arch arch
            host_arch=$(uname -m)
            arch=${triple%%-*}
            if [ -z "$triple" ] || [ "$arch" = "$host_arch" ] || { [ "$arch" = arm64 ] && [ "$host_arch" = aarch64 ]; }; then
                echo host
            else
                hosted_target || die "no Rust target known for the hosted compiler $cc_name ($triple); set UMQTT_RUST_TARGET=<triple>"
            fi
            ;;
        *) die "no Rust target known for compiler $cc_name ($triple); set UMQTT_RUST_TARGET=<triple>" ;;
    esac
}

target=$(pick_target)
if [ "$print_target" = 1 ]; then
    echo "$target"
    exit 0
fi
[ -n "$out" ] && [ -n "$cargo_dir" ] || die "build-rust-object.sh needs --out OBJ and --cargo-dir DIR"

# Cargo features: one list for every glue (cmodule/umqtt/umqtt_cargo_features.txt).
mqtt5=""
[ "${UMQTT_MQTT5:-1}" = 0 ] || mqtt5=mqtt5
features=$( { sed -e 's/#.*//' "$FEATURES_FILE" 2>/dev/null || true; echo "${UMQTT_CARGO_FEATURES:-} $mqtt5"; } | tr -s ' \t\n' ' ' | sed -e 's/^ //' -e 's/ $//')
cargo_args=(build --quiet --release --locked -p umqtt-ffi --target-dir "$cargo_dir")
[ -z "$features" ] || cargo_args+=(--features "$features")

if [ "$target" = host ]; then
    cargo=${UMQTT_CARGO:-cargo}
    lib="$cargo_dir/release/libumqtt_ffi.a"
    env_args=()
else
    cargo=${UMQTT_CROSS_CARGO:-/usr/bin/cargo}
    rustc=${UMQTT_CROSS_RUSTC:-/usr/bin/rustc}
    for tool in "$cargo" "$rustc"; do
        command -v "$tool" >/dev/null ||
            die "$tool is missing for Rust target $target (apt-get install rustc-web cargo-web rust-web-src)"
    done
    lib="$cargo_dir/$target/release/libumqtt_ffi.a"
    env_args=(RUSTC="$rustc" RUSTC_BOOTSTRAP=1)
    opt=${UMQTT_RUST_OPT_LEVEL-z}
    [ -z "$opt" ] || env_args+=(CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt")
    inline=${UMQTT_RUST_INLINE_THRESHOLD-0}
    [ -z "$inline" ] || env_args+=(RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Cllvm-args=-inline-threshold=$inline")
    cargo_args+=(--target "$target" -Z build-std=core,compiler_builtins -Z build-std-features=compiler-builtins-mem)
fi

echo "CARGO umqtt-ffi $target"
(cd "$ROOT" && env "${env_args[@]}" "$cargo" "${cargo_args[@]}")

# Merge only when the library changed, so a no-op build does not relink.
if [ ! -f "$out" ] || [ "$lib" -nt "$out" ]; then
    ld=${UMQTT_LD:-}
    objcopy=${UMQTT_OBJCOPY:-}
    if [ -z "$ld" ]; then ld=${prefix}ld; command -v "$ld" >/dev/null || ld=ld; fi
    if [ -z "$objcopy" ]; then objcopy=${prefix}objcopy; command -v "$objcopy" >/dev/null || objcopy=objcopy; fi
    echo "LD -r $out"
    mkdir -p "$(dirname "$out")"
    "$ld" -r --unique --whole-archive -o "$out.tmp" "$lib"
    "$objcopy" --wildcard --keep-global-symbol='umqtt_*' \
        --remove-section='.ARM.exidx*' --remove-section='.ARM.extab*' \
        --remove-section=.llvmbc --remove-section=.llvmcmd "$out.tmp" "$out"
    rm -f "$out.tmp"
fi
