"""Interoperability: pub/sub, QoS 1/2, retained messages, last will and
reconnection against two independent broker implementations (``ibroker`` is
parametrized over mosquitto and amqtt, see conftest.py).

A broker that departs from MQTT 3.1.1 is named in ``DEVIATIONS``; the test
then checks that broker's actual behaviour (so a change in it shows up) and
keeps the spec's check for every other broker.
"""

import binascii
import hashlib

import pytest

import mqtt_harness as h

# implementation -> {deviation name: what it does instead of MQTT 3.1.1}
DEVIATIONS = {
    "mosquitto": {},
    "amqtt": {
        "qos-upgrade": (
            "amqtt 0.12.1 forwards a message a client published at the QoS the subscriber was "
            "granted, not at the minimum of the published QoS and the granted QoS (MQTT 3.1.1 "
            "section 3.8.4): a QoS 0 publish reaches a QoS 2 subscriber as QoS 2. (A will is "
            "forwarded at its own QoS.)"
        ),
        "retained-on-connect": (
            "amqtt 0.12.1, right after every CONNACK, sends the new client each retained message "
            "matching any topic filter that any client has subscribed to (at QoS 0, RETAIN set), "
            "whether or not this client subscribed to it; a client that then subscribes gets the "
            "retained message a second time (MQTT 3.1.1 sections 3.3.1.3 and 3.8.4: retained "
            "messages go to a client when it subscribes)"
        ),
    },
}


def deviates(broker, name):
    return name in DEVIATIONS.get(broker.implementation, {})


def delivered_qos(broker, pub_qos, granted_qos, will=False):
    """QoS of a message forwarded to a subscriber: min(published, granted) (MQTT 3.1.1 section 3.8.4)."""
    if deviates(broker, "qos-upgrade") and not will:
        return granted_qos
    return min(pub_qos, granted_qos)


def _pattern(n, seed=0):
    return bytes(((i * 31 + 7 + seed) & 0xFF) for i in range(n))


# What ix_publish.py publishes: <topic>/<name> -> exact bytes (then SEQ messages to <topic>/seq).
PAYLOADS = {
    "empty": b"",
    "one": b"\xa5",
    "str": "h\u00e9llo \u2713".encode("utf-8"),
    "bytearray": b"ba\x00\xff",
    "big": _pattern(20000),
}
SEQ = 20


def _msg_line(topic, payload):
    return "MSG {} {} {}".format(binascii.hexlify(topic.encode("utf-8")).decode(), len(payload),
                                 hashlib.sha256(payload).hexdigest())


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_reaches_the_peer_exactly_once_in_order(ibroker, mpy, ids, paho_peer, qos):
    peer = paho_peer(ibroker)
    peer.subscribe(ids.topic + "/#", qos=2)
    r = mpy.run("ix_publish.py", env=mpy.env(ibroker, ids, PUB_QOS=qos, SEQ=SEQ), timeout=30)
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["PUB " + n for n in PAYLOADS] + ["PUB seq", "END"], r.describe()

    msgs = peer.wait_messages(len(PAYLOADS) + SEQ, timeout=10)
    # Nothing more arrives (no duplicate of a QoS 1/2 message).
    assert not peer.wait_for(lambda ms: len(ms) > len(PAYLOADS) + SEQ, timeout=0.3), peer.messages()
    named = {m.topic[len(ids.topic) + 1:]: m for m in msgs if not m.topic.endswith("/seq")}
    assert sorted(named) == sorted(PAYLOADS), [m.topic for m in msgs]
    want_qos = delivered_qos(ibroker, qos, 2)
    for name, payload in PAYLOADS.items():
        m = named[name]
        assert m.payload == payload, "{}: {} bytes received, {} expected".format(name, len(m.payload), len(payload))
        assert (m.qos, m.retain) == (want_qos, False), (name, m)
    seq = [m.payload for m in msgs if m.topic == ids.topic + "/seq"]
    assert seq == [b"seq-%03d" % i for i in range(SEQ)], seq


