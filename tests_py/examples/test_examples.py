"""The scripts in examples/ run as a user would run them, against the local
broker, with MQTT_HOST/MQTT_PORT/MQTT_CLIENT_ID/MQTT_TOPIC (and MQTT_COUNT,
MQTT_CA, MQTT_INTERVAL_MS) from the environment: every printed line and
every payload the paho peer sees is checked exactly."""

import re

import pytest

import mqtt_harness as h

EXAMPLES = h.REPO / "examples"


def example(name):
    return EXAMPLES / name


def lines_of(result):
    return result.stdout.splitlines()


def describe(result):
    return "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}".format(result.returncode, result.stdout,
                                                                        result.stderr)


def test_publish(broker, paho_peer, mpy, ids):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic, qos=1)
    r = mpy.run(example("publish.py"), env=mpy.env(broker, ids))
    assert r.returncode == 0, describe(r)
    assert lines_of(r) == [
        "connect: 0",
        "publish 0 qos 0 -> True",
        "publish 1 qos 1 -> True",
        "publish 2 qos 1 -> True",
        "done",
    ], describe(r)
    got = peer.wait_messages(3, topic=ids.topic, timeout=5)
    assert [(m.payload, m.qos) for m in got] == [
        (b"hello 0 qos 0", 0), (b"hello 1 qos 1", 1), (b"hello 2 qos 1", 1)]
    assert broker.wait_log(r"Received DISCONNECT from {}".format(re.escape(ids.client_id))), broker.new_log()


def test_subscribe(broker, paho_peer, mpy, ids):
    peer = paho_peer(broker)
    p = mpy.start(example("subscribe.py"), env=mpy.env(broker, ids, MQTT_COUNT=3))
    p.wait_line(r"^subscribed ", timeout=15)
    sent = ["first", "zweite Nachricht \u00e4", ""]
    for i, text in enumerate(sent):
        peer.publish(ids.topic, text.encode(), qos=i % 2)
    assert p.wait(timeout=15) == 0, p.describe()
    assert p.lines == ["connect: 0", "subscribed " + ids.topic] + [
        "message {} {} {}".format(i + 1, ids.topic, text) for i, text in enumerate(sent)] + ["done"], p.describe()


def test_subscribe_defaults_to_no_limit(broker, paho_peer, mpy, ids):
    # Without MQTT_COUNT the script keeps listening: still running after 5 messages.
    peer = paho_peer(broker)
    p = mpy.start(example("subscribe.py"), env=mpy.env(broker, ids))
    p.wait_line(r"^subscribed ", timeout=15)
    for i in range(5):
        peer.publish(ids.topic, "m{}".format(i).encode(), qos=1)
    p.wait_line(r"^message 5 .* m4$", timeout=10)
    assert p.returncode is None, p.describe()


def test_tls_pinned_ca(tls_broker, pki, paho_peer, mpy, ids):
    b = tls_broker
    peer = paho_peer(b)
    peer.subscribe(ids.topic, qos=1)
    env = {"MQTT_HOST": "localhost", "MQTT_PORT": b.tls_ports["tls"], "MQTT_CA": pki.path("ca"),
           "MQTT_CLIENT_ID": ids.client_id, "MQTT_TOPIC": ids.topic}
    r = mpy.run(example("tls_pinned_ca.py"), env=env)
    assert r.returncode == 0, describe(r)
    assert lines_of(r) == ["connect: 0", "publish -> True", "done"], describe(r)
    got = peer.wait_messages(1, topic=ids.topic, timeout=5)
    assert [(m.payload, m.qos) for m in got] == [(b"hello over TLS", 1)]


@pytest.mark.parametrize("case", ["unrelated CA", "wrong host", "expired"])
def test_tls_pinned_ca_refuses(tls_broker, pki, paho_peer, mpy, ids, case):
    b = tls_broker
    peer = paho_peer(b)
    peer.subscribe(ids.topic, qos=1)
    ca, listener = {"unrelated CA": ("other_ca", "tls"), "wrong host": ("ca", "wrong_host"),
                    "expired": ("ca", "expired")}[case]
    env = {"MQTT_HOST": "localhost", "MQTT_PORT": b.tls_ports[listener], "MQTT_CA": pki.path(ca),
           "MQTT_CLIENT_ID": ids.client_id, "MQTT_TOPIC": ids.topic}
    r = mpy.run(example("tls_pinned_ca.py"), env=env)
    assert r.returncode == 1, describe(r)
    assert len(lines_of(r)) == 1 and re.match(r"^TLS connection refused: (OSError|MQTTException)$",
                                              lines_of(r)[0]), describe(r)
    assert peer.wait_messages(1, topic=ids.topic, timeout=1) == []


