"""The three blocking faces, each as its reference's scripts expect
(issue 12): umqtt.MQTTClient (QuecPython), umqtt.simple.MQTTClient and
umqtt.robust.MQTTClient (micropython-lib). Each test is a finding that
failed before the faces existed."""

import time

import pytest

import mqtt_harness as h
from mqtt_harness import ConfigurableBroker

FACES = ["quecpython", "simple", "robust"]


def lines_of(r):
    assert r.returncode == 0, r.describe()
    return r.stdout.splitlines()


@pytest.mark.parametrize("face", FACES)
def test_attributes_hold_the_configuration(broker, mpy, ids, face):
    lines = lines_of(mpy.run("face_attributes.py", env=mpy.env(broker, ids, UMQTT_FACE=face)))
    assert lines == [
        "BEFORE sock=None lw_topic=None lw_msg=None lw_qos=0 lw_retain=False pid=0",
        "WILL True b'gone' 1 True",
        "CONFIG True True True u1 p1 30 False {{}} {} 2 4 False 0 2 False".format(face == "quecpython"),
    ]


@pytest.mark.parametrize("face", FACES)
def test_attributes_follow_the_session(broker, mpy, ids, face):
    lines = lines_of(mpy.run("face_attributes_connected.py", env=mpy.env(broker, ids, UMQTT_FACE=face)))
    assert lines == ["SOCK True", "CB True", "TOPICS ['/a', '/b']", "PID True True True", "AFTER None"]


@pytest.mark.parametrize("face,clean,first,second,timeout", [
    ("quecpython", "0", "0", "0", "0"),
    ("simple", "False", "False", "True", "False"),
    ("robust", "False", "False", "True", "False"),
])
def test_connect_returns_what_the_face_returns(broker, mpy, ids, face, clean, first, second, timeout):
    lines = lines_of(mpy.run("face_session_present.py", env=mpy.env(broker, ids, UMQTT_FACE=face)))
    expected = ["CLEAN " + clean, "PERSISTENT 0 " + first]
    if face != "quecpython":
        expected.append("SUBSCRIBED")   # the micropython-lib branch on "no session"
    expected += ["PERSISTENT 1 " + second, "TIMEOUT " + timeout]
    if face == "quecpython":
        # connect() returns 0 whatever the session: the branch runs each time.
        expected = ["CLEAN 0", "PERSISTENT 0 0", "SUBSCRIBED", "PERSISTENT 1 0", "SUBSCRIBED", "TIMEOUT 0"]
    assert lines == expected


@pytest.mark.parametrize("face", FACES)
def test_keepalive_traffic_does_not_end_wait_msg(broker, mpy, ids, face, paho_peer):
    peer = paho_peer(broker)
    p = mpy.start("face_wait_msg.py", env=mpy.env(broker, ids, UMQTT_FACE=face))
    p.wait_line("READY", timeout=15)
    time.sleep(3.0)         # six keep-alive round trips with keepalive=1
    peer.publish(ids.topic, b"late message", qos=1)
    assert p.wait(timeout=15) == 0, p.describe()
    out = p.stdout.splitlines()
    assert "PING_ENDS True []" in out, p.describe()
    assert "WAITED True [b'late message']" in out, p.describe()


def test_subscribe_without_a_callback_raises_in_every_face(broker, mpy, ids):
    lines = lines_of(mpy.run("face_subscribe_needs_cb.py", env=mpy.env(broker, ids)))
    assert lines == [line for f in FACES for line in ("{} AssertionError".format(f), "{} OK".format(f))]


@pytest.mark.parametrize("face", FACES)
def test_bytearray_topics_are_accepted(broker, mpy, ids, face, paho_peer):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/out", qos=2)
    lines = lines_of(mpy.run("face_bytearray_topic.py", env=mpy.env(broker, ids, UMQTT_FACE=face)))
    assert lines == ["GOT True b'to self'", "TOPICS []"]
    msgs = peer.wait_messages(1, topic=ids.topic + "/out")
    assert [m.payload for m in msgs] == [b"q2"]


def test_wrong_keywords_and_ssl_params_are_named(mpy):
    lines = lines_of(mpy.run("face_bad_arguments.py"))
    for face in FACES:
        assert "{} ctor TypeError unexpected keyword argument 'keepalvie'".format(face) in lines
        assert "{} connect TypeError unexpected keyword argument 'clean_sesion'".format(face) in lines
        assert "{} publish TypeError unexpected keyword argument 'qso'".format(face) in lines
    by_name = {l.split(" ", 1)[0]: l for l in lines if not l.startswith(tuple(FACES))}
    assert "ValueError ssl_params: unknown key 'cafile'" in by_name["cafile"]
    assert lines[lines.index(by_name["cafile"]) + 1].startswith(
        "ca path ValueError ssl_params['ca'] must be PEM or DER data, not a file name")
    assert "ca pem NO ERROR" in lines and "ca der NO ERROR" in lines
    assert any(l.startswith("server_side ValueError") for l in lines)
    assert "ipvtype ValueError ipvtype must be 0..1" in lines
    assert "VERSION str True" in lines