@pytest.mark.parametrize(
    "pub_qos,sub_qos", [(0, 0), (1, 1), (2, 2), (2, 1), (1, 2)],
    ids=["pub0-sub0", "pub1-sub1", "pub2-sub2", "pub2-sub1", "pub1-sub2"],
)
def test_peer_messages_reach_the_callback_exactly_once_in_order(ibroker, mpy, ids, paho_peer, pub_qos, sub_qos):
    sends = [(ids.topic + "/" + name, payload) for name, payload in PAYLOADS.items()]
    sends += [(ids.topic + "/seq", b"seq-%03d" % i) for i in range(SEQ)]
    dev = mpy.start("ix_receive.py", env=mpy.env(ibroker, ids, SUB_QOS=sub_qos, N_MSGS=len(sends)))
    dev.wait_line(r"^READY$", timeout=15)
    peer = paho_peer(ibroker)
    for topic, payload in sends:
        peer.publish(topic, payload, qos=pub_qos)
    assert dev.wait(timeout=20) == 0, dev.describe()
    lines = dev.lines
    assert lines[0] == "READY" and lines[-1] == "END", dev.describe()
    got = [l for l in lines if l.startswith("MSG ")]
    # Exactly the messages sent, each once; the sequence in order.
    assert sorted(got) == sorted(_msg_line(t, p) for t, p in sends), dev.describe()
    seq_hex = "MSG " + binascii.hexlify((ids.topic + "/seq").encode()).decode() + " "
    assert [l for l in got if l.startswith(seq_hex)] == [_msg_line(t, p) for t, p in sends if t.endswith("/seq")], (
        dev.describe())


def test_retained_message_is_kept_and_replayed(ibroker, mpy, ids, paho_peer):
    kept, live = ids.topic + "/kept", ids.topic + "/live"
    r = mpy.run("ix_retained.py", env=mpy.env(ibroker, ids))
    assert r.returncode == 0 and r.stdout.splitlines() == ["END"], r.describe()
    peer = paho_peer(ibroker)
    try:
        # A subscriber arriving later gets the retained message only, flagged retained.
        peer.subscribe(ids.topic + "/#", qos=1)
        msgs = peer.wait_messages(1, timeout=5)
        assert not peer.wait_for(lambda ms: len(ms) > 1, timeout=0.5), peer.messages()
        want_qos = 1
        if deviates(ibroker, "retained-replay-qos0"):
            want_qos = 0
        assert [(m.topic, m.payload, m.retain, m.qos) for m in msgs] == [(kept, b"kept value", True, want_qos)]

        # Our client subscribing later gets it too, once.
        r = mpy.run("ix_receive.py", env=mpy.env(ibroker, ids, SUB_QOS=1, N_MSGS=1, DRAIN_MS=500), timeout=20)
        assert r.returncode == 0, r.describe()
        copies = 1
        if deviates(ibroker, "retained-on-connect"):
            copies = 2  # one right after the CONNACK (QoS 0), one after our SUBSCRIBE
        assert r.stdout.splitlines() == ["READY"] + [_msg_line(kept, b"kept value")] * copies + ["END"], (
            r.describe())
    finally:
        peer.publish(kept, b"", qos=1, retain=True)
    # An empty retained message clears it: a new subscriber gets nothing.
    later = paho_peer(ibroker)
    later.subscribe(ids.topic + "/#", qos=1)
    assert not later.wait_for(lambda ms: len(ms) > 0, timeout=0.5), later.messages()
    assert live not in [m.topic for m in later.messages()]


@pytest.mark.parametrize("will_qos,will_retain", [(0, False), (1, False), (2, True)],
                         ids=["qos0", "qos1", "qos2-retained"])
