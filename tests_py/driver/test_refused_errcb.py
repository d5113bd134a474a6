"""Defect 5 of issue 10: one refused CONNACK, one ``error_register_cb`` call.

Before the fix, with ``reconn=False``, the refusal was reported twice: once
where the CONNACK was handled and again where ``connect()`` gave up.
"""

import pytest


@pytest.mark.parametrize("user,password", [("alice", "wrong-password"), (None, None)],
                         ids=["wrong-password", "anonymous"])
def test_a_refused_connack_calls_error_register_cb_exactly_once(auth_broker, mpy, ids, user, password):
    env = mpy.env(auth_broker, ids, MQTT_USER=user, MQTT_PASSWORD=password)
    r = mpy.run("refused_errcb.py", env=env, timeout=20)
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    assert "REFUSED 5" in lines, r.describe()       # mosquitto 2.0.11 refuses with 5
    calls = [l for l in lines if l.startswith("CALLS ")]
    assert len(calls) == 1, r.describe()
    n = int(calls[0].split()[1])
    assert n == 1, "error_register_cb was called {} times for one refused CONNACK: {}".format(
        n, calls[0].split(" ", 2)[2])
    assert lines[-1] == "END", r.describe()
