"""The firmware of the tests in this folder: the unix port with every build
switch of cmodule/umqtt/umqtt_config.h off (UMQTT_MINIMAL=1: no MQTT 5, no
umqtt.aio, no umqtt.simple/robust, no chunked delivery), built once per
session with `make firmware-minimal` (build/unix-minimal/micropython), as the
cmake and on-target tests build theirs: make does nothing when it is up to
date, so running this folder alone never tests a stale build.
UMQTT_MINIMAL_FIRMWARE=<path> uses that firmware instead and builds nothing.

It overrides the suite's ``firmware`` fixture, so ``mpy`` runs scripts on it;
the default firmware (every switch on) stays ``default_firmware``.
"""

import os
import subprocess
from pathlib import Path

import pytest

import mqtt_harness as h

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="session")
def firmware():
    path = os.environ.get("UMQTT_MINIMAL_FIRMWARE")
    if not path:
        path = str(ROOT / "build" / "unix-minimal" / "micropython")
        # make's own variables of an enclosing `make test` (its jobserver,
        # UMQTT_* given on its command line) are not this build's.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        cmd = ["make", "-C", str(ROOT), "firmware-minimal", "JOBS=" + os.environ.get("JOBS", "2")]
        if os.environ.get("MICROPY_DIR"):
            cmd.append("MICROPY_DIR=" + os.environ["MICROPY_DIR"])
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=900)
        if p.returncode != 0:
            pytest.fail("make firmware-minimal failed:\n" + p.stdout[-6000:], pytrace=False)
    problem = h.check_firmware(path)
    if problem:
        pytest.fail(problem, pytrace=False)
    return path


@pytest.fixture(scope="session")
def default_firmware():
    path = h.default_firmware()
    problem = h.check_firmware(path)
    if problem:
        pytest.fail(problem, pytrace=False)
    return path