def test_will_published_when_the_client_dies(ibroker, mpy, ids, paho_peer, will_qos, will_retain):
    will = ids.topic + "/will"
    peer = paho_peer(ibroker)
    peer.subscribe(ids.topic + "/#", qos=2)
    dev = mpy.start("ix_will.py", env=mpy.env(ibroker, ids, WILL_QOS=will_qos, WILL_RETAIN=int(will_retain),
                                              MODE="kill"))
    dev.wait_line(r"^CONNECT 0$", timeout=15)
    dev.wait_line(r"^READY$", timeout=10)
    peer.wait_messages(1, timeout=5)
    assert [(m.topic, m.payload) for m in peer.messages()] == [(ids.topic + "/status", b"alive")]
    dev.kill()
    dev.wait(timeout=10)
    try:
        msgs = peer.wait_messages(2, timeout=5)
        assert [(m.topic, m.payload, m.qos, m.retain) for m in msgs[1:]] == [
            (will, "offline: {}".format(ids.client_id).encode(), delivered_qos(ibroker, will_qos, 2, will=True), False)
        ], msgs
        if will_retain:
            later = paho_peer(ibroker)
            later.subscribe(will, qos=2)
            got = later.wait_messages(1, timeout=5)
            # Between two paho clients and the broker (the device is gone): amqtt
            # 0.12.1 once handed the new subscriber its retained message twice
            # (QoS 0 and QoS 2, in CI under load). What matters here is that the
            # will was retained: every copy is that message.
            assert got and {(m.topic, m.payload, m.retain) for m in got} == {
                (will, "offline: {}".format(ids.client_id).encode(), True)}, got
    finally:
        if will_retain:
            peer.publish(will, b"", qos=1, retain=True)


def test_no_will_after_disconnect(ibroker, mpy, ids, paho_peer):
    peer = paho_peer(ibroker)
    peer.subscribe(ids.topic + "/#", qos=1)
    r = mpy.run("ix_will.py", env=mpy.env(ibroker, ids, WILL_QOS=1, WILL_RETAIN=0, MODE="disconnect"))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["CONNECT 0", "READY", "DISCONNECTED"], r.describe()
    msgs = peer.wait_messages(1, timeout=5)
    assert [(m.topic, m.payload) for m in msgs] == [(ids.topic + "/status", b"alive")]
    # A will would follow the socket close at once; 1.5 s is plenty.
    assert not peer.wait_for(lambda ms: len(ms) > 1, timeout=1.5), peer.messages()


@pytest.mark.parametrize("kind", ["mosquitto", "amqtt"])
def test_reconnects_after_broker_restart_and_carries_on(make_ibroker, mpy, ids, paho_peer, kind):
    b = make_ibroker(kind)
    peer = paho_peer(b)
    peer.subscribe(ids.topic + "/out", qos=1)
    dev = mpy.start("ix_reconnect.py", env=mpy.env(b, ids))
    dev.wait_line(r"^CONNECT 0$", timeout=15)
    dev.wait_line(r"^READY$", timeout=10)
    dev.send_line("PUB before")
    dev.wait_line(r"^PUBOK before$", timeout=10)
    assert [m.payload for m in peer.wait_messages(1, timeout=5)] == [b"before"]
    peer.publish(ids.topic + "/in", b"in-before", qos=1)
    dev.wait_line(r"^GOT in-before$", timeout=10)

    peer.close()
    h.kill_broker(b)
    h.restart_broker(b)
    # The client notices (its wait_msg() thread sees the connection drop) and reconnects by itself.
    dev.wait_line(r"^EVENT reconnect_start$", timeout=20)
    dev.wait_line(r"^EVENT reconnect_success$", timeout=20)
    dev.send_line("STA")
    dev.wait_line(r"^STA 0$", timeout=5)

    peer2 = paho_peer(b)
    peer2.subscribe(ids.topic + "/out", qos=1)
    dev.send_line("PUB after")
    dev.wait_line(r"^PUBOK after$", timeout=15)
    assert [m.payload for m in peer2.wait_messages(1, timeout=5)] == [b"after"]
    # The restarted broker kept no session: the client subscribed again by itself.
    peer2.publish(ids.topic + "/in", b"in-after", qos=1)
    dev.wait_line(r"^GOT in-after$", timeout=10)
    dev.send_line("END")
    assert dev.wait(timeout=10) == 0, dev.describe()
    assert dev.lines[-1] == "END", dev.describe()
    assert not [l for l in dev.lines if l.startswith(("PUBERR", "WAITERR"))], dev.describe()
