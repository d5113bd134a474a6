"""MQTT 5 last will properties (Will Delay Interval and the PUBLISH
properties, as the paho v5 peer receives them after the client is killed)
and the broker's Maximum Packet Size (scripted CONNACK): a larger publish
raises MQTTException(0x95) before anything is written."""

import re
import time


def test_will_with_properties_and_delay(broker, mpy, ids, paho5):
    peer = paho5(broker)
    peer.subscribe(ids.topic + "/will", qos=1)
    dev = mpy.start("will5.py", env=mpy.env(broker, ids, WILL_DELAY=2))
    dev.wait_line(r"^CONNECT 0$", timeout=15)
    dev.wait_line(r"^READY$", timeout=5)
    assert broker.wait_log(r"as {} \(p5, c1, k60\)\.".format(re.escape(ids.client_id))), broker.new_log()
    dev.kill()
    dev.wait(timeout=10)
    t_kill = time.monotonic()
    # The will waits for its delay (2 s; the session lasts 30 s) ...
    assert not peer.wait_for(lambda ms: len(ms) > 0, timeout=1.0), peer.messages()
    msgs = peer.wait_messages(1, timeout=10)
    waited = time.monotonic() - t_kill
    assert 1.0 <= waited <= 6.0, waited
    (m,) = peer.messages_v5()
    assert (m.topic, m.payload, m.qos) == (ids.topic + "/will", "gone: {}".format(ids.client_id).encode(), 1), m
    p = dict(m.properties)
    expiry = p.pop("MessageExpiryInterval", None)
    assert expiry is not None and 110 <= expiry <= 120, m.properties
    assert p == {"PayloadFormatIndicator": 1, "ContentType": "text/plain", "CorrelationData": b"w\x00",
                 "UserProperty": [("why", "killed")]}, m.properties


def test_broker_maximum_packet_size_scripted(mpy):
    r = mpy.run("max_packet.py", timeout=30)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert out[0] == "CONNACK [('maximum_packet_size', 64)]", r.describe()
    assert out[1].startswith("BIG MQTTException 149 ") and "packet too large" in out[1].lower(), r.describe()
    assert out[2] == "WROTE ", r.describe()          # nothing written for the refused publish
    assert out[3] == "SMALL True", r.describe()
    # PUBLISH QoS 0 "t/s" with an empty property length, payload "ok".
    assert out[4] == "WROTE 3008" + "0003" + b"t/s".hex() + "00" + b"ok".hex(), r.describe()
    assert out[5:] == ["STA 0", "END"], r.describe()
