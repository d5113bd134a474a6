#!/usr/bin/env bash
# Regenerate the C header of the Rust core with a pinned cbindgen and compare
# it with the checked-in one. Exit 1 when the checked-in header is stale.
#   tools/check-header.sh           verify
#   tools/check-header.sh --write   regenerate rust/umqtt-ffi/include/umqtt_core.h
set -euo pipefail

CBINDGEN_VERSION=0.29.4   # pin: builds with rustc 1.95/1.96, reads rust-version 1.85 sources

root=$(cd "$(dirname "$0")/.." && pwd)
crate="$root/rust/umqtt-ffi"
header="$crate/include/umqtt_core.h"

cbindgen_bin=""
for c in "${CBINDGEN:-}" "$(command -v cbindgen || true)" "$HOME/.cargo/bin/cbindgen"; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
        cbindgen_bin=$c
        break
    fi
done
if [ -z "$cbindgen_bin" ]; then
    echo "check-header: installing cbindgen $CBINDGEN_VERSION" >&2
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
    cbindgen_bin="$HOME/.cargo/bin/cbindgen"
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
(cd "$root" && "$cbindgen_bin" --quiet --config "$crate/cbindgen.toml" --crate umqtt-ffi \
    --output "$tmp" "$crate")

if [ "${1:-}" = "--write" ]; then
    mkdir -p "$(dirname "$header")"
    cp "$tmp" "$header"
    echo "check-header: wrote ${header#"$root"/}"
    exit 0
fi

if ! diff -u "$header" "$tmp"; then
    echo "check-header: ${header#"$root"/} is stale; run tools/check-header.sh --write" >&2
    exit 1
fi
echo "check-header: ${header#"$root"/} is up to date (cbindgen $CBINDGEN_VERSION)"