def test_last_will_after_close(broker, paho_peer, mpy, ids):
    status = ids.topic + "/status"
    peer = paho_peer(broker)
    peer.subscribe(status, qos=1)
    r = mpy.run(example("last_will.py"), env=mpy.env(broker, ids))
    assert r.returncode == 0, describe(r)
    assert lines_of(r) == ["connect: 0", "publish online -> True", "closed without DISCONNECT"], describe(r)
    got = peer.wait_messages(2, topic=status, timeout=10)
    assert [m.payload for m in got] == [b"online", b"offline"], got
    # Both retained: a late subscriber sees the will.
    late = paho_peer(broker)
    late.subscribe(status, qos=1)
    got = late.wait_messages(1, topic=status, timeout=5)
    assert [(m.payload, m.retain) for m in got] == [(b"offline", True)]
    peer.publish(status, b"", qos=1, retain=True)  # clear the retained will


def test_persistent_session(broker, paho_peer, mpy, ids):
    env = mpy.env(broker, ids)
    first = mpy.run(example("persistent_session.py"), env=env)
    assert first.returncode == 0, describe(first)
    assert lines_of(first) == ["new session: subscribing", "done"], describe(first)
    # While the device is away: the broker queues QoS 1 messages for its session.
    peer = paho_peer(broker)
    queued = ["while away 1", "while away 2", "while away 3"]
    for text in queued:
        peer.publish(ids.topic, text.encode(), qos=1)
    env["MQTT_COUNT"] = 3
    second = mpy.run(example("persistent_session.py"), env=env)
    assert second.returncode == 0, describe(second)
    # The queued messages may reach the callback inside connect() already (the
    # broker sends them right after CONNACK), so their lines are checked apart
    # from the others: the session branch, then "done"; the messages in order.
    lines = lines_of(second)
    messages = [l for l in lines if l.startswith("message ")]
    assert [l for l in lines if l not in messages] == [
        "session present: the broker kept our subscription", "done"], describe(second)
    assert messages == ["message {} {}".format(ids.topic, t) for t in queued], describe(second)


BANNER = [
    "==================================================",
    "PROJECT_NAME     : QuecPython_MQTT_example",
    "PROJECT_VERSION  : 1.0.0",
    None,  # FIRMWARE_VERSION : micropython 1.25.0 (linux)
    "==================================================",
]


def check_banner(lines):
    assert len(lines) >= 5
    for want, got in zip(BANNER, lines[:5]):
        if want is None:
            assert re.match(r"^FIRMWARE_VERSION : micropython \d+\.\d+\.\d+ \(\w+\)$", got), lines
        else:
            assert got == want, lines


def test_quecpython_style(broker, paho_peer, mpy, ids):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic, qos=1)
    r = mpy.run(example("quecpython_style.py"),
                env=mpy.env(broker, ids, MQTT_COUNT=3, MQTT_INTERVAL_MS=50))
    assert r.returncode == 0, describe(r)
    lines = lines_of(r)
    check_banner(lines)
    assert lines[5:] == ["network ready", "connect: 0", "publish 0 acknowledged", "publish 1 acknowledged",
                         "publish 2 acknowledged", "done"], describe(r)
    got = peer.wait_messages(3, topic=ids.topic, timeout=5)
    assert [(m.payload, m.qos) for m in got] == [(b"reading 0", 1), (b"reading 1", 1), (b"reading 2", 1)]


@pytest.mark.umqtt_timeout(90)
def test_quecpython_style_broker_restart(make_broker, paho_peer, mpy, ids):
    """The broker is killed after the second publish and comes back 1 s later:
    the error callback hears reconnect_start then reconnect_success, every
    publish() returns (acknowledged or pending, never an exception), and the
    messages after the restart reach a subscriber."""
    b = make_broker()
    p = mpy.start(example("quecpython_style.py"),
                  env=mpy.env(b, ids, MQTT_COUNT=8, MQTT_INTERVAL_MS=500))
    p.wait_line(r"^publish 1 acknowledged$", timeout=20)
    b.kill()
    h.wait_until(lambda: False, 1.0)
    b.restart()
    peer = paho_peer(b)
    peer.subscribe(ids.topic, qos=1)
    assert p.wait(timeout=60) == 0, p.describe()
    lines = p.lines
    check_banner(lines)
    body = lines[5:]
    assert body[:4] == ["network ready", "connect: 0", "publish 0 acknowledged", "publish 1 acknowledged"], p.describe()
    assert body[-1] == "done", p.describe()
    publishes = [l for l in body if l.startswith("publish ")]
    assert [l.rsplit(" ", 1)[0] for l in publishes] == ["publish {}".format(i) for i in range(8)], p.describe()
    assert all(re.match(r"^publish \d (acknowledged|pending)$", l) for l in publishes), p.describe()
    errors = [l for l in body if l.startswith("mqtt error callback: ")]
    assert errors[:2] == ["mqtt error callback: reconnect_start", "mqtt error callback: reconnect_success"], (
        p.describe())
    assert set(l for l in body if l not in publishes and l not in errors) == {
        "network ready", "connect: 0", "done"}, p.describe()
    got = peer.wait_for(lambda ms: any(m.payload == b"reading 7" for m in ms), timeout=10)
    assert got, peer.messages()
