"""unsubscribe(), MQTT 3.1 (version=3) and exact QoS 2 bytes, against mosquitto."""

import collections

import pytest

import faultproxy as fp
import mqtt_harness as h

STALL_S = 1.0


def test_unsubscribe_waits_for_unsuback_and_stops_delivery(broker, make_proxy, make_agent, paho_peer, ids):
    a, b = ids.topic + "/a", ids.topic + "/b"
    proxy = make_proxy(broker)
    dev = make_agent(proxy.listen_host, proxy.port, ids.client_id)
    dev.ok("connect")
    dev.ok("sub {} 1".format(a))
    dev.ok("sub {} 1".format(b))
    dev.ok("listen")
    peer = paho_peer(broker)
    peer.publish(a, b"a-before", qos=1)
    assert len(dev.wait_messages(1, topic=a, timeout=10)) == 1

    # unsubscribe() returns only after the UNSUBACK, which the proxy holds back for STALL_S.
    proxy.stall(fp.DOWN, duration=STALL_S)
    ok, _, t_ok = dev.cmd("unsub {}".format(a), timeout=20)
    assert ok, dev.describe()
    unsubacks = proxy.records(fp.DOWN, "UNSUBACK")
    assert len(unsubacks) == 1, unsubacks
    assert unsubacks[0][1].time <= t_ok, "unsubscribe() returned before the UNSUBACK went through"

    # After it, the peer's messages to that topic stop; the other subscription still works.
    peer.publish(a, b"a-after", qos=1)
    peer.publish(b, b"b-marker", qos=1)
    _, sha, _ = h.message_digest(b"b-marker")
    h.wait_until(lambda: any(m.sha256 == sha for m in dev.messages(b)), 10)
    assert [m.sha256 for m in dev.messages(b)] == [sha], dev.describe()
    assert len(dev.messages(a)) == 1, "a message arrived after unsubscribe():\n" + dev.describe()
    topics_down = [r.publish_topic() for _, r in proxy.records(fp.DOWN, "PUBLISH")]
    assert topics_down.count(a.encode()) == 1, topics_down


def test_mqtt_3_1_connects_and_exchanges_messages(broker, make_proxy, make_agent, paho_peer, ids):
    t = ids.topic + "/v3"
    proxy = make_proxy(broker)
    broker.mark_log()
    dev = make_agent(proxy.listen_host, proxy.port, ids.client_id, VERSION=3, KEEPALIVE=30)
    assert dev.ok("connect") == "False"
    connect = proxy.records(fp.UP, "CONNECT")[0][1]
    assert connect._body()[:9] == b"\x00\x06MQIsdp\x03", connect.head
    assert broker.wait_log(r"as {} \(p1,".format(ids.client_id), timeout=5), broker.new_log()
    dev.ok("sub {} 2".format(t))
    dev.ok("listen")
    peer = paho_peer(broker)
    peer.subscribe(t, qos=2)
    payloads = {q: ("v3 qos %d \u00e9" % q).encode() for q in (0, 1, 2)}
    for q, p in payloads.items():
        dev.ok("pub {} {} {}".format(t, q, p.hex()))
    msgs = peer.wait_messages(3, topic=t, timeout=10)
    assert sorted((m.payload, m.qos) for m in msgs) == sorted((p, q) for q, p in payloads.items())
    from_peer = b"from paho to a 3.1 client"
    peer.publish(t, from_peer, qos=2)
    got = dev.wait_messages(4, topic=t, timeout=10)     # its own three, then the peer's
    assert sorted(m.sha256 for m in got) == sorted(h.message_digest(p)[1] for p in
                                                   list(payloads.values()) + [from_peer]), dev.describe()
    dev.ok("disconnect")


QOS2_PAYLOADS = [b"", b"\x00", bytes(range(256)), "h\u00e9llo \u2713".encode(), h.pattern_bytes(70000, seed=9)]


def test_qos2_exact_bytes_both_ways(broker, make_agent, paho_peer, ids):
    up, down = ids.topic + "/up", ids.topic + "/down"
    dev = make_agent(broker.host, broker.port, ids.client_id)
    dev.ok("connect")
    dev.ok("sub {} 2".format(down))
    dev.ok("listen")
    peer = paho_peer(broker)
    peer.subscribe(up, qos=2)
    for p in QOS2_PAYLOADS[:-1]:
        dev.ok("pub {} 2 {}".format(up, p.hex() or "-"))
    dev.ok("pubpat {} 2 70000 9".format(up), timeout=30)
    msgs = peer.wait_messages(len(QOS2_PAYLOADS), topic=up, timeout=15)
    assert [m.payload for m in msgs] == QOS2_PAYLOADS, [len(m.payload) for m in msgs]
    assert all(m.qos == 2 for m in msgs)

    for p in QOS2_PAYLOADS:
        peer.publish(down, p, qos=2)
    got = dev.wait_messages(len(QOS2_PAYLOADS), topic=down, timeout=15)
    assert [(m.length, m.sha256) for m in got] == [h.message_digest(p)[:2] for p in QOS2_PAYLOADS], dev.describe()
    # Exactly once: nothing more arrives before a last marker.
    peer.publish(down, b"end", qos=2)
    got = dev.wait_messages(len(QOS2_PAYLOADS) + 1, topic=down, timeout=10)
    counts = collections.Counter(m.sha256 for m in got)
    assert len(got) == len(QOS2_PAYLOADS) + 1 and max(counts.values()) == 1, counts
