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
