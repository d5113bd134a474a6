"""transport=: the client runs over a stream the application provides (a
Python io.IOBase subclass here), for every connect and reconnect."""

from pathlib import Path

import mqtt_harness as h

HERE = Path(__file__).resolve().parent


def test_python_stream_transport_with_reconnect(firmware, broker):
    topic = h.unique("umqtt-test/transport")
    with h.PahoPeer(h.LOOPBACK, broker.port) as peer:
        peer.connect()
        peer.subscribe(topic + "/out", qos=1)
        proc = h.MpyProcess(firmware, HERE / "app_stream.py",
                            env={"MQTT_PORT": str(broker.port), "TOPIC": topic,
                                 "CLIENT_ID": h.unique("stream")})
        try:
            assert h.wait_until(lambda: "READY" in proc.stdout, 15), proc.describe()
            peer.publish(topic + "/in", b"to the device", qos=1)
            assert proc.wait(30) == 0, proc.describe()
            out = proc.stdout
            assert "CONNECT 0" in out
            assert "GOT [(b'" + topic + "/in', b'to the device')]" in out, out
            assert "OPENED 2 EVENTS ['reconnect_start', 'reconnect_success'] STA 0" in out, out
            assert "DONE" in out
            msgs = peer.wait_messages(2, topic=topic + "/out", timeout=10)
            assert [m.payload for m in msgs] == [b"first", b"after reconnect"]
        finally:
            proc.close()
