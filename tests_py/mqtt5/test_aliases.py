"""MQTT 5 topic aliases.

Outgoing: mosquitto 2.0.11 advertises Topic Alias Maximum 10 in its CONNACK;
the client then sends a repeated topic as an empty topic + alias. Measured
through the fault proxy: 20 QoS 1 publishes to one 64-byte topic take
fewer client->broker bytes with version=5 than with version=4 (about 60 per
repeated publish), and the paho peer gets all 20 on the full topic.

Incoming (a scripted broker, exact bytes): aliases the broker sets are
resolved (message.topic is always the full topic); an alias never set, above
the topic_alias_maximum we advertised (4), or 0 drops the connection; an
asked maximum above 16 is advertised as 16; a QoS 2 duplicate that sets an
alias is delivered once and its alias kept."""

import re

import faultproxy as fp
from v5_support import parse_properties

N = 20


def test_outgoing_aliases_save_bytes_on_the_wire(broker, make_proxy, mpy, ids, paho_peer, figures):
    topic = (ids.topic + "/" + "x" * 64)[:64]
    peer = paho_peer(broker)
    peer.subscribe(topic, qos=1)
    up = {}
    for version in (4, 5):
        proxy = make_proxy(broker)
        env = dict(mpy.env(broker, ids, LONG_TOPIC=topic, VERSION=version, N=N),
                   MQTT_HOST=proxy.listen_host, MQTT_PORT=proxy.port)
        env["MQTT_CLIENT_ID"] = "{}-v{}".format(ids.client_id, version)
        r = mpy.run("alias_out.py", env=env)
        assert r.returncode == 0, r.describe()
        assert r.stdout.splitlines() == ["TAM {}".format(10 if version == 5 else None),
                                         "PUBLISHED {}".format(N), "END"], r.describe()
        assert proxy.wait_for(lambda p: p.connections and all(c.closed for c in p.connections), 5)
        assert len(proxy.connections) == 1, proxy.summary()
        up[version] = proxy.connections[0].bytes[fp.UP]
        topics = [r.publish_topic() for _, r in proxy.records(fp.UP, "PUBLISH")]
        if version == 4:
            assert topics == [topic.encode()] * N, topics
        else:
            # The first names the topic (and sets the alias), the others are empty.
            assert topics == [topic.encode()] + [b""] * (N - 1), topics
            first = proxy.records(fp.UP, "PUBLISH")[0][1].head
            assert b"\x23\x00" in first[2 + 2 + 64 + 2:], first     # a Topic Alias property
    figures("{} QoS 1 publishes to a 64-byte topic: {} bytes client->broker with version=4, {} with version=5".format(
        N, up[4], up[5]))
    # Each repeated publish saves the topic (64 bytes) less the alias property (3 bytes).
    assert up[5] <= up[4] - (N - 1) * 55, up
    msgs = peer.wait_messages(2 * N, timeout=10)
    assert [m.payload for m in msgs] == [b"m%02d" % i for i in range(N)] * 2, msgs
    assert {m.topic for m in msgs} == {topic}


def test_incoming_aliases_scripted(mpy):
    r = mpy.run("alias_in.py", timeout=30)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert out[0] == "A " + repr([(b"a/b", b"one", 0), (b"a/b", b"two", 0), (b"a/b", b"three", 1),
                                  (b"c/d", b"four", 0), (b"c/d", b"five", 0)]), r.describe()
    # The CONNECT: protocol level 5, Topic Alias Maximum 4 among its properties.
    connect = bytes.fromhex(out[1].split()[1])
    assert connect[0] == 0x10 and connect[2:9] == b"\x00\x04MQTT\x05", r.describe()
    n = connect[12]
    assert (0x22, b"\x00\x04") in parse_properties(connect[13:13 + n]), r.describe()
    # After the CONNECT: the PUBACK of the QoS 1 message (packet id 5), reason
    # Success (with or without the reason byte), and nothing else.
    assert out[2] in ("AFTER 40020005", "AFTER 4003000500", "AFTER 400400050000"), r.describe()
    for k, label in enumerate("BCD"):
        assert re.match(r"^{} DROPPED \w+$".format(label), out[3 + 2 * k]), r.describe()
        assert out[4 + 2 * k] == "{} delivered []".format(label), r.describe()
    assert out[-1] == "END", r.describe()


def test_incoming_alias_maximum_capped_to_16_scripted(mpy):
    r = mpy.run("alias_in.py", timeout=30)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    # topic_alias_maximum 100 asked: capped to 16 (the contract), so alias 16
    # is resolved and alias 17 drops the connection.
    assert out[9:13] == ["E16 ok", "E16 delivered " + repr([(b"e/f", b"edge"), (b"e/f", b"again")]),
                         "E17 DROPPED MQTTException", "E17 delivered []"], r.describe()
    e_connect = bytes.fromhex(out[13].split()[2])
    n = e_connect[12]
    assert (0x22, b"\x00\x10") in parse_properties(e_connect[13:13 + n]), r.describe()
    assert out[-1] == "END", r.describe()


def test_incoming_qos2_duplicate_setting_an_alias_scripted(mpy):
    r = mpy.run("alias_in.py", timeout=30)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    # The DUP copy of a QoS 2 message (before PUBREL) sets alias 3: the
    # message is delivered once, the alias resolves the next PUBLISH.
    assert out[14:] == [
        "F delivered " + repr([(b"q/2", b"once", 2), (b"q/2", b"by alias", 0)]),
        "F sent 500200095002000970020009",          # PUBREC, PUBREC (the copy), PUBCOMP
        "END",
    ], r.describe()
