"""The shim on a debug build (DEBUG=1: -O0, assert() on), where every call
into the Rust core asserts that the calling thread holds the client's mutex
(issue 10, defect 8: the core is not thread-safe, so an unlocked read is
undefined behaviour even when it happens to work).

Threads stress the places that touch the core from several threads at once:
a _thread in wait_msg() while the main thread publishes and messages arrive,
the background keep-alive thread, and 20 threads publishing through the
16-message window. An assertion failure aborts the process (SIGABRT), which
these tests would see as a non-zero exit code and the message on stderr.
"""

import subprocess
from pathlib import Path

import pytest

import mqtt_harness as h

ROOT = Path(__file__).resolve().parents[2]
DEBUG_FIRMWARE = ROOT / "build" / "unix-debug" / "micropython"


@pytest.fixture(scope="module")
def debug_firmware():
    r = subprocess.run(["make", "-C", str(ROOT), "firmware-debug"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:]
    problem = h.check_firmware(DEBUG_FIRMWARE)
    assert not problem, problem
    return DEBUG_FIRMWARE


@pytest.mark.umqtt_timeout(900)
def test_the_debug_build_checks_that_the_core_is_locked_while_threads_publish_and_receive(
        debug_firmware, broker, ids, paho_peer):
    n_pub, n_in = 300, 100
    peer = paho_peer(broker)
    dev = h.MpyProcess(debug_firmware, ROOT / "tests_py" / "threads" / "publish_while_waiting.py",
                       env={"MQTT_HOST": broker.host, "MQTT_PORT": str(broker.port),
                            "MQTT_CLIENT_ID": ids.client_id, "MQTT_TOPIC": ids.topic,
                            "N_PUB": str(n_pub), "N_IN": str(n_in)})
    try:
        dev.wait_line(r"^READY$", timeout=30)
        infos = [peer.publish(ids.topic + "/in", "in-{:04d}".format(i), qos=1, wait=False) for i in range(n_in)]
        for info in infos:
            peer.wait_published(info, timeout=30)
        rc = dev.wait(timeout=120)
        assert rc == 0, dev.describe()
        assert "PUBLISHED {} 0".format(n_pub) in dev.lines, dev.describe()
        assert "LISTENER_ERRORS 0" in dev.lines, dev.describe()
        assert len([l for l in dev.lines if l.startswith("IN ")]) == n_in, dev.describe()
    finally:
        dev.close()


@pytest.mark.umqtt_timeout(300)
def test_the_debug_build_checks_that_the_core_is_locked_with_twenty_publishing_threads(
        debug_firmware, make_broker, ids):
    broker = make_broker()
    dev = h.MpyProcess(debug_firmware, ROOT / "tests_py" / "driver" / "threads_window.py",
                       env={"MQTT_HOST": broker.host, "MQTT_PORT": str(broker.port),
                            "MQTT_CLIENT_ID": ids.client_id, "MQTT_TOPIC": ids.topic,
                            "N_THREADS": "20", "PER_THREAD": "30"})
    try:
        m = dev.wait_line(r"^DONE (\d+) (\d+) (\d+)$", timeout=120)
        assert dev.wait(timeout=30) == 0, dev.describe()
        assert (m.group(1), m.group(2)) == ("20", "0"), dev.describe()
    finally:
        dev.close()