@pytest.mark.parametrize("face,reconn,late", [
    ("quecpython", "1", "LATE False"),
    ("quecpython", "0", "LATE OSError 110"),
    ("simple", "0", "LATE OSError 110"),
])
def test_a_late_acknowledgement_is_false_or_an_oserror_never_silent(make_broker, make_proxy, mpy, ids, paho_peer,
                                                                     face, reconn, late):
    b = make_broker()
    proxy = make_proxy(b)
    peer = paho_peer(b)
    peer.subscribe(ids.topic, qos=1)
    env = mpy.env(b, ids, UMQTT_FACE=face, RECONN=reconn)
    env["MQTT_PORT"] = proxy.port
    p = mpy.start("face_publish_result.py", env=env)
    p.wait_line("STALL", timeout=15)
    proxy.stall("down")             # the broker's PUBACK never arrives
    p.send_line("go")
    assert p.wait(timeout=20) == 0, p.describe()
    out = p.stdout.splitlines()
    on_time = "True" if face == "quecpython" else "None"
    assert out[:3] == ["ON_TIME {} {}".format(q, on_time) for q in range(3)], p.describe()
    assert late in out, p.describe()
    # The late message did reach the broker once: it is in flight, not lost.
    msgs = peer.wait_messages(4, topic=ids.topic)
    assert sorted(m.payload for m in msgs) == sorted([b"on time 0", b"on time 1", b"on time 2", b"late"])


@pytest.mark.parametrize("face", ["quecpython", "simple"])
def test_a_connection_the_broker_closes_is_an_oserror(broker, mpy, ids, face):
    p = mpy.start("face_lost_connection.py", env=mpy.env(broker, ids, UMQTT_FACE=face))
    p.wait_line("READY", timeout=15)
    # A second client with the same id: the broker closes the first.
    intruder = h.PahoPeer(broker.host, broker.port, client_id=ids.client_id)
    intruder.connect()
    try:
        assert p.wait(timeout=15) == 0, p.describe()
    finally:
        intruder.close()
    out = p.stdout.splitlines()
    assert out[1:] == ["LOST 0 OSError 104 True", "LOST 1 OSError 104 True"], p.describe()


def test_a_robust_subclass_overrides_are_called_through_cuts(make_broker, make_proxy, mpy, ids, paho_peer):
    b = make_broker()
    proxy = make_proxy(b)
    peer = paho_peer(b)
    env = mpy.env(b, ids)
    env["MQTT_PORT"] = proxy.port
    p = mpy.start("face_robust_subclass.py", env=env)
    p.wait_line("READY", timeout=15)
    proxy.set_mode("refuse")        # the first reconnect attempts fail: log(True, e), delay(i)
    proxy.cut()
    time.sleep(0.7)
    proxy.set_mode("forward")
    # Back: a connection through the proxy that got its CONNACK (counted by name).
    assert h.wait_until(lambda: any(c.packets["down"]["CONNACK"] for c in proxy.connections[1:] if not c.closed), 15), \
        p.describe()
    time.sleep(0.3)
    peer.publish(ids.topic, b"one", qos=1)
    time.sleep(0.5)
    proxy.cut()                     # and once more, with the broker at once reachable
    time.sleep(1.0)
    peer.publish(ids.topic, b"two", qos=1)
    assert p.wait(timeout=20) == 0, p.describe()
    out = p.stdout.splitlines()
    assert out[0] == "READY", p.describe()
    assert out[-1] == "GOT [b'one', b'two']", p.describe()
    assert out[1] == "LOG False OSError" and out[2] == "RECONNECT", p.describe()
    assert "LOG True OSError" in out and "DELAY 1" in out, p.describe()
    assert out.count("RECONNECT") == 2, p.describe()


@pytest.mark.parametrize("qos,ack", [(1, "PUBACK"), (2, "PUBREC")])
def test_a_robust_publish_retried_after_a_cut_sends_one_message(make_broker, make_proxy, mpy, ids, paho_peer,
                                                                  qos, ack):
    b = make_broker()
    proxy = make_proxy(b)
    peer = paho_peer(b)
    peer.subscribe(ids.topic, qos=2)
    proxy.cut_on_packet("down", ack, offset="mid")
    env = mpy.env(b, ids, QOS=qos)
    env["MQTT_PORT"] = proxy.port
    r = mpy.run("face_robust_publish.py", env=env, timeout=30)
    lines = lines_of(r)
    assert lines[0] == "LOG False OSError" and lines[-1] == "PUBLISH None", r.describe()
    assert len(proxy.cuts) == 1, proxy.cuts
    sent = [(rec.publish_id(), rec.dup) for c in proxy.connections for rec in c.records["up"] if rec.type == 3]
    assert len(sent) == 2 and sent[0][0] == sent[1][0] and not sent[0][1] and sent[1][1], sent
    msgs = peer.wait_messages(1, topic=ids.topic)
    time.sleep(0.5)
    payloads = [m.payload for m in peer.messages(ids.topic)]
    assert payloads == [b"exactly one"] * (1 if qos == 2 else len(payloads)) and payloads, payloads


def test_quecpython_manage_ipvtype_and_delay(tmp_path, mpy, ids):
    port = h.free_port()
    b = ConfigurableBroker(tmp_path / "v6", extra_config=["listener {} ::1".format(port)])
    h.start_or_fail(b)
    try:
        env = {"MQTT_HOST": "::1", "MQTT_PORT": port, "MQTT_CLIENT_ID": ids.client_id, "MQTT_TOPIC": ids.topic}
        lines = lines_of(mpy.run("face_quecpython_extras.py", env=env))
        assert lines == ["ARGS True 1 True", "CONNECT 0", "DELAY True"]
    finally:
        b.stop()
