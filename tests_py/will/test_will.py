"""Last will: published when the client dies, not after disconnect()."""

import re

import pytest


@pytest.mark.parametrize("will_qos", [0, 1])
def test_will_published_when_process_is_killed(broker, mpy, ids, paho_peer, will_qos):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/will", qos=1)
    dev = mpy.start("will_kill.py", env=mpy.env(broker, ids, WILL_QOS=will_qos))
    dev.wait_line(r"^CONNECT 0$", timeout=15)
    dev.wait_line(r"^READY$", timeout=5)
    assert broker.wait_log(r"as {} \(p2, c1, k60\)\.".format(re.escape(ids.client_id))), broker.new_log()
    assert peer.messages() == [], "will published while the client was alive"
    dev.kill()
    dev.wait(timeout=10)
    msgs = peer.wait_messages(1, timeout=5)
    assert [(m.topic, m.payload, m.qos, m.retain) for m in msgs] == [
        (ids.topic + "/will", "offline: {}".format(ids.client_id).encode(), will_qos, False)
    ], broker.new_log()


def test_will_not_published_after_disconnect(broker, mpy, ids, paho_peer):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/will", qos=1)
    r = mpy.run("will_disconnect.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["CONNECT 0", "DISCONNECTED"], r.describe()
    # The control message proves the subscription works ...
    msgs = peer.wait_messages(1, timeout=5)
    assert [(m.topic, m.payload) for m in msgs] == [(ids.topic + "/will", b"alive")]
    # ... the broker saw a DISCONNECT (so it drops the will) ...
    assert broker.wait_log(r"Client {} disconnected\.".format(re.escape(ids.client_id))), broker.new_log()
    # ... and no will follows (mosquitto sends a will at socket close, so 2 s is plenty).
    assert not peer.wait_for(lambda ms: len(ms) > 1, timeout=2.0), peer.messages()


def test_will_published_after_close_without_disconnect(broker, mpy, ids, paho_peer):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/will", qos=1)
    dev = mpy.start("will_close.py", env=mpy.env(broker, ids))
    dev.wait_line(r"^CONNECT 0$", timeout=15)
    dev.wait_line(r"^CLOSED$", timeout=5)
    msgs = peer.wait_messages(1, timeout=5)
    assert dev.returncode is None, "the script should still be running:\n" + dev.describe()
    assert [(m.topic, m.payload, m.qos) for m in msgs] == [(ids.topic + "/will", b"closed \x00\xff", 1)], (
        broker.new_log()
    )
    dev.send_line("bye")
    assert dev.wait(timeout=10) == 0, dev.describe()
    assert dev.lines[-1] == "END", dev.describe()


@pytest.mark.parametrize("version", [4, 5])
def test_a_rejected_will_leaves_the_previous_will_whole(broker, mpy, ids, paho_peer, version):
    # Before the fix a call refused for its properties (after its qos was
    # checked) had already stored that qos: the broker published the first
    # will at QoS 2, the refused call's, instead of 0.
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/#", qos=2)
    dev = mpy.start("will_rejected.py", env=mpy.env(broker, ids, MQTT_VERSION=version))
    dev.wait_line(r"^CONNECT 0$", timeout=15)
    dev.wait_line(r"^CLOSED$", timeout=5)
    msgs = peer.wait_messages(1, timeout=5)
    assert not peer.wait_for(lambda ms: len(ms) > 1, timeout=1.0), peer.messages()
    dev.send_line("bye")
    assert dev.wait(timeout=10) == 0, dev.describe()
    assert dev.lines == [
        "qos-3 ValueError", "qos-negative ValueError", "topic-wildcard ValueError", "topic-int TypeError",
        "topic-empty ValueError", "msg-int TypeError", "properties ValueError", "misspelt-keyword TypeError",
        "CONNECT 0", "CLOSED", "END"], dev.describe()
    assert [(m.topic, m.payload, m.qos, m.retain) for m in msgs] == [
        (ids.topic + "/will", b"original", 0, False)], broker.new_log()
