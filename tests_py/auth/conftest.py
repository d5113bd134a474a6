"""Fixtures for the authentication tests: a mosquitto with a password file
(``cred_broker``, accounts in ``CRED_USERS``), a scripted fake broker that
records each CONNECT field by field and answers with chosen CONNACK codes
(``fake_broker(codes)``), and ``auth_run(broker, spec)`` to run
auth_connect.py."""

import json

import pytest

import mqtt_harness as h
from auth_support import CRED_USERS, AuthRun
from fake_connack_broker import FakeConnackBroker


@pytest.fixture(scope="module")
def cred_broker(tmp_path_factory):
    b = h.start_or_fail(h.Broker(tmp_path_factory.mktemp("mosquitto-cred"), users=CRED_USERS, name="mosquitto-cred"))
    yield b
    b.stop()


@pytest.fixture
def fake_broker():
    made = []

    def make(codes=()):
        f = FakeConnackBroker(codes).start()
        made.append(f)
        return f

    yield make
    for f in made:
        f.stop()


@pytest.fixture
def auth_run(mpy, ids):
    """``auth_run(broker, spec, retry=False)``: run auth_connect.py; returns an AuthRun."""

    def run(b, spec, retry=False):
        r = mpy.run("auth_connect.py", env=mpy.env(b, ids, AUTH_SPEC=json.dumps(spec), AUTH_RETRY=int(retry)),
                    timeout=30)
        a = AuthRun(r, spec)
        assert r.returncode == 0 and r.stdout.splitlines()[-1:] == ["END"], a.describe()
        return a

    return run
