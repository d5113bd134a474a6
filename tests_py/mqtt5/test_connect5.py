"""MQTT 5 CONNECT and CONNACK: connect properties on the wire (through the
fault proxy, which keeps each packet's first bytes), the CONNACK properties
mosquitto 2.0 sends (``client.connack_properties``, ``{}`` for 3.1.1), and the
server-assigned client id for an empty client id."""

import json
import re

import faultproxy as fp
from v5_support import parse_properties


def _connect_bytes(proxy):
    recs = proxy.records(fp.UP, "CONNECT")
    assert len(recs) == 2, recs          # the v5 connection and the v4 one
    return [r.head for _, r in recs]


def test_connect_properties_on_the_wire_and_connack_properties(broker, make_proxy, mpy, ids):
    proxy = make_proxy(broker)
    props = {"session_expiry_interval": 120, "receive_maximum": 10, "maximum_packet_size": 200000,
             "topic_alias_maximum": 4, "request_problem_information": 1,
             "user_properties": [["app", "umqtt"], ["build", "v5"]]}
    r = mpy.run("connack.py", env=dict(mpy.env(broker, ids, CONNECT_PROPS=json.dumps(props)),
                                       MQTT_HOST=proxy.listen_host, MQTT_PORT=proxy.port))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    # What mosquitto 2.0.11 puts in a v5 CONNACK: Receive Maximum 20 (its
    # max_inflight_messages default) and Topic Alias Maximum 10, nothing else.
    assert out == [
        "RC 0",
        "CONNACK [('receive_maximum', 20), ('topic_alias_maximum', 10)]",
        "TYPES [('receive_maximum', 'int'), ('topic_alias_maximum', 'int')]",
        "ID " + ids.client_id,
        "V4 {}",
        "END",
    ], r.describe()
    v5, v4 = _connect_bytes(proxy)
    # Protocol name, level 5; the properties follow the keep-alive.
    assert v5[2:9] == b"\x00\x04MQTT\x05" and v4[2:9] == b"\x00\x04MQTT\x04", (v5, v4)
    body = v5[2 + 10:]
    n = body[0]
    assert n < 128, v5
    prop_bytes = body[1:1 + n]
    assert sorted(parse_properties(prop_bytes)) == sorted([
        (0x11, (120).to_bytes(4, "big")),                       # Session Expiry Interval
        (0x21, (10).to_bytes(2, "big")),                        # Receive Maximum
        (0x27, (200000).to_bytes(4, "big")),                    # Maximum Packet Size
        (0x22, b"\x00\x04"),                                    # Topic Alias Maximum
        (0x17, b"\x01"),                                        # Request Problem Information
        (0x26, (b"app", b"umqtt")),                             # User Properties, in order
        (0x26, (b"build", b"v5")),
    ]), prop_bytes
    assert [v for k, v in parse_properties(prop_bytes) if k == 0x26] == [(b"app", b"umqtt"), (b"build", b"v5")]
    # The client id follows the properties.
    cid = ids.client_id.encode()
    assert body[1 + n:1 + n + 2 + len(cid)] == len(cid).to_bytes(2, "big") + cid, v5
    assert broker.wait_log(r"New client connected from 127\.0\.0\.1:\d+ as {} \(p5, c1, k30\)".format(
        re.escape(ids.client_id))), broker.new_log()


def test_server_assigned_client_id(broker, mpy, ids):
    broker.mark_log()
    r = mpy.run("assigned_id.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert len(out) == 7 and out[-1] == "END", r.describe()
    logged = re.findall(r"New client connected from 127\.0\.0\.1:\d+ as (\S+) \(p5, c1, k30\)", broker.new_log())
    assert len(logged) == 2, broker.new_log()
    for k, typ in enumerate(("str", "bytes")):
        id_line, assigned, echo = out[3 * k:3 * k + 3]
        m = re.match(r"^ID (\w+) (auto-[0-9A-F-]{36})$", id_line)
        assert m and m.group(1) == typ, r.describe()
        cid = m.group(2)
        # The id mosquitto assigned (and logged) is the one the client keeps.
        assert cid == logged[k], (cid, logged)
        assert assigned == "ASSIGNED " + cid, r.describe()
        assert echo == "ECHO under " + cid, r.describe()
    assert logged[0] != logged[1]


def test_clean_session_false_keeps_the_session_without_an_expiry_given(broker, make_proxy, mpy, ids):
    # clean_session=False and no session_expiry_interval: Session Expiry
    # Interval 0xFFFFFFFF on the wire (the 3.1.1 meaning), so the second
    # connect finds the session; clean_session=True sends no expiry.
    proxy = make_proxy(broker)
    r = mpy.run("session_default.py", env=dict(mpy.env(broker, ids), MQTT_HOST=proxy.listen_host,
                                                MQTT_PORT=proxy.port))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["SESSION False False", "SESSION False True", "SESSION True False", "END"], \
        r.describe()
    heads = [rec.head for _, rec in proxy.records(fp.UP, "CONNECT")]
    assert len(heads) == 3, heads
    for head, clean in zip(heads, (False, False, True)):
        assert head[2:9] == b"\x00\x04MQTT\x05" and bool(head[9] & 0x02) == clean, head
        expiry = [v for k, v in parse_properties(head[13:13 + head[12]]) if k == 0x11]
        assert expiry == ([] if clean else [b"\xff\xff\xff\xff"]), head


def test_broker_maximum_packet_size_from_mosquitto(make_broker, mpy, ids, paho_peer):
    broker = make_broker(extra_config=["max_packet_size 1000"])
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/#", qos=1)
    r = mpy.run("max_packet_broker.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert out[0] == "MPS 1000", r.describe()
    for line, qos in zip(out[1:3], (0, 1)):
        prefix = "BIG {} MQTTException 149 ".format(qos)
        assert line.startswith(prefix) and "packet too large" in line.lower(), r.describe()
    assert out[3:] == ["SMALL True", "STA 0", "END"], r.describe()
    msgs = peer.wait_messages(1, timeout=10)
    assert [(m.topic, m.payload) for m in msgs] == [(ids.topic + "/small", b"y" * 900)]
    log = broker.log_text()
    assert "Received PUBLISH from {} (d0, q1, r0, m".format(ids.client_id) in log, log
    assert "big" not in log and "exceeded" not in log.lower(), log


def test_each_connect_advertises_max_packet_as_the_chunk_callback_stands_then(mpy):
    # Scripted broker (each connection: CONNACK, end of stream; reconn=True
    # reconnects): max_packet is advertised on the first CONNECT; a chunk
    # callback set after connect() takes messages of any size, so the
    # reconnect advertises no Maximum Packet Size; cleared, the next does.
    r = mpy.run("max_packet_reconnect.py", timeout=30)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert out[-1] == "END" and len(out) == 4, r.describe()
    advertised = []
    for n, line in enumerate(out[:3], 1):
        label, k, props = (line.split(" ") + [""])[:3]
        assert (label, k) == ("PROPS", str(n)) and props != "none", r.describe()
        advertised.append([v for p, v in parse_properties(bytes.fromhex(props)) if p == 0x27])
    assert advertised == [[(4096).to_bytes(4, "big")], [], [(4096).to_bytes(4, "big")]], r.describe()
