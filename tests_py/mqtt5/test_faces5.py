"""MQTT 5 through the other faces: the simple face (umqtt.simple), the robust
face (umqtt.robust) and the asyncio face (umqtt.aio) publish with properties
and receive message objects with .properties (including subscription
identifiers); and without version=5, properties= and MQTT 5 subscription
options raise ValueError."""

import pytest

FACES = {"simple": ("face_simple.py", 3, "END"), "robust": ("face_simple.py", 3, "END"),
         "aio": ("face_aio.py", 4, "DONE")}


@pytest.mark.parametrize("face", sorted(FACES))
def test_face_publishes_and_receives_properties(broker, mpy, ids, paho5, face):
    script, sid, last = FACES[face]
    peer = paho5(broker)
    peer.subscribe(ids.topic + "/out", qos=1)
    dev = mpy.start(script, env=mpy.env(broker, ids, FACE=face))
    dev.wait_line(r"^READY$", timeout=15)
    peer.publish_props(ids.topic + "/in", b"to " + face.encode(), qos=1, ContentType="text/x-" + face,
                       UserProperty=[("to", face)])
    assert dev.wait(timeout=20) == 0, dev.describe()
    assert dev.stdout.splitlines() == [
        "CONNECT properties accepted",
        "RM 20",
        "PUB None",
        "READY",
        "MSG {!r} {!r} 1 {!r}".format((ids.topic + "/in").encode(), b"to " + face.encode(), [
            ("content_type", "text/x-" + face), ("subscription_identifiers", [sid]),
            ("user_properties", [("to", face)])]),
        last,
    ], dev.describe()
    (m,) = peer.wait_messages(1, timeout=10)
    (v5m,) = peer.messages_v5()
    assert (v5m.payload, v5m.qos) == (b"from " + face.encode(), 1)
    assert v5m.properties == {"ContentType": "text/plain", "CorrelationData": face[0].encode() + b"1",
                              "UserProperty": [("face", face)]}, v5m


def test_properties_without_version_5_raise_ValueError(broker, mpy, ids, paho_peer):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/x", qos=1)
    r = mpy.run("v4_properties.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    expected = []
    for face in ("umqtt", "simple"):
        for version in (4, 3):
            tag = "{} v{}".format(face, version)
            expected += [tag + " connect(properties) ValueError",
                         tag + " connect(properties=None) OK",
                         tag + " publish(properties) ValueError",
                         tag + " publish(properties={}) OK",
                         tag + " subscribe(no_local) ValueError",
                         tag + " subscribe(retain_handling) ValueError",
                         tag + " subscribe(subscription_identifier) ValueError",
                         tag + " set_last_will(properties) ValueError",
                         tag + " publish plain OK"]
    assert r.stdout.splitlines() == expected + ["END"], r.describe()
    # Only the plain publishes (and the empty-properties ones) reached the broker.
    msgs = peer.wait_messages(8, timeout=10)
    assert sorted(m.payload for m in msgs) == [b"after"] * 4 + [b"empty"] * 4, msgs
    assert not peer.wait_for(lambda ms: len(ms) > 8, timeout=0.5), peer.messages()
