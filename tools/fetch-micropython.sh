#!/usr/bin/env bash
# Fetch MicroPython's source from Debian's `micropython` source package into $1
# (default: deps/micropython), using a private apt configuration so the
# machine's own apt sources are never touched. The mirror is read from the
# machine's apt sources; no host name is written here.
set -euo pipefail

dest=${1:-deps/micropython}
suite=${MICROPY_DEBIAN_SUITE:-trixie}
want=${MICROPY_DEBIAN_VERSION:-}   # e.g. 1.25.0+ds-1; empty = newest in suite

if [ -f "$dest/py/mpconfig.h" ]; then
    echo "fetch-micropython: $dest already holds a MicroPython tree"
    exit 0
fi

# The first Debian mirror (deb or deb-src) named by this machine's apt sources,
# both the one-line (sources.list) and deb822 (*.sources) formats.
find_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 ~ /^deb(-src)?$/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f" |
            grep -E '/debian/?$' | head -n1
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f" | grep -E '/debian/?$' | head -n1
    done
}
mirror=${MICROPY_DEBIAN_MIRROR:-$(find_mirror | head -n1)}
if [ -z "$mirror" ]; then
    echo "fetch-micropython: no Debian mirror found in /etc/apt/sources*; set MICROPY_DIR or MICROPY_DEBIAN_MIRROR" >&2
    exit 1
fi

work=$(mktemp -d)
chmod 755 "$work"  # apt drops to user _apt for downloads
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/etc/apt.conf.d" "$work/etc/preferences.d" "$work/etc/sources.list.d"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb-src [signed-by=$keyring] $mirror $suite main" > "$work/etc/sources.list"
cat > "$work/apt.conf" <<CONF
Dir::Etc "$work/etc";
Dir::Etc::sourcelist "$work/etc/sources.list";
Dir::Etc::sourceparts "$work/etc/sources.list.d";
Dir::State::Lists "$work/lists";
Dir::Cache "$work/cache";
Dir::Cache::archives "$work/archives";
Dir::Etc::trusted "/etc/apt/trusted.gpg";
Dir::Etc::trustedparts "/etc/apt/trusted.gpg.d";
APT::Get::Only-Source "true";
CONF
export APT_CONFIG="$work/apt.conf"
echo "fetch-micropython: Debian source package micropython${want:+=$want} from $suite"
apt-get -q update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
mkdir -p "$work/src"
(cd "$work/src" && apt-get -q source --download-only "micropython${want:+=$want}")
dsc=$(ls "$work"/src/*.dsc | head -n1)
# dpkg-source checks signatures and applies Debian's patches.
(cd "$work/src" && dpkg-source --no-check -x "$dsc" tree >/dev/null)
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$work/src/tree" "$dest"
echo "fetch-micropython: $(basename "$dsc" .dsc) -> $dest"
