"""Session resumption after a cut at a chosen point of a QoS 1/2 exchange.

The device (session/agent.py, reconn=True) talks to the broker through the
fault proxy, which cuts the connection inside or right after one chosen
packet of one exchange. After the automatic reconnect the exchange must
finish: publish() returns (after the PUBACK/PUBCOMP of the new connection),
the peer gets the message (QoS 2: exactly once; QoS 1: at least once), and
the device re-sends what the protocol asks for: the unacknowledged PUBLISH
with DUP and the same packet id, or the PUBREL.
"""

import collections

import pytest

import faultproxy as fp
import mqtt_harness as h

# id -> (flow, qos, direction of the cut packet, packet, offset)
#   flow "up": the device publishes to the peer; "down": the peer publishes to the device.
CASES = {
    "up-qos1-in-PUBLISH": ("up", 1, fp.UP, "PUBLISH", "mid"),
    "up-qos1-after-PUBLISH": ("up", 1, fp.UP, "PUBLISH", "after"),
    "up-qos1-in-PUBACK": ("up", 1, fp.DOWN, "PUBACK", "mid"),
    "up-qos2-in-PUBLISH": ("up", 2, fp.UP, "PUBLISH", "mid"),
    "up-qos2-in-PUBREC": ("up", 2, fp.DOWN, "PUBREC", "mid"),
    "up-qos2-after-PUBREC": ("up", 2, fp.DOWN, "PUBREC", "after"),
    "up-qos2-in-PUBREL": ("up", 2, fp.UP, "PUBREL", "mid"),
    "up-qos2-in-PUBCOMP": ("up", 2, fp.DOWN, "PUBCOMP", "first"),
    "down-qos1-in-PUBLISH": ("down", 1, fp.DOWN, "PUBLISH", "mid"),
    "down-qos1-in-PUBACK": ("down", 1, fp.UP, "PUBACK", "mid"),
    "down-qos2-in-PUBLISH": ("down", 2, fp.DOWN, "PUBLISH", "mid"),
    "down-qos2-in-PUBREC": ("down", 2, fp.UP, "PUBREC", "mid"),
    "down-qos2-in-PUBREL": ("down", 2, fp.DOWN, "PUBREL", "mid"),
    "down-qos2-in-PUBCOMP": ("down", 2, fp.UP, "PUBCOMP", "mid"),
}

PAYLOAD = h.pattern_bytes(300, seed=5)     # 2-byte remaining length
MARKER = b"marker-after-the-reconnect"


def _start(broker, make_proxy, make_agent, ids, clean=0, sub=None):
    proxy = make_proxy(broker)
    dev = make_agent(proxy.listen_host, proxy.port, ids.client_id, CLEAN=clean, KEEPALIVE=30)
    dev.ok("connect")
    if sub:
        dev.ok("sub {} {}".format(*sub))
    dev.ok("listen")
    return proxy, dev


def _conn_packets(proxy, conn_id, direction):
    return [r for cid, r in proxy.records(direction) if cid == conn_id]


@pytest.mark.parametrize("case", list(CASES))
def test_exchange_cut_at_one_packet_completes_after_the_reconnect(broker, make_proxy, make_agent, paho_peer, ids,
                                                                  case):
    flow, qos, direction, packet, offset = CASES[case]
    up_topic, down_topic = ids.topic + "/up", ids.topic + "/down"
    proxy, dev = _start(broker, make_proxy, make_agent, ids, sub=(down_topic, qos) if flow == "down" else None)
    peer = paho_peer(broker)
    peer.subscribe(up_topic, qos=2)
    proxy.cut_on_packet(direction, packet, offset=offset, how="reset")

    if flow == "up":
        ms = dev.ok("pub {} {} {}".format(up_topic, qos, PAYLOAD.hex()), timeout=30)
        assert proxy.cuts, "the planned cut never happened"
        dev.wait_errcb("reconnect_success", timeout=15)
        # One more message, so everything before it has been handled by the broker.
        dev.ok("pub {} {} {}".format(up_topic, qos, MARKER.hex()), timeout=30)
        msgs = peer.wait_for(lambda ms_: any(m.payload == MARKER for m in ms_), timeout=10)
        assert msgs, "marker never reached the peer"
        got = [m.payload for m in peer.messages(up_topic) if m.payload != MARKER]
        assert got and all(p == PAYLOAD for p in got), "peer got {} (expected the exact payload)".format(
            [len(p) for p in got])
        if qos == 2:
            assert len(got) == 1, "QoS 2 message reached the peer {} times".format(len(got))
        # What the device re-sent on the new connection.
        first = [r for r in _conn_packets(proxy, 1, fp.UP) if r.type == 3]
        assert first, "no PUBLISH on the first connection"
        pid = first[0].publish_id()
        again = [r for r in _conn_packets(proxy, 2, fp.UP) if r.type in (3, 6)]
        if packet in ("PUBLISH", "PUBACK") or (packet == "PUBREC" and offset == "mid"):
            assert again and again[0].type == 3 and again[0].publish_id() == pid and again[0].dup, (
                "expected PUBLISH id {} with DUP first after the reconnect, got {}".format(
                    pid, [(r.name, r.publish_id() or r.ack_id(), r.dup) for r in again[:3]]))
        else:
            assert again and again[0].type == 6 and again[0].ack_id() == pid, (
                "expected PUBREL id {} first after the reconnect, got {}".format(
                    pid, [(r.name, r.publish_id() or r.ack_id()) for r in again[:3]]))
            assert not any(r.type == 3 and r.publish_id() == pid for r in again), "PUBLISH re-sent after PUBREC"
        assert int(ms) >= 0
    else:
        peer.publish(down_topic, PAYLOAD, qos=qos)
        assert proxy.wait_cuts(1, 10) == 1, "the planned cut never happened"
        dev.wait_errcb("reconnect_success", timeout=15)
        peer.publish(down_topic, MARKER, qos=qos)
        mlen, msha, _ = h.message_digest(MARKER)
        h.wait_until(lambda: any(m.sha256 == msha for m in dev.messages(down_topic)), 15)
        msgs = dev.messages(down_topic)
        assert any(m.sha256 == msha for m in msgs), "marker never reached the device\n" + dev.describe()
        plen, psha, _ = h.message_digest(PAYLOAD)
        got = [m for m in msgs if m.sha256 != msha]
        assert got and all((m.length, m.sha256) == (plen, psha) for m in got), dev.describe()
        if qos == 2:
            assert len(got) == 1, "QoS 2 message reached the callback {} times".format(len(got))

    assert len(proxy.cuts) == 1, proxy.cuts
    assert dev.ok("sta") == "0"
    starts = [t for _, t in dev.errcb()]
    assert starts[:2] == ["reconnect_start", "reconnect_success"] and len(starts) == 2, starts


