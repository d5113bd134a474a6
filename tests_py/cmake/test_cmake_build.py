"""The cmake path (rp2, esp32): umqtt's micropython.cmake in a cmake-built firmware.

No registry carries the Pico SDK or ESP-IDF, so this builds firmware/cmake: a
small host firmware whose CMakeLists.txt includes MicroPython's py/py.cmake,
py/usermod.cmake and py/mkrules.cmake in the order the rp2 port does (user
modules included before the firmware target exists, MICROPY_QSTRDEFS_PORT set
after them), with USER_C_MODULES=<repo>/micropython.cmake. Then:

- the three names import (umqtt, umqtt.simple, umqtt.robust) with their
  dotted __name__, and MQTTClient is one class under all three;
- without socket and TLS (MICROPY_PY_UMQTT_NET=0) ssl= and ssl_params= are
  refused when the client is made;
- the on-target scripts of the blocking faces (tests_py/on_target: a
  scripted broker as an io.IOBase stream, connect/publish/subscribe round
  trips) give their .exp output;
- each of the three fixes in cmodule/umqtt/micropython.cmake (the lines
  between "[umqtt-fix NAME]" and "[end umqtt-fix NAME]", also in
  umqtt_config.h) is taken out of a copy of the glue, and that firmware must
  fail as rp2 failed before the fix: qstr-visibility (MP_QSTR_... undeclared),
  qstrdefs (the module's dotted names lost: umqtt.simple.__name__ is
  "umqtt_dot_simple"), rust-object (the merged Rust object never built before
  the link).

Builds go to build/cmake-host and build/cmake-without-<fix>, once per session;
the Rust core is the unix firmware's (cargo's target directory build/unix/umqtt-cargo).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MICROPY_DIR = Path(os.environ.get("MICROPY_DIR") or ROOT / "deps" / "micropython").resolve()
PORT_DIR = ROOT / "firmware" / "cmake"
BUILD = ROOT / "build"
# cargo's target directory: the unix firmware's (make firmware builds the same
# host library there first, so cargo finds it fresh).
CARGO_DIR = Path(os.environ.get("UMQTT_CMAKE_CARGO_DIR") or BUILD / "unix" / "umqtt-cargo")
ON_TARGET = ROOT / "tests_py" / "on_target"
# The blocking faces' scripts: what USER_C_MODULES alone gives. The asyncio
# ones (aio_*.py) need asyncio and umqtt.aio frozen in through a manifest,
# which this minimal host firmware has no frozen-module step for; the qemu
# boards' firmware runs them (tests_py/on_target).
SCRIPTS = sorted(p.name for p in ON_TARGET.glob("*.py")
                 if not p.name.startswith(("test_", "conftest", "aio_")))
JOBS = os.environ.get("JOBS", "2")

SMOKE = """\
import umqtt, umqtt.simple, umqtt.robust
from umqtt import MQTTClient, MQTTException
from umqtt.simple import MQTTClient as SimpleClient
from umqtt.robust import MQTTClient as RobustClient
print(umqtt.__name__, umqtt.simple.__name__, umqtt.robust.__name__)
print(SimpleClient is not MQTTClient, issubclass(RobustClient, SimpleClient), issubclass(MQTTException, Exception))
"""
SMOKE_EXP = "umqtt umqtt.simple umqtt.robust\nTrue True True\n"

# The fixes in the glue, and how the firmware fails without each.
FIXES = {
    "qstr-visibility": r"MP_QSTR_\w+. undeclared",
    "qstrdefs": r"umqtt_dot_simple",
    "rust-object": r"No rule to make target .*umqtt_rust\.o",
}
GLUE_FILES = ["cmodule/umqtt/micropython.cmake", "cmodule/umqtt/umqtt_config.h"]

_builds = {}


def _fail(text):
    pytest.fail(text, pytrace=False)


def _run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900, **kw)


def _cmake_build(name, user_c_modules):
    """Configure and build firmware/cmake into build/cmake-<name>; returns (ok, log, firmware)."""
    if name in _builds:
        return _builds[name]
    if shutil.which("cmake") is None:
        _fail("cmake is missing (apt-get install cmake; tools/install-deps.sh test installs it)")
    if not (MICROPY_DIR / "py" / "mkrules.cmake").is_file():
        _fail("no MicroPython tree at {} (make firmware fetches it)".format(MICROPY_DIR))
    out = BUILD / "cmake-{}".format(name)
    configure = _run(["cmake", "-S", PORT_DIR, "-B", out, "-DMICROPY_DIR=" + str(MICROPY_DIR),
                      "-DUSER_C_MODULES=" + str(user_c_modules), "-DUMQTT_CARGO_DIR=" + str(CARGO_DIR)])
    log = "$ cmake (configure)\n" + configure.stdout
    ok = configure.returncode == 0
    if ok:
        build = _run(["cmake", "--build", out, "--parallel", JOBS])
        log += "\n$ cmake --build\n" + build.stdout
        ok = build.returncode == 0
    _builds[name] = (ok, log, out / "firmware")
    return _builds[name]


def _run_firmware(firmware, script_path):
    p = _run([firmware, script_path])
    return p.returncode, p.stdout


def _without_fix(fix, dest):
    """A copy of the glue (micropython.cmake, cmodule/umqtt) with one fix taken out.
    tools/ and rust/ are links to the repository's: the Rust core is the same."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy2(ROOT / "micropython.cmake", dest / "micropython.cmake")
    shutil.copytree(ROOT / "cmodule", dest / "cmodule")
    for link in ("tools", "rust", "Cargo.toml", "Cargo.lock"):
        (dest / link).symlink_to(ROOT / link)
    removed = 0
    pattern = re.compile(r"^[ \t]*(#|//) \[umqtt-fix {0}\].*?^[ \t]*(#|//) \[end umqtt-fix {0}\][^\n]*\n".format(
        re.escape(fix)), re.M | re.S)
    for rel in GLUE_FILES:
        path = dest / rel
        if path.is_file():
            text, n = pattern.subn("", path.read_text())
            path.write_text(text)
            removed += n
    assert removed, "no [umqtt-fix {}] block in {}".format(fix, GLUE_FILES)
    return dest / "micropython.cmake"


