"""The checkNet stand-in frozen into the unix firmware behaves as QuecPython's
examples expect: (3, 1) from every wait, and CheckNetwork's banner printed
once."""

import re

import mqtt_harness as h


def test_checknet_as_quecpython_examples_use_it(firmware):
    r = h.run_mpy(firmware, h.TESTS_DIR / "api" / "checknet_probe.py", timeout=20)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["waitNetworkReady (3, 1)", "wait_network_connected (3, 1)"], r.stdout
    assert lines[2:4] == ["==================================================", "PROJECT_NAME     : Probe_Project"]
    assert lines[4] == "PROJECT_VERSION  : 2.5.1"
    assert re.match(r"^FIRMWARE_VERSION : micropython \d+\.\d+\.\d+ \(\w+\)$", lines[5]), lines[5]
    assert lines[6:] == ["==================================================",
                         "CheckNetwork.wait_network_connected 3 1",
                         "names Probe_Project 2.5.1"], r.stdout
