#!/usr/bin/env bash
# Fetch micropython-lib's umqtt.simple and umqtt.robust, the clients our
# `umqtt.simple` / `umqtt.robust` faces answer to, as published on PyPI, and
# write them as the package <dir>/ref_umqtt (simple.py, robust.py,
# __init__.py). The package is named ref_umqtt because the firmware's
# built-in `umqtt` module shadows any file or folder named umqtt.
#
#     tools/fetch-reference-umqtt.sh <dir>
#     MICROPYPATH=<dir> build/micropython -c "from ref_umqtt.robust import MQTTClient"
#
# The releases are pinned (name, version, sha256 of the sdist):
#   micropython-umqtt.simple 1.3.4 and micropython-umqtt.robust 1.0, the last
#   ones micropython-lib published on PyPI (2017 and 2016; later releases go
#   to MicroPython's own package index, which is not a registry reachable
#   here). The files are used as they are, unedited.
#
# pip downloads each sdist (`pip download --no-deps --no-binary :all:`). The
# simple sdist has no setup.py, which makes pip refuse it after downloading
# it; for such a file the script reads the same package index pip uses (the
# simple API page of the package, PIP_INDEX_URL or pip's configured
# index-url, else PyPI) and fetches the file named there. Either way the
# sha256 must match the pinned one.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 <dir>" >&2
    exit 2
fi
out="$1"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
PYTHON="${PYTHON:-python3}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# name version sha256 file-in-sdist target
PACKAGES=(
    "micropython-umqtt.simple 1.3.4 b6a2520239e3992c63a7de9370ee9b3d9d27819a90359c521f1c0f7ccab8d12f umqtt/simple.py simple.py"
    "micropython-umqtt.robust 1.0 22a1b8c8e1128281efb13b3020927d07e33c5b747869da2cd77d37983a9ea002 umqtt/robust.py robust.py"
)

index_url() {
    if [ -n "${PIP_INDEX_URL:-}" ]; then
        echo "$PIP_INDEX_URL"
        return
    fi
    local u
    u="$("$PYTHON" -m pip config get global.index-url 2>/dev/null || true)"
    echo "${u:-https://pypi.org/simple}"
}

fetch_from_index() {
    # $1 name, $2 version, $3 sha256, $4 destination directory
    "$PYTHON" - "$1" "$2" "$3" "$4" "$(index_url)" <<'EOF'
import hashlib, re, sys, urllib.request
name, version, sha, dest, index = sys.argv[1:6]
norm = re.sub(r"[-_.]+", "-", name).lower()
url = index.rstrip("/") + "/" + norm + "/"
page = urllib.request.urlopen(url, timeout=60).read().decode("utf-8", "replace")
want = "{}-{}.tar.gz".format(name, version)
for href in re.findall(r'href="([^"]+)"', page):
    file_url = urllib.request.urljoin(url, href.split("#", 1)[0])
    if file_url.rsplit("/", 1)[-1] == want:
        data = urllib.request.urlopen(file_url, timeout=60).read()
        if hashlib.sha256(data).hexdigest() != sha:
            sys.exit("{}: sha256 {} is not the pinned {}".format(want, hashlib.sha256(data).hexdigest(), sha))
        with open("{}/{}".format(dest, want), "wb") as f:
            f.write(data)
        sys.exit(0)
sys.exit("{} not listed at {}".format(want, url))
EOF
}

mkdir -p "$out/ref_umqtt"
for entry in "${PACKAGES[@]}"; do
    read -r name version sha inner target <<<"$entry"
    sdist="$work/$name-$version.tar.gz"
    if ! "$PYTHON" -m pip download -q --no-deps --no-binary :all: -d "$work" "$name==$version" \
            >"$work/pip.log" 2>&1 || [ ! -f "$sdist" ]; then
        if grep -q "does not appear to be a Python project" "$work/pip.log"; then
            fetch_from_index "$name" "$version" "$sha" "$work"
        else
            cat "$work/pip.log" >&2
            echo "$0: pip could not download $name==$version" >&2
            exit 1
        fi
    fi
    got="$(sha256sum "$sdist" | cut -d' ' -f1)"
    if [ "$got" != "$sha" ]; then
        echo "$0: $name-$version.tar.gz has sha256 $got, pinned $sha" >&2
        exit 1
    fi
    tar -xzf "$sdist" -C "$work" "$name-$version/$inner"
    cp "$work/$name-$version/$inner" "$out/ref_umqtt/$target"
    echo "$name $version -> $out/ref_umqtt/$target"
done
cat >"$out/ref_umqtt/__init__.py" <<'EOF'
# micropython-lib's umqtt package (simple, robust) from PyPI, renamed
# ref_umqtt so the firmware's built-in umqtt does not shadow it.
EOF
