"""MQTT 5 Session Expiry Interval: with clean_session=False and
session_expiry_interval=300 the broker keeps the session over a disconnect
and hands over the QoS 1 message published meanwhile; with 0 the session
ends with the connection and the message is gone; with 2 and 3.5 s offline
it has expired by the reconnect (the message queued for it gone too)."""

import re
import time

import pytest


@pytest.mark.parametrize("expiry,offline_s,kept", [(300, 0, True), (0, 0, False), (2, 3.5, False)],
                         ids=["expiry300", "expiry0", "expiry2-offline3.5s"])
def test_session_expiry(broker, mpy, ids, paho5, expiry, offline_s, kept):
    broker.mark_log()
    dev = mpy.start("session.py", env=mpy.env(broker, ids, EXPIRY=expiry))
    dev.wait_line(r"^OFFLINE$", timeout=15)
    assert broker.wait_log(r"Client {} disconnected\.".format(re.escape(ids.client_id))), broker.new_log()
    peer = paho5(broker)
    peer.publish(ids.topic + "/s", b"offline", qos=1)
    time.sleep(offline_s)
    dev.send_line("GO")
    dev.wait_line(r"^READY2$", timeout=15)
    peer.publish(ids.topic + "/s", b"control", qos=1)
    assert dev.wait(timeout=20) == 0, dev.describe()
    out = dev.stdout.splitlines()
    expected_got = [b"offline", b"control"] if kept else [b"control"]
    assert out == ["OFFLINE", "SESSION {}".format(kept), "READY2", "GOT {!r}".format(expected_got), "END"], \
        dev.describe()
    # Both connections asked for a kept session (clean start 0).
    assert len(re.findall(r"as {} \(p5, c0, k30\)".format(re.escape(ids.client_id)), broker.new_log())) == 2, \
        broker.new_log()
