"""MQTT 5 reason codes as MQTTException(code): refused logins (CONNACK),
refused subscriptions (SUBACK), publishes an ACL denies (PUBACK / PUBREC).

What Mosquitto 2.0.11 sends (probed with raw sockets and paho v5):
- a wrong password, an unknown user or no user at all on a broker with a
  password file: CONNACK 0x87 Not authorized (never 0x86), so 0x86 Bad user
  name or password is checked on a scripted CONNACK;
- an ``acl_file`` never refuses a SUBSCRIBE (SUBACK grants the QoS and the
  messages are silently not delivered), so refused subscriptions come from the
  dynamic security plugin, whose ACLs do refuse (SUBACK 0x87);
- a publish the ACL file denies: PUBACK 0x87 at QoS 1, PUBREC 0x87 at QoS 2
  (a 3.1.1 client gets a plain PUBACK);
- a QoS 1 publish nobody subscribed to: PUBACK 0x10 No matching subscribers,
  a success (QoS 2: PUBREC 0x00);
- an unsubscribe the dynamic security plugin refuses: UNSUBACK 0x87; one for
  a filter never subscribed: UNSUBACK 0x11 No subscription existed, a success.

The QuecPython, simple and asyncio faces are checked.
"""

import json

import mqtt_harness as h


def test_refused_logins_raise_the_connack_reason_code(auth_broker, mpy, ids):
    user, good = sorted(h.AUTH_USERS.items())[0]
    cases = [[user, "not-the-password"], ["nobody", "x"], [None, None]]
    r = mpy.run("refused.py", env=mpy.env(auth_broker, ids, CASES=json.dumps(cases), GOOD_USER=user,
                                          GOOD_PASSWORD=good))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert len(out) == 9 and out[-1] == "END", r.describe()
    expected = [("BROKER", 0x87, "Not authorized")] * 3 + [
        ("SCRIPTED", 0x86, "Bad user name or password"),
        ("SCRIPTED", 0x87, "Not authorized"),
        ("SCRIPTED", 0x8C, "Bad authentication method"),
        ("SCRIPTED", 0x80, "Unspecified error"),
    ]
    for line, (label, code, name) in zip(out, expected):
        prefix = "{} REFUSED MQTTException {} ".format(label, code)
        assert line.startswith(prefix), (line, prefix, r.describe())
        assert name.lower() in line[len(prefix):].lower(), (line, name)
    assert out[7] == "GOOD OK 0", r.describe()


def test_refused_subscription_raises_0x87(dynsec_broker, mpy, ids):
    r = mpy.run("sub_denied.py", env=mpy.env(dynsec_broker, ids))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert len(out) == 10 and out[-1] == "END", r.describe()
    for line, label in zip((out[0], out[1], out[4]), ("SUB denied ", "SUB denied2 ", "SIMPLE ")):
        prefix = label + "MQTTException 135 "
        assert line.startswith(prefix) and "not authorized" in line.lower(), r.describe()
    assert out[2:4] == ["GOT b'through'", "STA 0"], r.describe()
    # 3.1.1: SUBACK 0x80, the text umqtt.simple's scripts know; the connection stays.
    refused = "MQTTException 128 (128, 'subscription refused by the broker')"
    assert out[5:9] == ["V4 " + refused, "V4 STA 0", "V4SIMPLE " + refused, "V4SIMPLE STA 0"], r.describe()
    assert dynsec_broker.wait_log(r"Sending SUBACK to " + ids.client_id), dynsec_broker.new_log()


