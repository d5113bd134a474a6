"""A DISCONNECT from the broker (MQTT 5).

Scripted: DISCONNECT 0x8E Session taken over (with and without properties)
and 0x8B Server shutting down end the connection; with reconn=False the
simple face's check_msg() and the QuecPython face's wait_msg() raise
MQTTException(<reason>) naming the reason, and so does a publish after it; a
QoS 1 publish that reads the DISCONNECT while waiting raises it.

Mosquitto: a second client with the same client id. Mosquitto 2.0.11 closes
the first connection without sending a DISCONNECT (no 0x8E, checked on the
wire through the fault proxy); the first client's check_msg() then raises
the closed connection's OSError. A broker that does send DISCONNECT 0x8E
must make it raise MQTTException(0x8E)."""

import faultproxy as fp

NAMES = {0x8E: "Session taken over", 0x8B: "Server shutting down"}


def test_disconnect_from_a_scripted_broker(mpy):
    r = mpy.run("disconnect_scripted.py", timeout=30)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert out[-1] == "END" and len(out) == 19, r.describe()
    i = 0
    for label, code in (("plain", 0x8E), ("short", 0x8E), ("props", 0x8E), ("shutdown", 0x8B)):
        for face in ("simple", "umqtt"):
            for prefix in ("{} {} MQTTException {} ".format(label, face, code),
                           "{} {} then MQTTException {} ".format(label, face, code)):
                assert out[i].startswith(prefix), (out[i], prefix, r.describe())
                assert NAMES[code].lower() in out[i].lower(), r.describe()
                i += 1
    for face in ("simple", "umqtt"):
        prefix = "publish {} MQTTException 142 ".format(face)
        assert out[i].startswith(prefix) and "session taken over" in out[i].lower(), r.describe()
        i += 1


def test_session_taken_over_by_a_second_client(broker, make_proxy, mpy, ids, paho5):
    proxy = make_proxy(broker)
    env = dict(mpy.env(broker, ids), MQTT_HOST=proxy.listen_host, MQTT_PORT=proxy.port)
    dev = mpy.start("takeover.py", env=env)
    dev.wait_line(r"^READY$", timeout=15)
    broker.mark_log()
    second = paho5(broker, client_id=ids.client_id)
    assert broker.wait_log(r"Client {} already connected, closing old connection".format(ids.client_id))
    dev.send_line("GO")
    m = dev.wait_line(r"^(RAISED|NO ERROR)", timeout=15)
    assert dev.wait(timeout=10) == 0, dev.describe()
    downs = [r for _, r in proxy.records(fp.DOWN, "DISCONNECT")]
    if downs:
        assert downs[0].head[2] == 0x8E, downs[0].head
        assert m.string.startswith("RAISED MQTTException 142 ") and "session taken over" in m.string.lower(), \
            dev.describe()
    else:
        # Mosquitto 2.0.11: no DISCONNECT, the connection is just closed.
        assert m.string.startswith("RAISED OSError "), dev.describe()
    assert second.client.is_connected()
