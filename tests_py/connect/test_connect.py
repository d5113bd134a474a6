"""connect() / disconnect() against mosquitto, and CONNACK refusals."""

import re

import pytest

from mqtt_harness import AUTH_USERS


def _connected_re(cid, proto, clean, keepalive, user=None):
    tail = ", u'{}'".format(re.escape(user)) if user else ""
    return r"New client connected from 127\.0\.0\.1:\d+ as {} \(p{}, c{}, k{}{}\)\.".format(
        re.escape(cid), proto, clean, keepalive, tail
    )


def _disconnected_re(cid):
    # After a DISCONNECT packet mosquitto logs "Received DISCONNECT from <id>"
    # then "Client <id> disconnected."; a bare socket close logs "Client <id>
    # closed its connection." instead.
    return r"(?m)Received DISCONNECT from {0}$(?:\n.*)*?\n\d+: Client {0} disconnected\.$".format(re.escape(cid))


def test_connect_returns_0_and_disconnect_sends_DISCONNECT(broker, mpy, ids):
    r = mpy.run("connect_disconnect.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    assert lines[0] == "CONNECT 0", r.describe()
    assert lines[-1] == "END", r.describe()
    assert broker.wait_log(_connected_re(ids.client_id, 2, 1, 30)), broker.new_log()
    assert broker.wait_log(_disconnected_re(ids.client_id)), broker.new_log()


def test_connect_sends_keepalive_and_clean_session_false(broker, mpy, ids):
    r = mpy.run("connect_disconnect.py", env=mpy.env(broker, ids, MQTT_KEEPALIVE=120, MQTT_CLEAN=0))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines()[0] == "CONNECT 0", r.describe()
    assert broker.wait_log(_connected_re(ids.client_id, 2, 0, 120)), broker.new_log()
    assert broker.wait_log(_disconnected_re(ids.client_id)), broker.new_log()


@pytest.mark.parametrize("version,proto", [(4, 2), (3, 1)], ids=["mqtt3.1.1", "mqtt3.1"])
def test_connect_with_protocol_version(broker, mpy, ids, version, proto):
    r = mpy.run("connect_disconnect.py", env=mpy.env(broker, ids, MQTT_VERSION=version))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines()[0] == "CONNECT 0", r.describe()
    assert broker.wait_log(_connected_re(ids.client_id, proto, 1, 30)), broker.new_log()


def test_connect_with_good_credentials(auth_broker, mpy, ids):
    user, password = "alice", AUTH_USERS["alice"]
    r = mpy.run("connect_disconnect.py", env=mpy.env(auth_broker, ids, MQTT_USER=user, MQTT_PASSWORD=password))
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    assert lines[0] == "CONNECT 0" and lines[-1] == "END", r.describe()
    assert auth_broker.wait_log(_connected_re(ids.client_id, 2, 1, 30, user=user)), auth_broker.new_log()


# mosquitto 2.0.11 answers every failed authentication (wrong password,
# unknown user, no credentials while allow_anonymous is false) with CONNACK
# return code 5 "not authorised" (seen in its log as "Sending CONNACK to ... (0, 5)").
@pytest.mark.parametrize(
    "user,password",
    [("alice", "wrong-password"), ("nobody", "whatever"), (None, None)],
    ids=["wrong-password", "unknown-user", "anonymous"],
)
def test_refused_connack_raises_MQTTException_with_code(auth_broker, mpy, ids, user, password):
    env = mpy.env(auth_broker, ids, MQTT_USER=user, MQTT_PASSWORD=password,
                  MQTT_GOOD_USER="device01", MQTT_GOOD_PASSWORD=AUTH_USERS["device01"])
    r = mpy.run("connect_refused.py", env=env)
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == [
        "SUBCLASS True",
        "REFUSED MQTTException 5",
        "ALIVE",
        "RETRY 0",
        "END",
    ], r.describe()
    assert auth_broker.wait_log(r"Sending CONNACK to 127\.0\.0\.1 \(0, 5\)"), auth_broker.new_log()


def test_get_mqttsta_reports_connected_then_closed(broker, mpy, ids):
    r = mpy.run("mqttsta.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == [
        "CONNECT 0",
        "STA_CONNECTED 0",
        "STA_DISCONNECTED -1",
        "END",
    ], r.describe()
