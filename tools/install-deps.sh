#!/usr/bin/env bash
# Install what building and testing need, on a fresh Debian machine; quick
# when everything is already there.
#
#   tools/install-deps.sh demo   what `make demo` needs: the unix firmware's
#                                build, Mosquitto, paho-mqtt
#   tools/install-deps.sh test   (default) everything: the above, the test
#                                suite (pytest, amqtt, openssl), the cmake
#                                firmware (cmake), the ARM boards under QEMU
#                                (gcc-arm-none-eabi, newlib, qemu-system-arm,
#                                Debian's rustc-web for -Z build-std, pyserial)
set -euo pipefail

what=${1:-test}
apt_pkgs=(build-essential pkg-config dpkg-dev libffi-dev libmbedtls-dev mosquitto mosquitto-clients python3)
py_pkgs=(paho-mqtt)
py_check='import paho.mqtt'
case "$what" in
    demo) ;;
    test|all)
        apt_pkgs+=(openssl cmake gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
                   rustc-web cargo-web rust-web-src)
        py_pkgs+=(pytest amqtt==0.12.1 pyserial)
        py_check='import pytest, paho.mqtt, amqtt, serial'
        ;;
    *) echo "usage: $0 [demo|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "$py_check" 2>/dev/null; then
    echo "install-deps: pip install ${py_pkgs[*]}"
    "$PYTHON" -m pip install -q "${py_pkgs[@]}"
fi

command -v cargo >/dev/null || { echo "install-deps: cargo (rustup's stable toolchain) is required" >&2; exit 1; }