def test_resend_order_after_a_cut_pubrel_then_publishes(broker, make_proxy, make_agent, paho_peer, ids):
    """A: QoS 2 waiting for PUBCOMP (PUBREL pending); B: QoS 1 and C: QoS 2 waiting for their
    first acknowledgement. After the cut the device re-sends, before anything else and in the
    original order: PUBREL(A), PUBLISH(B, DUP), PUBLISH(C, DUP)."""
    topic = ids.topic + "/up"
    proxy, dev = _start(broker, make_proxy, make_agent, ids)
    peer = paho_peer(broker)
    peer.subscribe(topic, qos=2)
    proxy.hold_on_packet(fp.DOWN, "PUBCOMP")
    dev.ok("pubbg A {} 2 {}".format(topic, b"A".hex()))
    assert proxy.wait_for(lambda p: p.packet_counts(fp.UP)["PUBREL"] >= 1, 10), "no PUBREL for A"
    dev.ok("pubbg B {} 1 {}".format(topic, b"B".hex()))
    assert proxy.wait_for(lambda p: p.packet_counts(fp.UP)["PUBLISH"] >= 2, 10), "no PUBLISH for B"
    dev.ok("pubbg C {} 2 {}".format(topic, b"C".hex()))
    assert proxy.wait_for(lambda p: p.packet_counts(fp.UP)["PUBLISH"] >= 3, 10), "no PUBLISH for C"
    ids_first = {}
    for r in _conn_packets(proxy, 1, fp.UP):
        if r.type == 3:
            ids_first[bytes(r.head[-1:])] = r.publish_id()
    proxy.cut("reset")
    assert proxy.wait_cuts(1, 5) == 1
    proxy.resume()
    # Each pubbg prints "OK pubbg <tag>" when started and "OK/ERR pubbg <tag> <ms or error>" when done.
    h.wait_until(lambda: len(dev.lines_matching(r"^(OK|ERR) pubbg [ABC] ")) >= 3, 30)
    results = [l for _, l in dev.lines_matching(r"^(OK|ERR) pubbg [ABC] ")]
    assert len(results) == 3 and all(l.startswith("OK") for l in results), dev.describe()
    resent = [(r.name, r.publish_id() or r.ack_id(), r.dup) for r in _conn_packets(proxy, 2, fp.UP)
              if r.type != 1][:3]
    assert resent == [("PUBREL", ids_first[b"A"], False), ("PUBLISH", ids_first[b"B"], True),
                      ("PUBLISH", ids_first[b"C"], True)], "re-sent after the reconnect: {} (ids {})".format(
        resent, ids_first)
    peer.wait_for(lambda ms: {b"A", b"B", b"C"} <= {m.payload for m in ms}, timeout=10)
    counts = collections.Counter(m.payload for m in peer.messages(topic))
    assert counts[b"A"] == 1 and counts[b"C"] == 1 and counts[b"B"] >= 1, counts


def test_clean_session_reconnect_republishes_and_resubscribes(broker, make_proxy, make_agent, paho_peer, ids):
    """clean_session=True: the broker forgets the session at the cut. The QoS 1 message whose
    PUBACK was cut is published again (publish() still returns normally), and the device
    subscribes again, so the peer's next message reaches it."""
    up_topic, down_topic = ids.topic + "/up", ids.topic + "/down"
    proxy, dev = _start(broker, make_proxy, make_agent, ids, clean=1, sub=(down_topic, 1))
    peer = paho_peer(broker)
    peer.subscribe(up_topic, qos=1)
    proxy.cut_on_packet(fp.DOWN, "PUBACK", offset="mid")
    dev.ok("pub {} 1 {}".format(up_topic, PAYLOAD.hex()), timeout=30)
    assert len(proxy.cuts) == 1
    dev.wait_errcb("reconnect_success", timeout=15)
    assert dev.ok("sp") == "False"
    msgs = peer.wait_messages(1, topic=up_topic, timeout=10)
    assert msgs and all(m.payload == PAYLOAD for m in msgs), msgs
    second = [r.name for r in _conn_packets(proxy, 2, fp.UP)]
    assert "SUBSCRIBE" in second, "no SUBSCRIBE after a reconnect without session: {}".format(second)
    # Re-subscribed: a message from the peer arrives.
    peer.publish(down_topic, MARKER, qos=1)
    _, msha, _ = h.message_digest(MARKER)
    got = dev.wait_messages(1, topic=down_topic, timeout=10)
    assert [m.sha256 for m in got] == [msha], dev.describe()
