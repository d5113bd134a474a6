"""MQTT 5 state across connections.

- A cut (fault proxy) and reconn=True: topic aliases are per connection, so
  the first publish to a topic after the reconnect names it in full again
  (checked on the wire), and the restored subscription keeps its options and
  identifier (the re-sent SUBSCRIBE carries them; a message arrives with
  subscription_identifiers [9], our own is not delivered: no_local).
- Server Keep Alive: mosquitto with ``max_keepalive 10`` answers a client
  asking for 60 s with Server Keep Alive 10 (and drops it after 15 s without
  a packet); the client pings at that interval and stays connected."""

import re
import time

import pytest

import faultproxy as fp


def _up(conn, code):
    return [r for r in conn.records[fp.UP] if r.type == code]


def test_aliases_reset_and_subscription_options_restored_after_a_cut(broker, make_proxy, mpy, ids, paho5):
    proxy = make_proxy(broker)
    long_topic = (ids.topic + "/" + "y" * 64)[:64]
    peer = paho5(broker)
    peer.subscribe(long_topic, qos=1)
    env = dict(mpy.env(broker, ids, LONG_TOPIC=long_topic), MQTT_HOST=proxy.listen_host, MQTT_PORT=proxy.port)
    dev = mpy.start("reconnect5.py", env=env)
    dev.wait_line(r"^READY1$", timeout=15)
    assert proxy.cut("reset") == 1
    dev.send_line("GO")
    dev.wait_line(r"^RECONNECTED True$", timeout=20)
    dev.wait_line(r"^READY2$", timeout=15)
    peer.publish(ids.topic + "/sid", b"theirs", qos=1)
    assert dev.wait(timeout=20) == 0, dev.describe()
    assert dev.lines[-2:] == ["GOT {!r}".format([(b"theirs", [("subscription_identifiers", [9])])]), "END"], \
        dev.describe()
    assert len(proxy.connections) == 2, proxy.summary()
    c1, c2 = proxy.connections
    lt, sid = long_topic.encode(), (ids.topic + "/sid").encode()
    assert [r.publish_topic() for r in _up(c1, 3)] == [lt, b"", b""], _up(c1, 3)
    assert [r.publish_topic() for r in _up(c2, 3)] == [lt, b"", b"", sid], _up(c2, 3)
    # The SUBSCRIBE of each connection: identifier 9 (property 0x0B), no_local (option bit 2).
    for conn in (c1, c2):
        (sub,) = _up(conn, 8)
        body = sub.head[2:]                     # short packet: 1-byte remaining length
        assert body[2] == 2 and body[3:5] == b"\x0b\x09", sub.head
        assert body[5:7] == len(sid).to_bytes(2, "big") and body[7:7 + len(sid)] == sid, sub.head
        assert body[7 + len(sid)] == 0x04 | 1, sub.head
    msgs = peer.wait_messages(6, timeout=10)
    assert [m.payload for m in msgs] == [b"a0", b"a1", b"a2", b"b0", b"b1", b"b2"], msgs
    assert {m.topic for m in msgs} == {long_topic}


@pytest.mark.umqtt_timeout(40)
def test_server_keep_alive_replaces_ours(make_broker, mpy, ids, paho_peer):
    broker = make_broker(extra_config=["max_keepalive 10"])
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/alive", qos=1)
    dev = mpy.start("keepalive5.py", env=mpy.env(broker, ids, IDLE_S=16))
    dev.wait_line(r"^SKA 10$", timeout=15)
    dev.wait_line(r"^READY$", timeout=5)
    t0 = time.monotonic()
    # A PINGREQ within the 10 s the broker asked for (keepalive=60 would wait a minute).
    assert broker.wait_log(r"Received PINGREQ from {}".format(re.escape(ids.client_id)), timeout=14), \
        broker.new_log()
    assert time.monotonic() - t0 <= 11.5
    assert dev.wait(timeout=20) == 0, dev.describe()
    assert dev.lines[-2:] == ["PUB True PINGS True", "END"], dev.describe()
    assert "exceeded timeout" not in broker.new_log(), broker.new_log()
    assert [m.payload for m in peer.wait_messages(1, timeout=5)] == [b"still here"]
