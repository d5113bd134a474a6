"""Publish and subscribe between the firmware and a paho-mqtt peer, exact bytes."""

import binascii
import hashlib

import pytest

from mqtt_harness import pattern_bytes

BIG = pattern_bytes(65536)

# What publish_payloads.py publishes: <topic>/<name> -> exact payload bytes.
PUBLISHED = {
    "empty": b"",
    "one": b"\xa5",
    "big": BIG,
    "str": "h\u00e9llo \u2713".encode("utf-8"),
    "bytearray": b"ba\x00\xff",
    "memoryview": BIG[1000:1100],
}


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_reaches_paho_with_exact_payload(broker, mpy, ids, paho_peer, qos):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/#", qos=2)
    r = mpy.run("publish_payloads.py", env=mpy.env(broker, ids, PUB_QOS=qos))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["PUB " + n for n in PUBLISHED] + ["END"], r.describe()

    msgs = peer.wait_messages(len(PUBLISHED), timeout=10)
    got = {m.topic[len(ids.topic) + 1:]: m for m in msgs}
    assert sorted(m.topic for m in msgs) == sorted(ids.topic + "/" + n for n in PUBLISHED), msgs
    for name, payload in PUBLISHED.items():
        m = got[name]
        assert m.payload == payload, "{}: {} bytes received, {} expected".format(name, len(m.payload), len(payload))
        assert m.qos == qos, (name, m)
        assert m.retain is False, (name, m)


def _line(topic, payload):
    return "MSG bytes bytes {} {} {}".format(
        binascii.hexlify(topic.encode("utf-8")).decode(), len(payload), hashlib.sha256(payload).hexdigest()
    )


@pytest.mark.parametrize(
    "pub_qos,sub_qos", [(0, 0), (1, 1), (2, 2), (1, 0), (0, 1)],
    ids=["pub0-sub0", "pub1-sub1", "pub2-sub2", "pub1-sub0", "pub0-sub1"],
)
def test_messages_from_paho_reach_the_callback(broker, mpy, ids, paho_peer, pub_qos, sub_qos):
    sends = [
        (ids.topic + "/a", b""),
        (ids.topic + "/b", b"\x00"),
        (ids.topic + "/c/d", pattern_bytes(65536, seed=3)),
        (ids.topic + "/\u00fc/x y", "h\u00e9llo".encode("utf-8")),
    ]
    dev = mpy.start("receive.py", env=mpy.env(broker, ids, SUB_QOS=sub_qos, N_MSGS=len(sends)))
    dev.wait_line(r"^READY$", timeout=15)
    peer = paho_peer(broker)
    for topic, payload in sends:
        peer.publish(topic, payload, qos=pub_qos)
    rc = dev.wait(timeout=20)
    assert rc == 0, dev.describe()
    lines = dev.lines
    msg_lines = [l for l in lines if l.startswith("MSG ")]
    assert sorted(msg_lines) == sorted(_line(t, p) for t, p in sends), dev.describe()
    assert lines[-1] == "END", dev.describe()


def test_retained_message_delivered_on_subscribe(broker, mpy, ids, paho_peer):
    topic, payload = ids.topic + "/retained", b"retained \x00\x01 value"
    peer = paho_peer(broker)
    peer.publish(topic, payload, qos=1, retain=True)
    try:
        r = mpy.run("receive.py", env=mpy.env(broker, ids, SUB_QOS=1, N_MSGS=1), timeout=20)
        assert r.returncode == 0, r.describe()
        assert r.stdout.splitlines() == ["READY", _line(topic, payload), "END"], r.describe()
    finally:
        peer.publish(topic, b"", qos=1, retain=True)  # clear it


def test_retained_publish_is_kept_by_the_broker(broker, mpy, ids, paho_peer):
    r = mpy.run("retained_publish.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["END"], r.describe()
    # Subscribe only now: the broker must hand over the retained message (and only it).
    peer = paho_peer(broker)
    try:
        peer.subscribe(ids.topic + "/#", qos=1)
        msgs = peer.wait_messages(1, timeout=5)
        assert [(m.topic, m.payload, m.retain) for m in msgs] == [(ids.topic + "/kept", b"kept value", True)]
        # Nothing else is retained under the prefix (bounded wait for a stray message).
        assert not peer.wait_for(lambda ms: len(ms) > 1, timeout=0.5), peer.messages()
    finally:
        peer.publish(ids.topic + "/kept", b"", qos=1, retain=True)


def test_check_msg_returns_None_when_nothing_is_waiting(broker, mpy, ids, paho_peer):
    dev = mpy.start("check_msg.py", env=mpy.env(broker, ids))
    m = dev.wait_line(r"^EMPTY (\S+) (-?\d+)$", timeout=15)
    assert m.group(1) == "None", dev.describe()
    assert int(m.group(2)) < 1000, "check_msg() took {} ms with nothing waiting".format(m.group(2))
    dev.wait_line(r"^READY$", timeout=5)
    peer = paho_peer(broker)
    peer.publish(ids.topic + "/in", b"poll me", qos=1)
    rc = dev.wait(timeout=20)
    assert rc == 0, dev.describe()
    lines = dev.lines
    got = [l for l in lines if l.startswith(("GOT ", "TIMEOUT"))]
    assert len(got) == 1 and got[0].startswith(
        "GOT {} b'poll me' ".format(binascii.hexlify((ids.topic + "/in").encode()).decode())
    ), dev.describe()
    again = [l for l in lines if l.startswith("EMPTY_AGAIN ")]
    assert len(again) == 1, dev.describe()
    _, value, ms = again[0].split(" ")
    assert value == "None" and int(ms) < 1000, dev.describe()
    assert "COUNT 1" in lines and lines[-1] == "END", dev.describe()
