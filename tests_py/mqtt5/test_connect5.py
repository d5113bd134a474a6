"""MQTT 5 CONNECT and CONNACK: connect properties on the wire (through the
fault proxy, which keeps each packet's first bytes), the CONNACK properties
mosquitto 2.0 sends (``client.connack_properties``, ``{}`` for 3.1.1), and the
server-assigned client id for an empty client id."""

import json
import re

import faultproxy as fp


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
    expected = {
        b"\x11" + (120).to_bytes(4, "big"),                     # Session Expiry Interval
        b"\x21" + (10).to_bytes(2, "big"),                      # Receive Maximum
        b"\x27" + (200000).to_bytes(4, "big"),                  # Maximum Packet Size
        b"\x22\x00\x04",                                        # Topic Alias Maximum
        b"\x17\x01",                                            # Request Problem Information
        b"\x26\x00\x03app\x00\x05umqtt",                        # User Property
        b"\x26\x00\x05build\x00\x02v5",
    }
    for e in expected:
        assert e in prop_bytes, (e, prop_bytes)
    assert len(prop_bytes) == sum(len(e) for e in expected), prop_bytes
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