def test_acl_denied_publish_raises_0x87(acl_broker, mpy, ids, paho5):
    peer = paho5(acl_broker)
    peer.subscribe(ids.topic + "/#", qos=2)
    r = mpy.run("pub_denied.py", env=mpy.env(acl_broker, ids))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert len(out) == 10 and out[-1] == "END", r.describe()
    for i, label in ((0, "Q1"), (1, "Q2"), (6, "SIMPLE1")):
        prefix = label + " RAISED MQTTException 135 "
        assert out[i].startswith(prefix) and "not authorized" in out[i].lower(), r.describe()
    assert out[2:6] == ["Q0 RETURNED True", "OK1 RETURNED True", "OK2 RETURNED True", "STA 0"], r.describe()
    assert out[7:9] == ["SIMPLE_OK RETURNED None", "V4 RETURNED True"], r.describe()
    # The broker denied what the client was told was denied, and only that.
    log = acl_broker.new_log()
    for m in ("q1", "q2", "q0"):
        assert "Denied PUBLISH from {} (d0, q{}, r0".format(ids.client_id, m[1]) in log, log
    # A PUBREC with a failure code ends the QoS 2 flow: no PUBREL for the
    # denied message, one for the allowed one.
    assert log.count("Received PUBREL from {} (".format(ids.client_id)) == 1, log
    msgs = peer.wait_messages(3, timeout=10)
    assert sorted(m.payload for m in msgs) == [b"yes1", b"yes2", b"yes3"], msgs
    assert not peer.wait_for(lambda ms: len(ms) > 3, timeout=0.5), peer.messages()


def test_asyncio_face_raises_the_reason_codes(acl_broker, dynsec_broker, mpy, ids, paho5):
    peer = paho5(acl_broker)
    peer.subscribe(ids.topic + "/#", qos=1)
    r = mpy.run("aio_denied.py", env=mpy.env(acl_broker, ids, SUB_DENIED=0))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert len(out) == 5, r.describe()
    for line, label in zip(out, ("Q1", "Q2")):
        prefix = label + " RAISED MQTTException 135 "
        assert line.startswith(prefix) and "not authorized" in line.lower(), r.describe()
    assert out[2:] == ["OK1 RETURNED None", "STA 0", "DONE"], r.describe()
    assert [m.payload for m in peer.wait_messages(1, timeout=10)] == [b"yes-aio"]
    assert not peer.wait_for(lambda ms: len(ms) > 1, timeout=0.5), peer.messages()
    r = mpy.run("aio_denied.py", env=mpy.env(dynsec_broker, ids, SUB_DENIED=1))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert len(out) == 6, r.describe()
    assert out[0].startswith("SUB RAISED MQTTException 135 ") and "not authorized" in out[0].lower(), r.describe()
    # The asyncio face's subscribe returns the granted QoS; under 3.1.1 a
    # refusal is SUBACK 0x80.
    assert out[1:] == ["SUB_OK RETURNED 1", "STA 0",
                       "SUB4 RAISED MQTTException 128 (128, 'subscription refused by the broker')", "SUB4_OK RETURNED 1",
                       "DONE"], r.describe()


def test_no_matching_subscribers_is_a_success(broker, mpy, ids):
    r = mpy.run("no_subscribers.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["umqtt 1 True", "umqtt 2 True", "simple 1 None", "simple 2 None", "END"], \
        r.describe()
    log = broker.new_log()
    assert "Sending PUBACK to {} (m1, rc16)".format(ids.client_id) in log, log
    # (mosquitto 2.0.11 answers the QoS 2 one with PUBREC 0x00.)
    assert "Sending PUBREC to {} (m2, rc0)".format(ids.client_id) in log, log


def test_refused_unsubscribe_raises_0x87(dynsec_broker, mpy, ids):
    r = mpy.run("unsub_denied.py", env=mpy.env(dynsec_broker, ids))
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert len(out) == 10 and out[-1] == "END", r.describe()
    for k, face in enumerate(("umqtt", "simple", "aio")):
        refused, none, sta = out[3 * k:3 * k + 3]
        prefix = face + " refused RAISED MQTTException 135 "
        assert refused.startswith(prefix) and "not authorized" in refused.lower(), r.describe()
        assert none == face + " none RETURNED None", r.describe()       # UNSUBACK 0x11: a success
        assert sta == face + " STA 0", r.describe()
    log = dynsec_broker.new_log()
    assert log.count("Received UNSUBSCRIBE from {}".format(ids.client_id)) == 6, log
