"""Every packet the client decodes, delivered in pieces through the fault proxy.

The proxy trickles both directions: one byte per send() with 1 ms between
(``1-byte``), or 7-byte pieces for a 20 KB QoS 2 exchange whose PUBLISH has a
3-byte remaining length (``7-byte-chunks``). The client (reconn=False, so a
decoding slip cannot hide behind a reconnect; keepalive 2 s, so PINGRESP has
to be understood) goes through CONNACK, SUBACK, incoming PUBLISH QoS 0/1/2
with PUBREL, PUBACK, PUBREC, PUBCOMP, UNSUBACK and PINGRESP; every payload is
checked byte for byte both ways, and the connection must survive.
"""

import pytest

import faultproxy as fp
import mqtt_harness as h

SMALL = {0: b"", 1: h.pattern_bytes(200, seed=1), 2: bytes(range(256))}
BIG = {0: b"\x00", 1: h.pattern_bytes(130, seed=2), 2: h.pattern_bytes(20000, seed=3)}
DOWN_TYPES = {"CONNACK", "SUBACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "UNSUBACK", "PINGRESP"}


@pytest.mark.parametrize("chunk,delay,payloads", [(1, 0.001, SMALL), (7, 0.0002, BIG)],
                         ids=["1-byte", "7-byte-chunks-20KB"])
def test_every_packet_type_decoded_when_delivered_in_pieces(broker, make_proxy, make_agent, paho_peer, ids,
                                                            chunk, delay, payloads):
    proxy = make_proxy(broker)
    proxy.trickle(None, chunk=chunk, delay=delay)
    dev = make_agent(proxy.listen_host, proxy.port, ids.client_id, KEEPALIVE=2, RECONN=0, TIMEOUT=30)
    dev.ok("connect", timeout=30)
    for q in (0, 1, 2):
        dev.ok("sub {}/in{} {}".format(ids.topic, q, q), timeout=30)
    dev.ok("listen")
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/out/#", qos=2)

    # Incoming PUBLISH QoS 0, 1, 2 (with PUBREL).
    for q in (0, 1, 2):
        peer.publish("{}/in{}".format(ids.topic, q), payloads[q], qos=q)
    got = dev.wait_messages(3, timeout=60)
    assert sorted((m.topic, m.length, m.sha256) for m in got) == sorted(
        ("{}/in{}".format(ids.topic, q),) + h.message_digest(payloads[q])[:2] for q in (0, 1, 2)), dev.describe()

    # Outgoing QoS 0, 1 (PUBACK), 2 (PUBREC, PUBCOMP).
    for q in (0, 1, 2):
        dev.ok("pub {}/out/{} {} {}".format(ids.topic, q, q, payloads[q].hex() or "-"), timeout=60)
    msgs = peer.wait_messages(3, timeout=30)
    assert sorted((m.topic, m.payload, m.qos) for m in msgs) == sorted(
        ("{}/out/{}".format(ids.topic, q), payloads[q], q) for q in (0, 1, 2))

    # UNSUBACK, then PINGRESP: one asked for, and the keep-alive's own.
    dev.ok("unsub {}/in0".format(ids.topic), timeout=30)
    dev.ok("ping")
    assert proxy.wait_for(lambda p: p.packet_counts(fp.DOWN)["PINGRESP"] >= 3, 15), proxy.packet_counts(fp.DOWN)

    down = proxy.packet_counts(fp.DOWN)
    assert DOWN_TYPES <= set(down), "not every packet type went down: {}".format(dict(down))
    # Really in pieces: one send() per piece.
    assert proxy.trickled[fp.DOWN] >= proxy.connections[0].bytes[fp.DOWN] // chunk, (
        proxy.trickled, proxy.connections[0].bytes)
    assert len(proxy.connections) == 1 and not proxy.connections[0].closed, "the connection was dropped"
    assert dev.errcb() == [] and not dev.lines_matching("^LERR"), dev.describe()
    assert dev.ok("sta") == "0"
