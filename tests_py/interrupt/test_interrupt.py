"""Ctrl-C (SIGINT) interrupts a blocked wait_msg() quickly, twice in a row,
and the client publishes afterwards."""

import re
import signal
import time
from pathlib import Path

import mqtt_harness as h

HERE = Path(__file__).resolve().parent


def test_ctrl_c_interrupts_wait_msg_and_client_stays_usable(firmware, broker):
    topic = h.unique("umqtt-test/interrupt")
    with h.PahoPeer(h.LOOPBACK, broker.port) as peer:
        peer.connect()
        peer.subscribe(topic, qos=1)
        proc = h.MpyProcess(firmware, HERE / "wait_interrupted.py",
                            env={"MQTT_PORT": str(broker.port), "TOPIC": topic,
                                 "CLIENT_ID": h.unique("intr")})
        try:
            for step in ("wait_msg", "again"):
                assert h.wait_until(lambda: "READY " + step in proc.stdout, 10), proc.describe()
                time.sleep(0.3)         # let it block in wait_msg
                sent = time.monotonic()
                proc.proc.send_signal(signal.SIGINT)
                assert h.wait_until(lambda: "INTERRUPTED " + step in proc.stdout, 5), proc.describe()
                latency = time.monotonic() - sent
                assert latency < 1.0, "Ctrl-C took {:.2f} s".format(latency)
            assert h.wait_until(lambda: "USABLE 0" in proc.stdout, 10), proc.describe()
            msgs = peer.wait_messages(1, topic=topic, timeout=10)
            assert [m.payload for m in msgs] == [b"still usable"]
            assert "RETURNED" not in proc.stdout
        finally:
            proc.close()


def test_ctrl_c_interrupts_connect_and_leaves_no_half_open_attempt(firmware, broker):
    import socket
    silent = socket.socket()
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind((h.LOOPBACK, 0))
    silent.listen(1)
    topic = h.unique("umqtt-test/interrupt-connect")
    try:
        with h.PahoPeer(h.LOOPBACK, broker.port) as peer:
            peer.connect()
            peer.subscribe(topic, qos=1)
            proc = h.MpyProcess(firmware, HERE / "connect_interrupted.py",
                                env={"MQTT_PORT": str(broker.port), "SILENT_PORT": str(silent.getsockname()[1]),
                                     "TOPIC": topic, "CLIENT_ID": h.unique("intr")})
            try:
                assert h.wait_until(lambda: "READY connect" in proc.stdout, 10), proc.describe()
                time.sleep(0.5)         # TCP connected; waiting for the CONNACK
                sent = time.monotonic()
                proc.proc.send_signal(signal.SIGINT)
                assert h.wait_until(lambda: "INTERRUPTED" in proc.stdout, 5), proc.describe()
                assert time.monotonic() - sent < 1.0, proc.describe()
                assert h.wait_until(lambda: "USABLE 0" in proc.stdout, 10), proc.describe()
                assert "STA -1" in proc.stdout, proc.describe()
                assert "RETURNED" not in proc.stdout
                msgs = peer.wait_messages(1, topic=topic, timeout=10)
                assert [m.payload for m in msgs] == [b"after ctrl-c"]
            finally:
                proc.close()
    finally:
        silent.close()