@pytest.fixture(scope="module")
def firmware():
    ok, log, fw = _cmake_build("host", ROOT / "micropython.cmake")
    if not ok:
        _fail("the cmake firmware (firmware/cmake with USER_C_MODULES=micropython.cmake) did not build:\n"
              + log[-8000:])
    return fw


@pytest.mark.umqtt_timeout(900)
def test_cmake_firmware_builds_with_the_module(firmware):
    ok, log, _ = _builds["host"]
    assert "Found User C Module(s): usermod_umqtt" in log, log[-4000:]
    nm = _run(["nm", firmware]).stdout
    assert re.search(r" T umqtt_core_\w+", nm), "no umqtt_core_* in the cmake firmware"
    assert " umqtt_user_cmodule" in nm
    # The dotted names are in the qstr pool.
    strings = _run(["strings", firmware]).stdout.split("\n")
    assert "umqtt.simple" in strings and "umqtt.robust" in strings


def test_cmake_firmware_imports_the_three_names(firmware, tmp_path):
    script = tmp_path / "smoke.py"
    script.write_text(SMOKE)
    status, out = _run_firmware(firmware, script)
    assert (status, out) == (0, SMOKE_EXP)


# A board without socket and TLS (MICROPY_PY_UMQTT_NET=0, as this firmware and
# the qemu boards are) refuses TLS when the client is made.
NO_TLS = """\
from umqtt import MQTTClient
class Ctx:
    def wrap_socket(self, sock, server_hostname=None):
        return sock
for kw in ({"ssl": True}, {"ssl": 1}, {"ssl": Ctx()}, {"ssl_params": {"cadata": b"0x"}}, {"ssl_params": {"x": 1}},
           {"ssl_params": "ca.pem"}, {"ssl": False}, {"ssl": 0}, {"ssl": None}, {"ssl_params": {}}):
    try:
        c = MQTTClient("c", "h", transport=lambda: None, **kw)
        print("ok", c.ssl, c.port)
    except ValueError as e:
        print("ValueError", e)
"""
NO_TLS_EXP = "ValueError no TLS on this port: ssl must be False, ssl_params empty\n" * 6 + "ok False 1883\n" * 4


def test_cmake_firmware_without_net_refuses_tls(firmware, tmp_path):
    script = tmp_path / "no_tls.py"
    script.write_text(NO_TLS)
    status, out = _run_firmware(firmware, script)
    assert (status, out) == (0, NO_TLS_EXP)


@pytest.mark.parametrize("script", SCRIPTS)
def test_cmake_firmware_round_trip(firmware, script):
    """The on-target scripts: MQTT round trips through transport= with a scripted broker."""
    status, out = _run_firmware(firmware, ON_TARGET / script)
    expected = (ON_TARGET / (script + ".exp")).read_text()
    assert status == 0 and out == expected, out[-3000:]


@pytest.mark.umqtt_timeout(900)
@pytest.mark.parametrize("fix", sorted(FIXES))
def test_cmake_firmware_fails_without_fix(firmware, fix, tmp_path):
    """Each cause of the rp2 failure, brought back alone, breaks the cmake firmware."""
    glue = _without_fix(fix, BUILD / "cmake-glue-without-{}".format(fix))
    ok, log, fw = _cmake_build("without-" + fix, glue)
    if ok:
        script = tmp_path / "smoke.py"
        script.write_text(SMOKE)
        status, out = _run_firmware(fw, script)
        ok = (status, out) == (0, SMOKE_EXP)
        log += "\n$ firmware smoke.py\n" + out
    assert not ok, "the firmware still works without the {} fix:\n{}".format(fix, log[-3000:])
    assert re.search(FIXES[fix], log), "failed, but not as expected ({}):\n{}".format(FIXES[fix], log[-6000:])
