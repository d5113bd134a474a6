"""MQTT 5 PUBLISH properties both ways, checked against paho-mqtt's MQTT 5
client: ours (``publish(..., properties=)``) as paho sees them, and paho's
in our message objects' ``.properties`` (``set_callback(f, message=True)``).

Mosquitto forwards the properties unchanged, except Message Expiry Interval,
which it sends as the time left (so a range is checked). Also a 100 KiB
message with properties each way, the incoming one through the chunk
callback (its message object carries the properties)."""

import hashlib

import pytest

from mqtt_harness import pattern_bytes


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_properties_reach_a_paho_v5_subscriber(broker, mpy, ids, paho5, qos):
    peer = paho5(broker)
    peer.subscribe(ids.topic + "/#", qos=2)
    r = mpy.run("pub_props.py", env=mpy.env(broker, ids, PUB_QOS=qos))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["PUB props True", "PUB plain True", "END"], r.describe()
    msgs = peer.wait_messages(2, timeout=10)
    by_topic = {m.topic: m for m in peer.messages_v5()}
    assert sorted(by_topic) == [ids.topic + "/plain", ids.topic + "/props"], msgs
    m = by_topic[ids.topic + "/props"]
    assert (m.payload, m.qos) == ("h\u00e9llo".encode("utf-8"), qos)
    p = dict(m.properties)
    expiry = p.pop("MessageExpiryInterval", None)
    assert expiry is not None and 3590 <= expiry <= 3600, m.properties
    assert p == {
        "PayloadFormatIndicator": 1,
        "ContentType": "text/plain; charset=utf-8",
        "ResponseTopic": ids.topic + "/reply",
        "CorrelationData": b"\x00\x01corr\xff",
        "UserProperty": [("k1", "v1"), ("k2", "v2"), ("k1", "again")],
    }, m.properties
    plain = by_topic[ids.topic + "/plain"]
    assert (plain.payload, plain.properties) == (b"no props", {}), plain


def test_paho_v5_properties_reach_our_message_objects(broker, mpy, ids, paho5):
    dev = mpy.start("recv_props.py", env=mpy.env(broker, ids, N_MSGS=2))
    dev.wait_line(r"^READY$", timeout=15)
    peer = paho5(broker)
    peer.publish_props(ids.topic + "/props", b"{\"a\": 1}", qos=1,
                       PayloadFormatIndicator=1, MessageExpiryInterval=600,
                       ContentType="application/json", ResponseTopic=ids.topic + "/reply",
                       CorrelationData=b"\xff\x00id", UserProperty=[("a", "1"), ("b", "two"), ("a", "3")])
    peer.publish(ids.topic + "/plain", b"none", qos=1)
    assert dev.wait(timeout=20) == 0, dev.describe()
    out = dev.stdout.splitlines()
    t = ids.topic.encode()
    assert out[0] == "READY", dev.describe()
    assert out[1] == "MSG {!r} {!r} 1 {!r}".format(t + b"/props", b"{\"a\": 1}", [
        ("content_type", "application/json"),
        ("correlation_data", b"\xff\x00id"),
        ("payload_format_indicator", 1),
        ("response_topic", ids.topic + "/reply"),
        ("user_properties", [("a", "1"), ("b", "two"), ("a", "3")]),
    ]), dev.describe()
    exp = out[2].split()
    assert exp[0] == "EXP" and exp[1].isdigit() and 590 <= int(exp[1]) <= 600, dev.describe()
    assert out[3] == "TYPES {!r}".format([
        ("content_type", "str"), ("correlation_data", "bytes"), ("message_expiry_interval", "int"),
        ("payload_format_indicator", "int"), ("response_topic", "str"), ("user_properties", "list")]), dev.describe()
    assert out[4] == "UPTYPES {!r}".format([("str", "str", "tuple")] * 3), dev.describe()
    # A PUBLISH without properties: .properties == {}.
    assert out[5:9] == ["MSG {!r} b'none' 1 []".format(t + b"/plain"), "EXP None", "TYPES []", "UPTYPES []"], \
        dev.describe()
    assert out[9:] == ["END"], dev.describe()


def test_long_messages_with_properties_both_ways(broker, mpy, ids, paho5):
    big = 100 * 1024
    peer = paho5(broker)
    peer.subscribe(ids.topic + "/up", qos=1)
    dev = mpy.start("big5.py", env=mpy.env(broker, ids, BIG=big))
    dev.wait_line(r"^PUB True$", timeout=15)
    dev.wait_line(r"^READY$", timeout=5)
    down = pattern_bytes(big, seed=5)
    peer.publish_props(ids.topic + "/down", down, qos=1, ContentType="application/x-big",
                       CorrelationData=b"\x01" * 40, UserProperty=[("part", "all")])
    peer.publish_props(ids.topic + "/small", b"short", qos=1, ContentType="text/plain")
    assert dev.wait(timeout=20) == 0, dev.describe()
    assert dev.lines[2:] == [
        "CHUNKED True {} {} {!r}".format(big, hashlib.sha256(down).hexdigest(), [
            ("content_type", "application/x-big"), ("correlation_data", b"\x01" * 40),
            ("user_properties", [("part", "all")])]),
        "SMALL b'short' {!r}".format([("content_type", "text/plain")]),
        "END",
    ], dev.describe()
    (m,) = peer.wait_messages(1, timeout=10)
    (v5m,) = peer.messages_v5()
    assert v5m.payload == pattern_bytes(big), len(v5m.payload)
    assert v5m.properties == {"ContentType": "application/octet-stream", "UserProperty": [("size", str(big))]}
