"""Wrong arguments and impossible calls raise clear exceptions; the interpreter keeps running."""

import pytest

import mqtt_harness as h

# case -> accepted exception types
EXPECTED = {
    "publish_before_connect": ("MQTTException", "OSError"),
    "subscribe_before_connect": ("MQTTException", "OSError"),
    "ctor_client_id_int": ("TypeError",),
    "ctor_port_str": ("TypeError",),
    "ctor_keepalive_65536": ("ValueError",),
    "ctor_keepalive_negative": ("ValueError",),
    "ctor_version_6": ("ValueError",),
    "v4_publish_properties": ("ValueError",),
    "v5_unknown_property": ("ValueError",),
    "v4_subscribe_no_local": ("ValueError",),
    "will_qos_3": ("ValueError",),
    "will_topic_wildcard": ("ValueError",),
    "will_topic_int": ("TypeError",),
    "publish_qos_3": ("ValueError",),
    "publish_qos_negative": ("ValueError",),
    "publish_qos_str": ("TypeError",),
    "publish_topic_int": ("TypeError",),
    "publish_topic_none": ("TypeError",),
    "publish_topic_plus": ("ValueError",),
    "publish_topic_hash": ("ValueError",),
    "publish_topic_empty": ("ValueError",),
    "publish_msg_int": ("TypeError",),
    "publish_msg_none": ("TypeError",),
    "subscribe_qos_3": ("ValueError",),
    "subscribe_topic_int": ("TypeError",),
    "subscribe_topic_empty": ("ValueError",),
}

# case -> words of which the message must contain one (case-insensitive):
# a clear exception names the argument at fault.
NAMED = {
    "ctor_keepalive_65536": ("keepalive",),
    "ctor_keepalive_negative": ("keepalive",),
    "ctor_version_6": ("version",),
    "v4_publish_properties": ("version=5",),
    "v5_unknown_property": ("colour",),
    "v4_subscribe_no_local": ("version=5",),
    "will_qos_3": ("qos",),
    "will_topic_wildcard": ("topic", "wildcard"),
    "publish_qos_3": ("qos",),
    "publish_qos_negative": ("qos",),
    "publish_topic_int": ("topic",),
    "publish_topic_none": ("topic",),
    "publish_topic_plus": ("topic", "wildcard"),
    "publish_topic_hash": ("topic", "wildcard"),
    "publish_topic_empty": ("topic",),
    "subscribe_qos_3": ("qos",),
    "subscribe_topic_int": ("topic",),
}


@pytest.fixture(scope="module")
def bad_args_run(_broker_session, firmware, tmp_path_factory):
    """Run bad_arguments.py once for the module; the paho peer watches <topic>/ok."""
    b = _broker_session
    topic = "umqtt-test/" + h.unique("bad-args")
    peer = h.PahoPeer(b.host, b.port).connect()
    try:
        peer.subscribe(topic + "/#", qos=1)
        env = {"MQTT_HOST": b.host, "MQTT_PORT": b.port, "MQTT_CLIENT_ID": h.unique("umqtt"), "MQTT_TOPIC": topic}
        script = h.TESTS_DIR / "errors" / "bad_arguments.py"
        result = h.run_mpy(firmware, script, env=env, timeout=60)
        msgs = peer.wait_messages(1, timeout=5)
    finally:
        peer.close()
    return result, h.parse_results(result.stdout, "CASE"), topic, msgs


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_argument_raises(bad_args_run, case):
    result, cases, _, _ = bad_args_run
    assert case in cases, "case not reached:\n" + result.describe()
    kind = cases[case].split(" ", 1)[0]
    assert kind in EXPECTED[case], "{}: got {}, expected {}".format(case, cases[case], " or ".join(EXPECTED[case]))


@pytest.mark.parametrize("case", sorted(NAMED))
def test_bad_argument_message_names_the_argument(bad_args_run, case):
    result, cases, _, _ = bad_args_run
    assert case in cases, "case not reached:\n" + result.describe()
    text = cases[case].lower()
    assert text.split(" ", 1)[0] in [k.lower() for k in EXPECTED[case]], cases[case]
    assert any(word in text.split(" ", 1)[1] for word in NAMED[case]), "{}: {}".format(case, cases[case])


def test_interpreter_and_connection_survive_bad_arguments(bad_args_run):
    result, cases, topic, msgs = bad_args_run
    assert result.returncode == 0, result.describe()
    lines = result.stdout.splitlines()
    assert "CONNECT 0" in lines, result.describe()
    assert lines[-3:] == ["ALIVE", "PUBLISHED_AFTER", "END"], result.describe()
    assert len(cases) == len(EXPECTED), result.describe()
    # Nothing invalid reached the broker; the valid message after the errors did.
    assert [(m.topic, m.payload) for m in msgs] == [(topic + "/ok", b"still alive")], msgs


def test_connect_to_closed_port_raises_promptly(mpy, ids):
    port = h.free_port()
    r = mpy.run("tcp_refused.py", env={"MQTT_HOST": h.LOOPBACK, "MQTT_PORT": port, "MQTT_CLIENT_ID": ids.client_id},
                timeout=30)
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[1] == "ALIVE", r.describe()
    word, kind, ms = lines[0].split(" ")
    assert word == "REFUSED" and kind in ("OSError", "MQTTException"), r.describe()
    assert int(ms) < 5000, r.describe()


def test_calls_after_a_name_that_did_not_resolve_raise_enotconn(mpy, ids):
    # The name's failure carries no errno ("[addrinfo error -2]"); the calls
    # after it raised ECONNRESET, as if a connection had been reset.
    r = mpy.run("failed_open.py", env={"MQTT_HOST": "no-such-broker.invalid", "MQTT_PORT": 1883,
                                       "MQTT_CLIENT_ID": ids.client_id}, timeout=60)
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    assert lines[-1] == "ALIVE", r.describe()
    for face in ("quecpython", "simple"):
        assert face + " CONNECT OSError" in lines, r.describe()
        for call in ("PUBLISH0", "PUBLISH1", "SUBSCRIBE"):
            assert "{} {} ENOTCONN".format(face, call) in lines, r.describe()
